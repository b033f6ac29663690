// Pipes closed early and interruptions: real child processes, as a shell runs them.

import assert from "node:assert/strict";
import { randomFillSync } from "node:crypto";
import { type Fixture, makeFixture, type PlanSpec } from "../_support/fixture.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** Starts `kept --config CONFIG ...args` with stdout and stderr piped (cheap scrypt, TZ=UTC). */
function spawnKept(fixture: Fixture, args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", MAIN, "--config", fixture.config, ...args],
    env: { NO_COLOR: "1", KEPT_KDF_N: "1024", TZ: "UTC" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function text(stream: ReadableStream<Uint8Array>): Promise<string> {
  return await new Response(stream).text();
}

/** Reads `stream` up to its first newline, then closes it, as `head -1` does. */
async function readFirstLineAndClose(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let seen = "";
  while (!seen.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += decoder.decode(value, { stream: true });
  }
  await reader.cancel();
  return seen.slice(0, seen.indexOf("\n"));
}

/** Files below `path`, temporary ones included. */
function countFiles(path: string): number {
  let count = 0;
  for (const entry of Deno.readDirSync(path)) {
    if (entry.isDirectory) count += countFiles(`${path}/${entry.name}`);
    else count++;
  }
  return count;
}

/** Temporary files below `path`: what an interrupted write leaves. */
function temporaryFiles(path: string): string[] {
  const found: string[] = [];
  for (const entry of Deno.readDirSync(path)) {
    if (entry.isDirectory) found.push(...temporaryFiles(`${path}/${entry.name}`));
    else if (entry.name.startsWith(".tmp-")) found.push(`${path}/${entry.name}`);
  }
  return found;
}

/** Waits until the repository holds more data files than `before` (the backup is writing), or 60 s. */
async function untilWriting(repo: string, before: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (countFiles(`${repo}/data`) <= before) {
    if (Date.now() > deadline) throw new Error("The backup wrote nothing within 60 s");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Writes `mib` MiB of random (incompressible, unique) bytes to `path`. */
function writeRandom(path: string, mib: number): void {
  using file = Deno.openSync(path, { write: true, create: true, truncate: true });
  const block = new Uint8Array(8 << 20);
  for (let written = 0; written < mib; written += 8) {
    randomFillSync(block);
    let offset = 0;
    while (offset < block.length) offset += file.writeSync(block.subarray(offset));
  }
}

Deno.test("`kept ls latest | head -1` ends quietly with exit 0 when its reader closes stdout", async () => {
  const fixture = await makeFixture((root) => ({ many: { sources: [`${root}/src`] } }));
  try {
    Deno.mkdirSync(`${fixture.root}/src`);
    // Far more than a pipe's buffer (64 KiB) of listing, so kept is still writing when the reader goes.
    for (let i = 0; i < 2000; i++) {
      Deno.writeTextFileSync(`${fixture.root}/src/${"a-rather-long-file-name-".repeat(3)}${i}`, "x");
    }
    await fixture.backup("many");
    const child = spawnKept(fixture, ["ls", "latest"]);
    const stderr = text(child.stderr);
    const first = await readFirstLineAndClose(child.stdout);
    const status = await child.status;
    assert.match(first, /^d[rwxsStT-]{9} /); // /tmp, sticky
    assert.equal(await stderr, "", "no error, no stack trace");
    assert.equal(status.code, 0);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("Ctrl-C and SIGTERM stop a backup with one line, exit 130 and 143, and leave no lock behind", async (t) => {
  const fixture = await makeFixture((root) => ({ big: { sources: [`${root}/src`] } }));
  try {
    Deno.mkdirSync(`${fixture.root}/src`);
    writeRandom(`${fixture.root}/src/big.bin`, 512);

    for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
      await t.step(`${signal} during a backup: exit ${code}, one line saying what is left`, async () => {
        const before = countFiles(`${fixture.repo}/data`);
        const child = spawnKept(fixture, ["backup", "big"]);
        const stdout = text(child.stdout);
        const stderr = text(child.stderr);
        // Two more data files: at least one pack is stored whole (the other may still be written).
        await untilWriting(fixture.repo, before + 1);
        child.kill(signal);
        const status = await child.status;
        const lines = (await stderr).trimEnd().split("\n");
        assert.equal(status.code, code, `stderr:\n${await stderr}`);
        assert.equal(lines.length, 1, `one line:\n${await stderr}`);
        assert.match(lines[0]!, new RegExp(`^kept: interrupted by ${signal}: no snapshot was saved`));
        assert.equal(await stdout, "");
        assert.deepEqual([...Deno.readDirSync(`${fixture.repo}/locks`)], [], "the lock was released");
        // The packs being filled are dropped, not left as temporary files for a day.
        assert.deepEqual(temporaryFiles(fixture.repo), [], "temporary files left");
      });
    }

    await t.step("the repository is consistent, and the next backup reuses what was stored", async () => {
      const snapshots = JSON.parse((await fixture.keptOk(["snapshots", "--json"])).stdout) as unknown[];
      assert.equal(snapshots.length, 0);
      assert.ok(countFiles(`${fixture.repo}/index`) > 0, "the interrupted backups indexed their packs");
      await fixture.keptOk(["check"]);
      const saved = await fixture.backup("big");
      assert.ok(saved.snapshotId);
      assert.ok(saved.stats.addedBytes < 500 * 2 ** 20, `stored again: ${saved.stats.addedBytes} bytes`);
      await fixture.keptOk(["check", "--read-data"]);
    });
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("Ctrl-C during an after hook says the snapshot was saved, not that none was", async () => {
  const fixture = await makeFixture((root) => ({
    hooked: { sources: [`${root}/src`], hooks: { after: ["sleep 30"] } } as PlanSpec,
  }));
  try {
    Deno.mkdirSync(`${fixture.root}/src`);
    Deno.writeTextFileSync(`${fixture.root}/src/note.txt`, "saved before the hook\n");
    const child = spawnKept(fixture, ["backup", "hooked"]);
    const stderr = text(child.stderr);
    const stdout = text(child.stdout);
    const deadline = Date.now() + 30_000;
    while (countFiles(`${fixture.repo}/snapshots`) === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await new Promise((resolve) => setTimeout(resolve, 300)); // into the hook
    child.kill("SIGINT");
    const status = await child.status;
    await stdout;
    assert.equal(status.code, 130, await stderr);
    // The hook's own line may come before or after it.
    const note = (await stderr).split("\n").find((line) => line.startsWith("kept: interrupted by SIGINT"));
    assert.match(
      note ?? "",
      /^kept: interrupted by SIGINT: snapshot [0-9a-f]{12} was saved for destination "local"/,
      await stderr,
    );
    assert.equal(countFiles(`${fixture.repo}/snapshots`), 1);
  } finally {
    await fixture.cleanup();
  }
});
