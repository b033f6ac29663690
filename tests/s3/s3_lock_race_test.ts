// Shared locks settle while the work begins on object storage (docs/format.md#locks). A real kept process
// whose lock turns out to have raced a prune's must fail naming the prune, and make nothing of its work
// known: no index file and no snapshot (its packs are leftovers nobody uses). A proxy between kept and the
// server stores the rival lock just before kept's own, after kept has looked for locks the first time.

import assert from "node:assert/strict";
import { join } from "node:path";
import { S3Backend } from "../../lib/backends/mod.ts";
import type { LockFile } from "../../lib/repo/mod.ts";
import { Repository } from "../../lib/repo/repository.ts";
import { runKept } from "../_support/run_cli.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { backendOptions, emptyBackend, s3Server, uniqueBucket } from "./_server.ts";
import { TcpProxy } from "./_tcp_proxy.ts";
import { S3_TEST_PASSWORD, s3Environment, writeS3Config } from "./_cli_config.ts";

/** A prune's live lock, of another host. */
function pruneLock(): LockFile {
  const now = new Date().toISOString();
  return {
    version: 1,
    kind: "exclusive",
    host: "elsewhere",
    username: "pruner",
    pid: 4242,
    created: now,
    time: now,
  };
}

/** Removes every lock file, as the prune would once done; returns their users. */
async function removeLocks(backend: S3Backend): Promise<string[]> {
  const repository = await Repository.open(backend, S3_TEST_PASSWORD);
  const store = repository.lockStore();
  const users: string[] = [];
  for await (const { name } of backend.list("locks")) {
    users.push((await store.read(name)).username);
    await store.remove(name);
  }
  return users;
}

async function count(backend: S3Backend, kind: "index" | "snapshots" | "locks"): Promise<number> {
  let found = 0;
  for await (const _ of backend.list(kind)) found++;
  return found;
}

Deno.test("a backup or restore whose lock loses its race on S3 fails naming the rival and makes nothing known; with --lock-wait it waits", async () => {
  const server = await s3Server();
  using dir = tempDir("kept-s3-lock-race-");
  const source = join(dir.path, "source");
  Deno.mkdirSync(source);
  Deno.writeTextFileSync(join(source, "a.txt"), "raced\n");
  const bucket = uniqueBucket("kept-lock-race");
  const direct = await S3Backend.open({ ...backendOptions(server, bucket, "repo"), create: true });

  /** The next lock kept stores gets a rival stored just before it; gone again after `endsAfterMs`. */
  let race: { endsAfterMs?: number } | undefined;
  const { hostname, port } = new URL(server.endpoint);
  await using proxy = new TcpProxy({ hostname, port: Number(port) }, async (piece) => {
    if (!race || !piece.startsWith(`PUT /${bucket}/repo/locks/`)) return;
    const { endsAfterMs } = race;
    race = undefined;
    const store = (await Repository.open(direct, S3_TEST_PASSWORD)).lockStore();
    const rival = await store.write(pruneLock());
    if (endsAfterMs !== undefined) setTimeout(() => store.remove(rival), endsAfterMs);
  });
  const url = `s3+http://127.0.0.1:${proxy.port}/${bucket}/repo`;
  const config = writeS3Config(dir.path, server, { url, source });
  const env = s3Environment(server, dir.path);
  const kept = (...args: string[]) => runKept(["--config", config, ...args], { env });
  const succeeds = async (...args: string[]) => {
    const result = await kept(...args);
    assert.equal(result.code, 0, `${args.join(" ")}:\n${result.stderr}`);
  };
  const losesTheRace = async (...args: string[]) => {
    race = {};
    const result = await kept(...args);
    assert.equal(race, undefined, "the proxy saw the lock go by");
    assert.equal(result.code, 11, result.stderr); // locked, as restic says it
    assert.match(result.stderr, /is locked exclusively by pruner@elsewhere, pid 4242/);
    const errors = result.stderr.split("\n").filter((line) => line.startsWith("kept:"));
    assert.equal(errors.length, 1, `said once, in one line:\n${result.stderr}`);
    assert.ok(!/\n\s+at /.test(result.stderr), `no stack trace:\n${result.stderr}`);
  };

  try {
    await succeeds("init", "cloud");
    await succeeds("backup", "files"); // through the proxy, with no race
    const before = { index: await count(direct, "index"), snapshots: await count(direct, "snapshots") };

    Deno.writeTextFileSync(join(source, "b.txt"), "new since the first backup\n");
    await losesTheRace("backup", "files");
    assert.equal(await count(direct, "snapshots"), before.snapshots, "no snapshot of the lost race");
    assert.equal(await count(direct, "index"), before.index, "no index file naming its packs");
    assert.deepEqual(await removeLocks(direct), ["pruner"], "only the rival's lock is left");

    await losesTheRace("restore", "latest", "--target", join(dir.path, "restored"));
    assert.deepEqual(await removeLocks(direct), ["pruner"], "only the rival's lock is left");

    // With --lock-wait the lock settles before the work starts, so a race lost waits for the rival.
    race = { endsAfterMs: 1500 };
    const waited = await kept("--lock-wait", "30s", "backup", "files");
    assert.equal(race, undefined, "the proxy saw the lock go by");
    assert.equal(waited.code, 0, waited.stderr);
    assert.equal(await count(direct, "snapshots"), before.snapshots + 1, "saved once the prune was gone");
  } finally {
    await emptyBackend(direct);
  }
});
