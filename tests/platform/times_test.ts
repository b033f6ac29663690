// Times go in and come out to the nanosecond, before 1970 and after 2100 too, on files, folders and a
// symlink's own times; Python's os.stat(..., follow_symlinks=False) is the witness.

import assert from "node:assert/strict";
import { platform } from "../../lib/platform/mod.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { pythonLstat, pythonLstats } from "./_python.ts";

const fs = platform();

/**
 * Access and modification times to set: each pair is one round trip. All lie within what ext4 stores
 * (1901-12-13 to 2446-05-10): outside it the file system, not the layer, clamps them.
 */
const TIMES: ReadonlyArray<{ atimeNs: bigint; mtimeNs: bigint }> = [
  { atimeNs: -1_000_000_001n, mtimeNs: -1_000_000_001n }, // 1969-12-31T23:59:58.999999999Z
  { atimeNs: -631_152_000_000_000_001n, mtimeNs: -1n }, // 1949-12-31T23:59:59.999999999Z; 1 ns before 1970
  { atimeNs: 4_102_444_800_123_456_789n, mtimeNs: 4_102_444_800_987_654_321n }, // 2100-01-01
  { atimeNs: 13_569_465_600_999_999_999n, mtimeNs: 1_700_000_000_000_000_001n }, // 2400-01-01; 2023
  { atimeNs: 0n, mtimeNs: 999_999_999n },
];

function makeTree(root: string): Record<string, string> {
  Deno.writeTextFileSync(`${root}/file`, "content\n");
  Deno.mkdirSync(`${root}/folder`);
  Deno.symlinkSync("file", `${root}/link`);
  Deno.symlinkSync("missing-target", `${root}/dangling`);
  return {
    file: `${root}/file`,
    folder: `${root}/folder`,
    symlink: `${root}/link`,
    "dangling symlink": `${root}/dangling`,
  };
}

Deno.test("setTimes() then lstat() gives back every time to the nanosecond, as Python reads it", () => {
  assert.equal(fs.kind, "ffi", fs.warning);
  using dir = tempDir("kept-platform-times-");
  const cases: { label: string; path: string; times: { atimeNs: bigint; mtimeNs: bigint } }[] = [];
  TIMES.forEach((times, i) => {
    Deno.mkdirSync(`${dir.path}/${i}`);
    for (const [what, path] of Object.entries(makeTree(`${dir.path}/${i}`))) {
      fs.setTimes(path, times);
      cases.push({ label: `${what} ${times.atimeNs}/${times.mtimeNs}`, path, times });
    }
  });
  const witnesses = pythonLstats(cases.map((entry) => entry.path));
  cases.forEach(({ label, path, times }, i) => {
    const stat = fs.lstat(path);
    assert.equal(stat.mtimeNs, times.mtimeNs, label);
    assert.equal(stat.atimeNs, times.atimeNs, label);
    assert.equal(witnesses[i]!.mtimeNs, times.mtimeNs, label);
    assert.equal(witnesses[i]!.atimeNs, times.atimeNs, label);
    assert.equal(stat.ctimeNs, witnesses[i]!.ctimeNs, label);
  });
});

Deno.test("setTimes() on a symlink leaves the file it points to alone", () => {
  using dir = tempDir("kept-platform-times-");
  const paths = makeTree(dir.path);
  fs.setTimes(paths.file!, { atimeNs: 1_000_000_000_000_000_000n, mtimeNs: 1_000_000_000_000_000_000n });
  fs.setTimes(paths.symlink!, { atimeNs: -5n, mtimeNs: -7n });
  assert.equal(fs.lstat(paths.file!).mtimeNs, 1_000_000_000_000_000_000n);
  assert.equal(pythonLstat(paths.file!).mtimeNs, 1_000_000_000_000_000_000n);
  assert.equal(pythonLstat(paths.symlink!).mtimeNs, -7n);
});

Deno.test("setTimes() leaves a time it is not given as it was", () => {
  using dir = tempDir("kept-platform-times-");
  const { file } = makeTree(dir.path);
  fs.setTimes(file!, { atimeNs: 111n, mtimeNs: 222n });
  fs.setTimes(file!, { mtimeNs: -333n });
  assert.deepEqual([fs.lstat(file!).atimeNs, fs.lstat(file!).mtimeNs], [111n, -333n]);
  fs.setTimes(file!, { atimeNs: 444n });
  assert.deepEqual([pythonLstat(file!).atimeNs, pythonLstat(file!).mtimeNs], [444n, -333n]);
});

Deno.test("lstat() reads ctime to the nanosecond, not to the second as Deno.lstatSync does", () => {
  using dir = tempDir("kept-platform-times-");
  const { file } = makeTree(dir.path);
  const stat = fs.lstat(file!);
  assert.equal(stat.ctimeNs, pythonLstat(file!).ctimeNs);
  // ext4, xfs, btrfs and tmpfs keep nanoseconds: a ctime that is a whole second would be a 1-in-10^9 fluke.
  assert.notEqual(stat.ctimeNs % 1_000_000_000n, 0n);
});
