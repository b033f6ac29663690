// `kept check` sees a consistent repository while a backup runs, and finds a pack of the wrong size
// without reading it (issue 16, items 4 and 5).

import assert from "node:assert/strict";
import { LocalBackend } from "../../lib/backends/local.ts";
import type { FileEntry, FileKind } from "../../lib/backends/mod.ts";
import { runKept } from "../_support/run_cli.ts";
import { packFiles } from "../_support/fixture.ts";
import { writeRandomFile } from "../_support/random_bytes.ts";
import { inProcessFixture } from "./_in_process.ts";
import { filesOf } from "./_damage.ts";

Deno.test("check --read-data reports no damage when a backup finishes while it reads the packs", async () => {
  using f = await inProcessFixture();
  writeRandomFile(`${f.data}/first.bin`, 300_000, 1);
  await f.keptOk(["backup", "p"]);
  writeRandomFile(`${f.data}/second.bin`, 300_000, 2);
  const list = LocalBackend.prototype.list;
  let backupRan = false;
  // The moment check lists the packs, after it read what it reads first: another process's backup ends.
  LocalBackend.prototype.list = async function* (
    this: LocalBackend,
    kind: FileKind,
  ): AsyncGenerator<FileEntry> {
    if (kind === "data" && !backupRan) {
      backupRan = true;
      const backup = await runKept(["--config", f.config, "backup", "p"], { env: { KEPT_KDF_N: "1024" } });
      assert.equal(backup.code, 0, backup.stderr);
    }
    yield* list.call(this, kind);
  };
  try {
    const result = await f.kept(["check", "--read-data"]);
    assert.ok(backupRan);
    assert.equal(filesOf(f.repo, "snapshots").length, 2);
    assert.equal(result.code, 0, result.stdout + result.stderr);
  } finally {
    LocalBackend.prototype.list = list;
  }
});

Deno.test("plain check finds a truncated or lengthened pack by its size and names the snapshot it damages", async () => {
  using f = await inProcessFixture();
  writeRandomFile(`${f.data}/data.bin`, 600_000, 3);
  await f.keptOk(["backup", "p"]);
  const [snapshot] = filesOf(f.repo, "snapshots");
  const pack = packFiles(f.repo).reduce((a, b) => Deno.statSync(a).size >= Deno.statSync(b).size ? a : b);
  const name = pack.slice(pack.lastIndexOf("/") + 1);
  const size = Deno.statSync(pack).size;
  const original = Deno.readFileSync(pack);

  Deno.truncateSync(pack, Math.floor(size / 2));
  const truncated = await f.kept(["check"]);
  assert.equal(truncated.code, 1, truncated.stdout + truncated.stderr);
  assert.match(
    truncated.stdout,
    new RegExp(
      `^error: pack ${name}: unexpected size ${Math.floor(size / 2)} bytes, the index implies ${size}$`,
      "m",
    ),
  );
  assert.match(
    truncated.stdout,
    new RegExp(
      `^error: snapshot ${snapshot!.slice(0, 12)} has damaged or missing data in: ${f.data}/data.bin$`,
      "m",
    ),
  );

  Deno.writeFileSync(pack, new Uint8Array([...original, 0]));
  const lengthened = await f.kept(["check"]);
  assert.equal(lengthened.code, 1, lengthened.stdout + lengthened.stderr);
  assert.match(lengthened.stdout, new RegExp(`^error: pack ${name}: unexpected size ${size + 1} bytes`, "m"));

  Deno.writeFileSync(pack, original);
  await f.keptOk(["check"]);
});
