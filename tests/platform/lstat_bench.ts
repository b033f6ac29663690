// statx through FFI against Deno.lstatSync over a folder of 10,000 files, and reading that folder with
// names as bytes against Deno.readDirSync. Run: deno bench -A tests/platform/lstat_bench.ts
// (figures and what they mean: docs/platform.md#speed).

import { fallbackPlatform, platform } from "../../lib/platform/mod.ts";

const FILES = 10_000;
const root = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "kept-platform-bench-" }));
const paths: string[] = [];
for (let i = 0; i < FILES; i++) {
  const path = `${root}/file-${String(i).padStart(5, "0")}.txt`;
  Deno.writeFileSync(path, new Uint8Array(i % 97));
  paths.push(path);
}
globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));

const ffi = platform();
if (ffi.kind !== "ffi") throw new Error(`Cannot compare: FFI is not in use (${ffi.warning})`);
const fallback = fallbackPlatform();

Deno.bench(`Deno.lstatSync, ${FILES} files`, { group: "lstat", baseline: true, n: 50 }, () => {
  for (const path of paths) Deno.lstatSync(path);
});

Deno.bench(`platform().lstat (statx via FFI), ${FILES} files`, { group: "lstat", n: 50 }, () => {
  for (const path of paths) ffi.lstat(path);
});

Deno.bench(`fallbackPlatform().lstat, ${FILES} files`, { group: "lstat", n: 50 }, () => {
  for (const path of paths) fallback.lstat(path);
});

Deno.bench(`Deno.readDirSync, ${FILES} entries`, { group: "readDir", baseline: true, n: 50 }, () => {
  for (const _ of Deno.readDirSync(root));
});

Deno.bench(`platform().readDir (getdents64 via FFI), ${FILES} entries`, { group: "readDir", n: 50 }, () => {
  ffi.readDir(root);
});

Deno.bench(`Deno.readDirSync + lstatSync, ${FILES} entries`, { group: "walk", baseline: true, n: 50 }, () => {
  for (const entry of Deno.readDirSync(root)) Deno.lstatSync(`${root}/${entry.name}`);
});

Deno.bench(`platform().readDir + lstat by byte path, ${FILES} entries`, { group: "walk", n: 50 }, () => {
  const prefix = new TextEncoder().encode(`${root}/`);
  for (const entry of ffi.readDir(root)) {
    const path = new Uint8Array(prefix.length + entry.name.length);
    path.set(prefix);
    path.set(entry.name, prefix.length);
    ffi.lstat(path);
  }
});
