// Why a file of the state folder (the state file, its apply lock) cannot be opened or created, in words a
// user can act on: a file where one of its folders should be, a folder in its place, no permission.

import { dirname } from "node:path";

/**
 * Why `path` cannot be opened or created, given the `error` the attempt threw: what {@link placeProblem}
 * finds, else `permission denied`, else the first line of the error's message.
 */
export function fileProblem(path: string, error: unknown): string {
  const problem = placeProblem(path);
  if (problem !== undefined) return problem;
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  return (error instanceof Error ? error.message : String(error)).split("\n")[0]!;
}

/**
 * What keeps a file from being at `path`, if the file system shows something: `"/srv/x" is not a folder`
 * when a file stands where one of its folders should be, `it is a folder`, or `permission denied` when it
 * is there but cannot be read.
 */
export function placeProblem(path: string): string | undefined {
  const file = fileOnTheWay(path);
  if (file !== undefined) return `"${file}" is not a folder`;
  try {
    if (Deno.statSync(path).isDirectory) return "it is a folder";
    Deno.openSync(path, { read: true }).close();
  } catch (error) {
    if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  }
  return undefined;
}

/** The nearest folder of `path` that exists but is not a folder, if one does. */
function fileOnTheWay(path: string): string | undefined {
  for (let folder = dirname(path); folder !== dirname(folder); folder = dirname(folder)) {
    try {
      return Deno.statSync(folder).isDirectory ? undefined : folder;
    } catch (error) {
      // Missing (or below a file): look one level up.
      if (!(error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory)) {
        return undefined;
      }
    }
  }
  return undefined;
}
