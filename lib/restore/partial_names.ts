// The names files are written under before they are renamed into place (docs/format.md#restore-safety).

import { sha256Hex } from "../crypto/mod.ts";
import { pathBytes } from "../platform/mod.ts";
import type { TreeNode } from "../repo/mod.ts";

const PARTIAL_SUFFIX = ".kept-partial";

/**
 * The names the files of one folder are written under before they are renamed into place:
 * `NAME.kept-partial`, unless that is too long for a name or is itself an entry of the folder (or another
 * file's partial name); then `.kept-partial-HASH`, numbered if need be. Never an entry's name, so writing
 * or clearing one never touches another entry: a folder holding `a` and `a.kept-partial` had the second
 * renamed over the first's partial copy, and `a` restored with the wrong content. The same names in
 * every run, so a resumed restore clears what an interrupted one left.
 */
export function partialNames(nodes: readonly TreeNode[]): Map<string, string> {
  const used = new Set(nodes.map((node) => node.name));
  const partials = new Map<string, string>();
  for (const node of nodes) {
    if (node.type !== "file") continue;
    let partial = `${node.name}${PARTIAL_SUFFIX}`;
    if (nameBytes(partial).length > 255 || used.has(partial)) {
      const hashed = `${PARTIAL_SUFFIX}-${sha256Hex(nameBytes(node.name)).slice(0, 32)}`;
      partial = hashed;
      for (let n = 1; used.has(partial); n++) partial = `${hashed}-${n}`;
    }
    used.add(partial);
    partials.set(node.name, partial);
  }
  return partials;
}

const encoder = new TextEncoder();

/**
 * The bytes a name is written as (an escaped byte is one byte, docs/format.md#names); for a name that
 * stands for no bytes (refused as unsafe when the walk meets it), its UTF-8.
 */
function nameBytes(name: string): Uint8Array {
  try {
    return pathBytes(name);
  } catch {
    return encoder.encode(name);
  }
}
