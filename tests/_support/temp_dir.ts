/**
 * A temporary folder that removes itself (with everything in it) when its `using` block ends, whether
 * the test passed or threw: `using dir = tempDir("kept-x-");` then `dir.path`. The path is real (no
 * symlink on the way), as a backup records it.
 */
export function tempDir(prefix: string): { readonly path: string } & Disposable {
  const path = Deno.realPathSync(Deno.makeTempDirSync({ prefix }));
  return {
    path,
    [Symbol.dispose]() {
      Deno.removeSync(path, { recursive: true });
    },
  };
}
