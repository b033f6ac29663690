/**
 * Finds a path inside a snapshot's trees: the one walk that `ls`, restore's `--path` and later `find` share.
 *
 * @module
 */

import { UserError } from "../errors.ts";
import type { BlobId, Tree, TreeNode } from "./types.ts";

/** What a path inside a snapshot names. */
export interface TreePath {
  /**
   * The names on the path, as the trees spell them: `/etc/ssh/` is ["etc", "ssh"]; empty for the root. A
   * part given in its escaped form (`caf\xe9`) is the name it stands for.
   */
  parts: string[];
  /** The entry at the path; undefined for the root, which is a tree without an entry of its own. */
  node: TreeNode | undefined;
}

/**
 * Walks from the snapshot's root tree along `path` ("/" or "" is the root; "." parts are skipped). A part
 * is read as text output writes names (docs/format.md#names): `caf\xe9` is the bytes `caf` and 0xE9,
 * `a\\b` is `a\b`, so every name reaches the entry it was printed for, whatever else the folder holds. A
 * part without a backslash is the name itself; one whose escapes are not valid or name no entry is also
 * looked up as typed (a name that holds a backslash, typed as it is). Throws a `UserError` when the path is
 * not in the snapshot or passes through an entry that is not a folder.
 */
export async function resolveTreePath(
  loadTree: (id: BlobId) => Promise<Tree>,
  root: BlobId,
  path: string,
): Promise<TreePath> {
  const asked = path.split("/").filter((part) => part !== "" && part !== ".");
  const parts: string[] = [];
  let treeId = root;
  let node: TreeNode | undefined;
  for (const part of asked) {
    if (node && (node.type !== "dir" || !node.subtree)) {
      throw new UserError(`Path "/${asked.slice(0, parts.length).join("/")}" is not a folder`);
    }
    if (node) treeId = node.subtree!;
    node = findEntry((await loadTree(treeId)).nodes, part);
    if (!node) throw new UserError(`Path "${path}" is not in the snapshot`);
    parts.push(node.name);
  }
  return { parts, node };
}

/**
 * The entry `part` names in its escaped form, as output writes it, or else the one named `part` as typed;
 * undefined when neither is. The escaped form first: output writes the name `caf\xe9` (with a backslash)
 * as `caf\\xe9`, and `caf\xe9` is the byte 0xE9 even when both are in one folder.
 */
function findEntry(nodes: readonly TreeNode[], part: string): TreeNode | undefined {
  const name = part.includes("\\") ? unescapeName(part) : part;
  const escaped = name === undefined ? undefined : nodes.find((entry) => entry.name === name);
  return escaped ?? (name === part ? undefined : nodes.find((entry) => entry.name === part));
}

const encoder = new TextEncoder();
// ignoreBOM: a name may start with U+FEFF, which is part of it.
const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const ESCAPES: Record<string, number> = { "\\": 0x5c, n: 0x0a, t: 0x09, r: 0x0d };

/**
 * The name `text` stands for when written with the escapes of kept's text output (`\xNN`, `\\`, `\n`,
 * `\t`, `\r`), as a tree spells it: bytes that are not UTF-8 as lone surrogates U+DC80-U+DCFF (the
 * platform layer's `nameText()`, which this layer cannot import). Undefined when a backslash starts no
 * escape.
 */
export function unescapeName(text: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < text.length;) {
    if (text[i] !== "\\") {
      const char = String.fromCodePoint(text.codePointAt(i)!);
      bytes.push(...encoder.encode(char));
      i += char.length;
      continue;
    }
    const next = text[i + 1] ?? "";
    if (Object.hasOwn(ESCAPES, next)) {
      bytes.push(ESCAPES[next]!);
      i += 2;
    } else if (next === "x" && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 2, i + 4))) {
      bytes.push(parseInt(text.slice(i + 2, i + 4), 16));
      i += 4;
    } else return undefined;
  }
  return escapedText(Uint8Array.from(bytes));
}

/** Bytes as a name: each UTF-8 character as itself, each byte that starts none as U+DC00 + byte. */
function escapedText(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length;) {
    // The shortest slice that decodes is one character (1 to 4 bytes); none decodes at a stray byte.
    let length = 1;
    let char: string | undefined;
    for (; length <= 4 && i + length <= bytes.length; length++) {
      try {
        char = strictDecoder.decode(bytes.subarray(i, i + length));
        break;
      } catch {
        // Not a whole character yet.
      }
    }
    if (char === undefined) {
      out += String.fromCharCode(0xdc00 + bytes[i]!);
      i += 1;
    } else {
      out += char;
      i += length;
    }
  }
  return out;
}
