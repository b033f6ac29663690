// The unchanged-file rule with nanosecond times: exact where both sides have them, at the coarser side's
// precision where one does not (a snapshot from before, or the fallback), and a racy window that narrows
// from the scan's whole second to a few milliseconds once ctime is exact.

import assert from "node:assert/strict";
import { type EntryStat, entryStat } from "../../lib/backup/entry_stat.ts";
import { hasExactTimes, isUnchanged, RACY_WINDOW_MS } from "../../lib/backup/file_changed.ts";
import type { FileStat } from "../../lib/platform/mod.ts";
import type { TreeNode } from "../../lib/repo/types.ts";

const SCAN = 1_800_000_000_500; // the parent's backup started half a second into its second

function info(overrides: Partial<EntryStat> = {}): EntryStat {
  return {
    type: "file",
    size: 10,
    mtime: 1_700_000_000_123,
    mtimeNs: 456_789,
    ctime: 1_700_000_000_222,
    ctimeNs: 333,
    mode: 0o100644,
    uid: 0,
    gid: 0,
    ino: 42,
    dev: 7,
    nlink: 1,
    rdev: 0,
    ...overrides,
  };
}

/** The node a backup with FFI records for `info()`. */
function exactNode(overrides: Partial<TreeNode> = {}): TreeNode {
  return {
    name: "a",
    type: "file",
    mode: 0o644,
    mtime: 1_700_000_000_123,
    mtimeNs: 456_789,
    uid: 0,
    gid: 0,
    size: 10,
    ctime: 1_700_000_000_222,
    ctimeNs: 333,
    inode: 42,
    device: 7,
    ...overrides,
  };
}

/** The node kept recorded before nanoseconds (ctime in whole seconds, as Deno's API reads it). */
function oldNode(): TreeNode {
  const node = exactNode({ ctime: 1_700_000_000_000 });
  delete node.mtimeNs;
  delete node.ctimeNs;
  return node;
}

Deno.test("isUnchanged() compares nanoseconds when both sides have them", () => {
  const check = { scannedAt: SCAN, exactTimes: true };
  assert.equal(isUnchanged(exactNode(), info(), check), true);
  assert.equal(isUnchanged(exactNode(), info({ mtimeNs: 456_790 }), check), false, "mtime 1 ns later");
  assert.equal(isUnchanged(exactNode(), info({ ctimeNs: 334 }), check), false, "ctime 1 ns later");
  assert.equal(isUnchanged(exactNode(), info({ mtime: 1_700_000_000_124 }), check), false);
  assert.equal(isUnchanged(exactNode(), info({ ino: 43 }), check), false);
  assert.equal(isUnchanged(exactNode(), info({ size: 11 }), check), false);
  // A time with no nanoseconds past its millisecond is recorded without the field.
  const whole = exactNode();
  delete whole.mtimeNs;
  assert.equal(isUnchanged(whole, info({ mtimeNs: 0 }), check), true);
  assert.equal(isUnchanged(whole, info({ mtimeNs: 1 }), check), false);
});

Deno.test("isUnchanged() compares a snapshot made without nanoseconds at its own precision", () => {
  // ctime in whole seconds and no ns fields: upgrading does not read every file again.
  assert.equal(hasExactTimes(oldNode()), false);
  assert.equal(isUnchanged(oldNode(), info(), { scannedAt: SCAN, exactTimes: true }), true);
  assert.equal(
    isUnchanged(oldNode(), info({ ctime: 1_700_000_001_222 }), { scannedAt: SCAN, exactTimes: true }),
    false,
  );
  // And the fallback (no ns, ctime in seconds) against an exact parent: compared to the second.
  const fallback = info({ mtimeNs: 0, ctime: 1_700_000_000_000, ctimeNs: 0 });
  assert.equal(isUnchanged(exactNode(), fallback, { scannedAt: SCAN, exactTimes: false }), true);
  assert.equal(isUnchanged(exactNode(), fallback, { scannedAt: SCAN }), true);
});

Deno.test("isUnchanged() treats a file changed close to the parent's scan as racy: a second, or a few ms when exact", () => {
  const exactCheck = { scannedAt: SCAN, exactTimes: true };
  // Exact ctime 100 ms before the scan, in its second: trusted.
  const early = exactNode({ ctime: SCAN - 100 });
  assert.equal(isUnchanged(early, info({ ctime: SCAN - 100 }), exactCheck), true);
  // Within the kernel's timestamp tick of the scan: read again.
  const close = exactNode({ ctime: SCAN - RACY_WINDOW_MS + 1 });
  assert.equal(isUnchanged(close, info({ ctime: SCAN - RACY_WINDOW_MS + 1 }), exactCheck), false);
  // Whole-second ctime (from before nanoseconds) in the scan's second: read again, as before.
  const second = { ...oldNode(), ctime: Math.floor(SCAN / 1000) * 1000 };
  assert.equal(isUnchanged(second, info({ ctime: second.ctime, ctimeNs: 0 }), exactCheck), false);
  // No parent time: nothing is racy.
  assert.equal(isUnchanged(close, info({ ctime: SCAN - RACY_WINDOW_MS + 1 }), { exactTimes: true }), true);
});

Deno.test("entryStat() splits nanosecond times into floored milliseconds and the nanoseconds past them", () => {
  const stat = (mtimeNs: bigint, ctimeNs: bigint): FileStat => ({
    type: "file",
    mode: 0o100644,
    size: 1,
    uid: 0,
    gid: 0,
    nlink: 1,
    dev: 1,
    ino: 2n ** 40n,
    rdev: 0,
    blocks: 0,
    blksize: 4096,
    atimeNs: 0n,
    mtimeNs,
    ctimeNs,
  });
  const split = (ns: bigint) => {
    const entry = entryStat(stat(ns, ns));
    assert.equal(entry.ctime, entry.mtime);
    return [entry.mtime, entry.mtimeNs];
  };
  assert.deepEqual(split(1_700_000_000_123_456_789n), [1_700_000_000_123, 456_789]);
  assert.deepEqual(split(-1n), [-1, 999_999]);
  assert.deepEqual(split(-1_000_000n), [-1, 0]);
  assert.deepEqual(split(-1_000_000_001n), [-1001, 999_999]);
  assert.deepEqual(split(4_200_000_000_987_654_321n), [4_200_000_000_987, 654_321]);
  assert.equal(entryStat(stat(0n, 0n)).ino, 2 ** 40);
});

Deno.test("isUnchanged() compares a whole-second time to the nanosecond when the parent snapshot says its times are exact", () => {
  // A tree unpacked from an archive or a container image: every time on a whole second, as recorded.
  const onTheSecond = exactNode({ mtime: 1_700_000_000_000, ctime: 1_700_000_000_000 });
  delete onTheSecond.mtimeNs;
  delete onTheSecond.ctimeNs;
  assert.equal(hasExactTimes(onTheSecond), false, "by its fields alone it looks cut to the second");
  const rewritten = info({ mtime: 1_700_000_000_000, mtimeNs: 0, ctime: 1_700_000_000_000, ctimeNs: 5 });
  const check = { scannedAt: SCAN, exactTimes: true };
  assert.equal(isUnchanged(onTheSecond, rewritten, check), true, "compared to the second");
  assert.equal(isUnchanged(onTheSecond, rewritten, { ...check, exactPrevious: true }), false, "5 ns later");
  const same = info({ mtime: 1_700_000_000_000, mtimeNs: 0, ctime: 1_700_000_000_000, ctimeNs: 0 });
  assert.equal(isUnchanged(onTheSecond, same, { ...check, exactPrevious: true }), true);
});
