// `kept repair snapshots` through the CLI: after a lost pack and `repair index`, a snapshot that needed it
// is replaced by one without what is lost (a file cut where its data ends, a folder whose tree is gone made
// empty), tagged "repaired"; --forget removes the damaged one; --dry-run writes nothing.

import assert from "node:assert/strict";
import { writeRandomFile } from "../_support/random_bytes.ts";
import { type Fixture, makeFixture, packFiles } from "../_support/fixture.ts";

interface SnapshotJson {
  id: string;
  tags: string[];
  stats: { files: number; dirs: number; bytes: number; new_files: number };
}

async function snapshotsOf(fixture: Fixture): Promise<SnapshotJson[]> {
  return JSON.parse((await fixture.keptOk(["snapshots", "--json"])).stdout) as SnapshotJson[];
}

/** Backs up `x.bin`, then `x.bin` and `y.bin` (x's bytes and more): y's tail lies in the second backup's pack. */
async function twoBackups(): Promise<{ fixture: Fixture; src: string; tailPack: string }> {
  const fixture = await makeFixture((root) => ({ files: { sources: [`${root}/src`] } }));
  const src = `${fixture.root}/src`;
  Deno.mkdirSync(src);
  writeRandomFile(`${src}/x.bin`, 3_000_000, 1);
  await fixture.backup("files");
  const before = new Set(packFiles(fixture.repo));
  const x = Deno.readFileSync(`${src}/x.bin`);
  writeRandomFile(`${src}/tail.tmp`, 2_000_000, 2);
  const y = new Uint8Array(x.length + 2_000_000);
  y.set(x);
  y.set(Deno.readFileSync(`${src}/tail.tmp`), x.length);
  Deno.removeSync(`${src}/tail.tmp`);
  Deno.writeFileSync(`${src}/y.bin`, y);
  await fixture.backup("files");
  const tailPack = packFiles(fixture.repo).filter((p) => !before.has(p)).find((p) =>
    Deno.statSync(p).size > 1_000_000
  )!;
  return { fixture, src, tailPack };
}

Deno.test("repair snapshots cuts a file where its lost data starts, tags the replacement, and --forget removes the damaged one", async () => {
  const { fixture, src, tailPack } = await twoBackups();
  try {
    Deno.removeSync(tailPack);
    await fixture.keptOk(["repair", "index"]);
    const [first, second] = await snapshotsOf(fixture);

    const repaired = await fixture.keptOk(["repair", "snapshots", "--forget"]);
    assert.match(
      repaired.stdout,
      new RegExp(`local: snapshot ${second!.id.slice(0, 8)} \\(files, [^)]+\\) lost:`),
    );
    assert.match(
      repaired.stdout,
      new RegExp(`  file ${src}/y\\.bin: cut from 4\\.77 MiB to [\\d.]+ MiB\\n`),
    );
    assert.match(repaired.stdout, /local: 1 damaged snapshot repaired, 1 intact/);

    const after = await snapshotsOf(fixture);
    assert.deepEqual(after.map((s) => s.id).includes(second!.id), false, "--forget removed the damaged one");
    const replacement = after.find((s) => s.id !== first!.id)!;
    assert.ok(replacement.tags.includes("repaired"));
    // Its files, folders and bytes are what it keeps; the other stats are the original backup's.
    assert.equal(replacement.stats.files, second!.stats.files);
    assert.equal(replacement.stats.dirs, second!.stats.dirs);
    assert.equal(replacement.stats.new_files, second!.stats.new_files);
    await fixture.keptOk(["check", "--read-data"]);

    const out = `${fixture.root}/out`;
    await fixture.keptOk(["restore", replacement.id, "--target", out]);
    const y = Deno.readFileSync(`${src}/y.bin`);
    const cut = Deno.readFileSync(`${out}${src}/y.bin`);
    assert.ok(cut.length > 0 && cut.length < 3_000_000, `${cut.length} bytes kept`);
    assert.deepEqual(cut, y.subarray(0, cut.length), "what is kept is the file's start");
    const x = Deno.statSync(`${src}/x.bin`).size;
    assert.equal(second!.stats.bytes, x + y.length);
    assert.equal(replacement.stats.bytes, x + cut.length, "the bytes lost are no longer counted");
    assert.deepEqual(Deno.readFileSync(`${out}${src}/x.bin`), Deno.readFileSync(`${src}/x.bin`));
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("without --forget the damaged snapshot stays, and check still names it", async () => {
  const { fixture, tailPack } = await twoBackups();
  try {
    Deno.removeSync(tailPack);
    await fixture.keptOk(["repair", "index"]);
    const repaired = await fixture.keptOk(["repair", "snapshots", "--json"]);
    const outcome = JSON.parse(repaired.stdout);
    assert.equal(outcome.repaired.length, 1);
    assert.equal(outcome.repaired[0].removed, false);
    assert.equal(outcome.repaired[0].losses[0].kind, "file");
    assert.equal((await snapshotsOf(fixture)).length, 3);
    assert.equal((await fixture.kept(["check"])).code, 1);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("a folder whose tree is lost becomes empty; --dry-run only reports it", async () => {
  const fixture = await makeFixture((root) => ({ files: { sources: [`${root}/src`] } }));
  try {
    Deno.mkdirSync(`${fixture.root}/src`);
    Deno.writeTextFileSync(`${fixture.root}/src/a.txt`, "hello\n");
    await fixture.backup("files");
    const repository = await fixture.open();
    await repository.loadIndex();
    const [entry] = await repository.listSnapshots();
    const treePack = repository.index.lookup(entry!.snapshot.tree)!.pack;
    Deno.removeSync(packFiles(fixture.repo).find((path) => path.endsWith(treePack))!);
    await fixture.keptOk(["repair", "index"]);

    const snapshots = await snapshotsOf(fixture);
    const dry = await fixture.keptOk(["repair", "snapshots", "--dry-run"]);
    assert.match(dry.stdout, / {2}folder \/: cannot be read, now empty\n/);
    assert.match(dry.stdout, /local: 1 damaged snapshot found, 0 intact/);
    assert.deepEqual(await snapshotsOf(fixture), snapshots, "a dry run writes nothing");

    await fixture.keptOk(["repair", "snapshots", "--forget"]);
    const [replacement] = await snapshotsOf(fixture);
    assert.equal(snapshots[0]!.stats.files, 1);
    assert.deepEqual(
      [replacement!.stats.files, replacement!.stats.dirs, replacement!.stats.bytes],
      [0, 0, 0],
      "an empty snapshot counts nothing",
    );
    const out = `${fixture.root}/out`;
    await fixture.keptOk(["restore", replacement!.id, "--target", out]);
    assert.deepEqual([...Deno.readDirSync(out)], []);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("repair snapshots refuses while the index does not match the packs stored: an index file lost, a pack lost", async () => {
  const { fixture, tailPack } = await twoBackups();
  try {
    // An index file gone: its packs are stored but in no index, and snapshots seem to lack their data.
    const indexFiles = [...Deno.readDirSync(`${fixture.repo}/index`)].map((e) =>
      `${fixture.repo}/index/${e.name}`
    );
    Deno.removeSync(indexFiles[0]!);
    const refused = await fixture.kept(["repair", "snapshots", "--forget"]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(
      refused.stderr,
      /the index does not match the packs stored \(\d+ packs? stored but in no index\)/,
    );
    assert.match(refused.stderr, /kept repair index/);
    const dry = await fixture.kept(["repair", "snapshots", "--dry-run"]);
    assert.match(dry.stderr, /^warning: .*the index does not match the packs stored/m);
    assert.equal((await snapshotsOf(fixture)).length, 2, "nothing written or removed");
    // repair index finds it all again: nothing to repair.
    await fixture.keptOk(["repair", "index"]);
    await fixture.keptOk(["check"]);

    // An indexed pack gone: refused until repair index has dropped it.
    Deno.removeSync(tailPack);
    const missing = await fixture.kept(["repair", "snapshots"]);
    assert.equal(missing.code, 1, missing.stderr);
    assert.match(missing.stderr, /1 indexed pack missing\): until it does, a repair of snapshots takes data/);
    // A dry run says the same, and what to run first, rather than that nothing is damaged.
    const dryMissing = await fixture.kept(["repair", "snapshots", "--dry-run"]);
    assert.match(dryMissing.stderr, /^warning: .*data gone for intact\nhint: run `kept repair index` first/m);
    await fixture.keptOk(["repair", "index"]);
    await fixture.keptOk(["repair", "snapshots", "--forget"]);
  } finally {
    await fixture.cleanup();
  }
});
