/**
 * The mount guard of `kept apply` (docs/reconcile.md#the-mount-guard): a local repository folder that is
 * missing may be an unplugged disk, not a new destination. Creating it would put a surprise repository on
 * the root file system, under the empty mount point, and back up there until someone notices.
 *
 * @module
 */

import { dirname } from "node:path";

/**
 * Why `apply` must not create a repository folder at `path`, or undefined when it may: its parent folder
 * must exist, and be either a mount point (a file system of its own) or a folder that holds something. An
 * empty folder on the same file system as its own parent is what an unmounted mount point looks like;
 * `kept init` creates the repository there on request.
 */
export async function initRefusal(path: string): Promise<string | undefined> {
  try {
    return await refusal(path);
  } catch (error) {
    if (error instanceof Deno.errors.PermissionDenied) {
      return `cannot look at its parent folder: ${error.message}`;
    }
    throw error;
  }
}

async function refusal(path: string): Promise<string | undefined> {
  const parent = dirname(path);
  const parentStat = await statOrUndefined(parent);
  if (parentStat === undefined) {
    return `its parent folder "${parent}" does not exist (is the disk mounted?)`;
  }
  if (!parentStat.isDirectory) return `"${parent}" is not a folder`;
  const grandparent = await statOrUndefined(dirname(parent));
  if (parent === "/" || grandparent === undefined || grandparent.dev !== parentStat.dev) return undefined;
  for await (const _ of Deno.readDir(parent)) return undefined;
  return `its parent folder "${parent}" is empty and on the file system of "${dirname(parent)}" ` +
    "(a mount point with no disk mounted?)";
}

async function statOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) return undefined;
    throw error;
  }
}
