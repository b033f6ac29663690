// The memory budget (docs/performance.md#memory-budget): a backup's peak memory depends on the parallelism
// and the widest folder, not on the number of files. A tree with 4 times the files of another, in folders
// of the same width, must back up within 1.2 times the other's peak RSS.

import assert from "node:assert/strict";
import { join } from "node:path";
import { RandomBytes } from "../_support/random_bytes.ts";
import { makeFixture } from "../_support/fixture.ts";
import { compiledV8Flags } from "../../bench/tools.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const DENO_JSON = new URL("../../deno.json", import.meta.url).pathname;
const FILES_PER_FOLDER = 1000;

/** `count` files of 50-1,500 seeded bytes, 1,000 to a folder, under `root`. */
function writeSmallFiles(root: string, count: number): void {
  const random = new RandomBytes(count);
  const sizes = new Uint16Array(count);
  random.fill(new Uint8Array(sizes.buffer));
  const block = random.fill(new Uint8Array(1500 * 64));
  for (let i = 0; i < count; i++) {
    const folder = join(root, `d${Math.floor(i / FILES_PER_FOLDER)}`);
    if (i % FILES_PER_FOLDER === 0) Deno.mkdirSync(folder, { recursive: true });
    const size = 50 + sizes[i]! % 1451;
    const at = (i * 1499) % (block.length - size); // every file different, no random call per file
    Deno.writeFileSync(join(folder, `f${i}.txt`), block.subarray(at, at + size));
    block[at] = (block[at]! + i) & 0xff;
  }
}

/**
 * Peak RSS of `kept backup` of a fresh tree of `files` files, run as the shipped binary runs (with the V8
 * flags of `deno task compile`), measured from /proc: the child's VmHWM, read until it exits.
 */
async function peakRssOfBackup(files: number): Promise<number> {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/tree`] } }));
  try {
    writeSmallFiles(`${fixture.root}/tree`, files);
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        ...compiledV8Flags(DENO_JSON),
        MAIN,
        "--config",
        fixture.config,
        "backup",
        "p",
      ],
      env: { KEPT_KDF_N: "1024", NO_COLOR: "1" },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    let peak = 0;
    const status = child.status;
    let exited = false;
    status.then(() => exited = true);
    while (!exited) {
      peak = Math.max(peak, highWaterMark(child.pid));
      await Promise.race([status, new Promise((resolve) => setTimeout(resolve, 20))]);
    }
    const stderr = new TextDecoder().decode((await child.output()).stderr);
    assert.equal((await status).code, 0, stderr);
    return peak;
  } finally {
    await fixture.cleanup();
  }
}

/** VmHWM of a process in bytes (0 once it is gone). */
function highWaterMark(pid: number): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

Deno.test({
  name: "a backup of 4 times the files, in folders as wide, peaks at less than 1.2 times the memory",
  // 1.14-1.16 (227-234 and 262-267 MiB) since tree packs are written through on a local folder; 1.14-1.19
  // with the next index file waiting as text, 1.21 before, 1.29-1.31 before V8's old generation grew by half
  // of what is live. Peaks move by several MiB with when V8 happens to collect, so a pair over the line is
  // measured again, up to three times, and the lowest peaks count: a real regression fails every time. It
  // ran only when asked until a walk that awaited every folder (1.6: 234 and 374 MiB) went unnoticed for a
  // day; now it runs everywhere on Linux (docs/performance.md#memory-budget).
  ignore: Deno.build.os !== "linux",
  async fn() {
    const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
    let smaller = Infinity;
    let larger = Infinity;
    for (let attempt = 0; attempt < 3 && !(larger < 1.2 * smaller); attempt++) {
      smaller = Math.min(smaller, await peakRssOfBackup(25_000));
      larger = Math.min(larger, await peakRssOfBackup(100_000));
      console.log(`memory budget: 25,000 files ${mib(smaller)}, 100,000 files ${mib(larger)}`);
    }
    assert.ok(larger < 1.2 * smaller, `25,000 files peaked at ${mib(smaller)}, 100,000 at ${mib(larger)}`);
  },
});
