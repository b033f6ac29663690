// Damage to stored data is found, located and never restored silently.

import assert from "node:assert/strict";
import { writeRandomFile } from "../_support/random_bytes.ts";
import { type Fixture, makeFixture, packFiles } from "../_support/fixture.ts";

/** A repository with two plans whose data lands in separate packs: `victim` (damaged) and `bystander`. */
async function twoPlans(): Promise<{ fixture: Fixture; victim: string; bystander: string }> {
  const fixture = await makeFixture((root) => ({
    victim: { sources: [`${root}/victim`] },
    bystander: { sources: [`${root}/bystander`] },
  }));
  const victim = `${fixture.root}/victim/data.bin`;
  const bystander = `${fixture.root}/bystander/other.bin`;
  Deno.mkdirSync(`${fixture.root}/victim`);
  Deno.mkdirSync(`${fixture.root}/bystander`);
  writeRandomFile(victim, 3_000_000, 1);
  Deno.writeTextFileSync(`${fixture.root}/victim/empty`, "");
  writeRandomFile(bystander, 2_000_000, 2);
  return { fixture, victim, bystander };
}

/** The pack holding a plan's file data: the only pack that appeared during its backup and is large. */
async function backupAndFindDataPack(
  fixture: Fixture,
  plan: string,
): Promise<{ pack: string; snapshot: string }> {
  const before = new Set(packFiles(fixture.repo));
  const result = await fixture.backup(plan);
  const added = packFiles(fixture.repo).filter((p) => !before.has(p));
  const data = added.filter((p) => Deno.statSync(p).size > 1_000_000);
  assert.equal(data.length, 1, `expected one data pack, found ${added.length} new packs`);
  return { pack: data[0]!, snapshot: result.snapshotId! };
}

function flipByte(path: string, offset: number): void {
  const bytes = Deno.readFileSync(path);
  const at = offset < 0 ? bytes.length + offset : offset;
  bytes[at]! ^= 0x01;
  // Pack files are read-only for their owner's safety only when the backend chose so; as root it does not matter.
  Deno.writeFileSync(path, bytes);
}

function packId(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

Deno.test("check --read-data finds one flipped byte anywhere in a pack and names the pack and what it damages", async (t) => {
  const { fixture, victim, bystander } = await twoPlans();
  try {
    const before = new Set(packFiles(fixture.repo));
    const { pack, snapshot } = await backupAndFindDataPack(fixture, "victim");
    const treePack = packFiles(fixture.repo).find((p) => !before.has(p) && p !== pack)!;
    await backupAndFindDataPack(fixture, "bystander");
    const clean = await fixture.kept(["check", "--read-data"]);
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);

    const size = Deno.statSync(pack).size;
    const folder = victim.slice(0, victim.lastIndexOf("/"));
    // Where the byte is, and what check must then name as damaged (undefined: no file, the blobs are intact).
    const positions: [string, string, number, string | undefined][] = [
      ["in the first data blob", pack, 100, victim],
      ["in the middle of the data", pack, Math.floor(size / 2), victim],
      ["in the header", pack, -40, undefined],
      ["in the trailer (header length)", pack, -2, undefined],
      // The first tree stored is the deepest folder's.
      ["in a folder listing", treePack, 60, `${folder} (folder listing)`],
    ];
    for (const [where, file, offset, damaged] of positions) {
      await t.step(where, async () => {
        flipByte(file, offset);
        try {
          const result = await fixture.kept(["check", "--read-data"]);
          assert.equal(result.code, 1, result.stdout + result.stderr);
          assert.match(result.stdout, new RegExp(`^error: pack ${packId(file)}: `, "m"));
          if (damaged) {
            const line = `error: snapshot ${
              snapshot.slice(0, 12)
            } has damaged or missing data in: ${damaged}`;
            assert.ok(result.stdout.split("\n").includes(line), `expected "${line}" in:\n${result.stdout}`);
          } else {
            assert.doesNotMatch(result.stdout, /has damaged or missing data/);
          }
          assert.doesNotMatch(result.stdout, new RegExp(bystander), "an undamaged file was reported");
          assert.doesNotMatch(result.stderr, /internal error|^ {4}at /m);
        } finally {
          flipByte(file, offset);
        }
      });
    }
    const repaired = await fixture.kept(["check", "--read-data"]);
    assert.equal(repaired.code, 0, "flipping the bytes back must make the repository clean again");
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("check without --read-data fails when a pack is missing, and names the file", async () => {
  const { fixture, victim } = await twoPlans();
  try {
    const { pack } = await backupAndFindDataPack(fixture, "victim");
    await backupAndFindDataPack(fixture, "bystander");
    Deno.removeSync(pack);
    const result = await fixture.kept(["check"]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, new RegExp(`pack ${packId(pack)} is in the index but missing`));
    assert.match(result.stdout, new RegExp(victim));
    assert.match(result.stdout, /0 read|packs\n/);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("check --json prints the typed problems, and the worded lines and damage summary it always printed", async () => {
  const { fixture, victim } = await twoPlans();
  try {
    const { pack, snapshot } = await backupAndFindDataPack(fixture, "victim");
    await backupAndFindDataPack(fixture, "bystander");
    flipByte(pack, 100);
    const text = await fixture.kept(["check", "--read-data"]);
    const result = await fixture.kept(["check", "--read-data", "--json"]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    const report = JSON.parse(result.stdout);
    const id = packId(pack);
    assert.equal(report.ok, false);
    assert.equal(report.destination, "local");
    assert.equal(report.packs_read, report.packs);
    assert.deepEqual(report.read_packs.length, report.packs);
    const damaged = report.problems.find((problem: { kind: string }) => problem.kind === "pack-damaged");
    assert.equal(damaged.pack, id);
    assert.equal(damaged.severity, "error");
    assert.equal(damaged.damaged_blobs.length, 1);
    assert.equal(damaged.hash_mismatch, true);
    assert.equal(damaged.header_damaged, false);
    assert.deepEqual(
      report.problems.find((problem: { kind: string }) => problem.kind === "snapshot-damaged"),
      { kind: "snapshot-damaged", severity: "error", snapshot, paths: [{ path: victim, what: "file" }] },
    );
    // What --json printed before the problems were typed, and the same lines as the text output.
    assert.deepEqual(report.damaged_packs, [id]);
    assert.deepEqual(report.affected, { [snapshot]: [victim] });
    assert.deepEqual(report.warnings, []);
    assert.deepEqual(
      report.errors.map((line: string) => `error: ${line}`),
      text.stdout.split("\n").filter((line) => line.startsWith("error: ")),
    );
    assert.equal(
      report.errors[0],
      `pack ${id}: blob ${damaged.damaged_blobs[0].slice(0, 12)} is damaged; ` +
        "content does not match its name (SHA-256)",
    );
  } finally {
    await fixture.cleanup();
  }
});

/** The damaged file is absent (also as a partial copy); its undamaged neighbour was restored. */
function assertOnlyTheOthersRestored(out: string, victim: string): void {
  const folder = `${out}${victim.slice(0, victim.lastIndexOf("/"))}`;
  assert.deepEqual([...Deno.readDirSync(folder)].map((e) => e.name), ["empty"]);
}

Deno.test("restoring a damaged file fails loudly, leaves nothing under its name and restores the rest", async (t) => {
  const { fixture, victim } = await twoPlans();
  try {
    const { pack } = await backupAndFindDataPack(fixture, "victim");
    await t.step("a flipped byte in its data", async () => {
      flipByte(pack, 100);
      try {
        const out = `${fixture.root}/out-flipped`;
        const result = await fixture.kept(["restore", "latest", "--target", out]);
        assert.notEqual(result.code, 0);
        assert.match(result.stderr, new RegExp(`^error: ${victim}: Blob \\w+ in pack \\w+ is damaged$`, "m"));
        assert.match(result.stderr, /^kept: Restore incomplete: 1 entry could not be restored$/m);
        assert.doesNotMatch(result.stderr, /internal error|^ {4}at /m);
        assertOnlyTheOthersRestored(out, victim);
      } finally {
        flipByte(pack, 100);
      }
    });
    await t.step("its pack deleted", async () => {
      Deno.removeSync(pack);
      const out = `${fixture.root}/out-missing`;
      const result = await fixture.kept(["restore", "latest", "--target", out]);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, new RegExp(`^error: ${victim}: .*missing`, "m"));
      assert.doesNotMatch(result.stderr, /internal error|^ {4}at /m);
      assertOnlyTheOthersRestored(out, victim);
    });
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("a wrong password is a one-line error with restic's exit code 12", async () => {
  const fixture = await makeFixture((root) => ({ p: { sources: [root] } }), { passwordInConfig: false });
  try {
    for (const args of [["snapshots"], ["backup", "p"], ["check"]]) {
      const result = await fixture.kept(args, { env: { KEPT_PASSWORD: "not the password" } });
      // backup and snapshots too: their only destination failed with it.
      assert.equal(result.code, 12, `${args.join(" ")}: ${result.stderr}`);
      const lines = result.stderr.trimEnd().split("\n");
      // backup and snapshots name the destination: with several, the others go on.
      assert.match(lines[0]!, /^kept: (destination "local": )?Cannot open repository at .*: wrong password$/);
      assert.ok(lines.length <= 2 && (lines[1] ?? "hint:").startsWith("hint:"), result.stderr);
      assert.equal(result.stdout, "");
    }
    const right = await fixture.kept(["snapshots"], {
      env: { KEPT_PASSWORD: "correct horse battery staple" },
    });
    assert.equal(right.code, 0, right.stderr);
  } finally {
    await fixture.cleanup();
  }
});
