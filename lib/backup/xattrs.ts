/**
 * Reading an entry's extended attributes for its tree node: by path on the main thread (folders, symlinks,
 * unchanged files whose parent node cannot vouch for them), or through the file a chunk worker opened.
 *
 * @module
 */

import { describeError } from "../errors.ts";
import { describePath, nameText } from "../platform/mod.ts";
import type { NodeXattr } from "../repo/mod.ts";
import { compareText } from "../compare_text.ts";

/** Where extended attributes are read: an entry by path (through `Platform`), or a file open (`OpenFile`). */
export interface XattrSource {
  listXattrs(): Uint8Array[];
  getXattr(name: Uint8Array): Uint8Array;
}

/**
 * The extended attributes of the entry at `path` (a symlink's own), as a tree records them, sorted by
 * name; undefined when it has none, or its file system has none (silently). One that cannot be read
 * (permissions) goes to `notice` and is left out: the entry is still backed up.
 */
export function readXattrs(
  source: XattrSource,
  path: string,
  notice: (message: string) => void,
): NodeXattr[] | undefined {
  let names: Uint8Array[];
  try {
    names = source.listXattrs();
  } catch (error) {
    // No xattrs on this file system, or the entry vanished (its own read reports that).
    if (error instanceof Deno.errors.NotSupported || error instanceof Deno.errors.NotFound) return undefined;
    notice(`${describePath(path)}: cannot list extended attributes: ${describeError(error)}`);
    return undefined;
  }
  if (names.length === 0) return undefined;
  const xattrs: NodeXattr[] = [];
  for (const name of names) {
    let value: Uint8Array;
    try {
      value = source.getXattr(name);
    } catch (error) {
      // Removed since it was listed, or not supported for this entry: nothing to keep.
      if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotSupported) continue;
      notice(
        `${describePath(path)}: cannot read extended attribute "${describePath(name)}": ${
          describeError(error)
        }`,
      );
      continue;
    }
    xattrs.push({ name: nameText(name), value: value.toBase64() });
  }
  if (xattrs.length === 0) return undefined;
  return xattrs.sort((a, b) => compareText(a.name, b.name));
}
