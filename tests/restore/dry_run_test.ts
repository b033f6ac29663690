// `kept restore --dry-run` says what a restore would do, entry by entry, and writes nothing; `--json` says the
// same (and a real restore's summary) as JSON lines of a fixed shape (docs/restore.md#json).

import assert from "node:assert/strict";
import { assertSameTree, scanTree } from "../_support/tree_differ.ts";
import { type Fixture, makeFixture, parseLines } from "../_support/fixture.ts";

async function sourceFixture(): Promise<{ fixture: Fixture; src: string }> {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  const src = `${fixture.root}/src`;
  Deno.mkdirSync(`${src}/docs/deep`, { recursive: true });
  Deno.mkdirSync(`${src}/bin`);
  Deno.writeTextFileSync(`${src}/a.txt`, "alpha\n");
  Deno.writeTextFileSync(`${src}/docs/readme.md`, "# read me\n");
  Deno.writeTextFileSync(`${src}/docs/notes.txt`, "notes\n");
  Deno.writeTextFileSync(`${src}/docs/deep/x.txt`, "deep\n");
  Deno.writeTextFileSync(`${src}/bin/tool`, "#!/bin/sh\necho tool\n");
  Deno.symlinkSync("a.txt", `${src}/link`);
  await fixture.backup("p");
  return { fixture, src };
}

/** The listing's lines as "MARKER PATH" (problems cut off after the path), without the summary line. */
function listing(stdout: string): string[] {
  return stdout.trimEnd().split("\n").filter((line) => !line.startsWith("would restore"))
    .map((line) => line.replace(/^(. [^:]*): .*$/, "$1")).sort();
}

Deno.test("restore --dry-run lists every entry it would create and writes nothing, not even the target", async () => {
  const { fixture, src } = await sourceFixture();
  try {
    const out = `${fixture.root}/out/nested`;
    const result = await fixture.kept(["restore", "latest", "--target", out, "--dry-run"]);
    assert.equal(result.code, 0, result.stderr);
    const folders = src.split("/").slice(1).map((_, i, parts) => `+ /${parts.slice(0, i + 1).join("/")}/`);
    assert.deepEqual(
      listing(result.stdout),
      [
        ...folders,
        `+ ${src}/a.txt`,
        `+ ${src}/bin/`,
        `+ ${src}/bin/tool`,
        `+ ${src}/docs/`,
        `+ ${src}/docs/deep/`,
        `+ ${src}/docs/deep/x.txt`,
        `+ ${src}/docs/notes.txt`,
        `+ ${src}/docs/readme.md`,
        `+ ${src}/link`,
      ].sort(),
    );
    // Each folder is listed before what is in it.
    const lines = result.stdout.split("\n");
    assert.ok(lines.indexOf(`+ ${src}/docs/`) < lines.indexOf(`+ ${src}/docs/readme.md`));
    assert.match(
      result.stdout,
      new RegExp(
        `^would restore snapshot [0-9a-f]{12} into ${out}: 6 files, ${folders.length + 3} folders, `,
        "m",
      ),
    );
    assert.throws(() => Deno.lstatSync(`${fixture.root}/out`), Deno.errors.NotFound);
  } finally {
    await fixture.cleanup();
  }
});

/** A restored copy that was changed since: one file gone, one edited, a folder where a file was, a file where a folder was. */
async function partlyRestored(fixture: Fixture, src: string): Promise<string> {
  const out = `${fixture.root}/out`;
  await fixture.keptOk(["restore", "latest", "--target", out]);
  const restored = `${out}${src}`;
  Deno.removeSync(`${restored}/docs/deep/x.txt`);
  Deno.writeFileSync(`${restored}/docs/deep/x.txt.kept-partial`, new Uint8Array(3)); // an interrupted write
  Deno.writeTextFileSync(`${restored}/a.txt`, "ALPHA\n");
  Deno.removeSync(`${restored}/docs/notes.txt`);
  Deno.mkdirSync(`${restored}/docs/notes.txt`);
  Deno.removeSync(`${restored}/bin`, { recursive: true });
  Deno.writeTextFileSync(`${restored}/bin`, "not a folder\n");
  return out;
}

Deno.test("a dry run over a partly restored target tells what it would skip, create, replace and refuse", async () => {
  const { fixture, src } = await sourceFixture();
  try {
    const out = await partlyRestored(fixture, src);
    const before = scanTree(out);
    const folders = src.split("/").slice(1).map((_, i, parts) => `= /${parts.slice(0, i + 1).join("/")}/`);

    const refused = await fixture.kept(["restore", "latest", "--target", out, "--dry-run"]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.deepEqual(
      listing(refused.stdout),
      [
        ...folders,
        `! ${src}/a.txt`,
        `! ${src}/bin/`, // and nothing below it: it cannot be walked into
        `= ${src}/docs/`,
        `= ${src}/docs/deep/`,
        `+ ${src}/docs/deep/x.txt`,
        `! ${src}/docs/notes.txt`,
        `= ${src}/docs/readme.md`,
        `= ${src}/link`,
      ].sort(),
    );
    assert.match(refused.stdout, new RegExp(`^! ${src}/a.txt: exists and differs .*--overwrite`, "m"));
    assert.match(refused.stdout, new RegExp(`^! ${src}/bin/: exists and is not a folder`, "m"));
    assert.match(refused.stdout, /: 1 file, \d+ folders, 5 B \(2 already present\)$/m);
    assert.match(refused.stderr, /^kept: Restore would be incomplete: 3 entries would not be restored$/m);

    const overwrite = await fixture.kept(["restore", "latest", "--target", out, "--dry-run", "--overwrite"]);
    assert.equal(overwrite.code, 0, overwrite.stderr);
    const marks = listing(overwrite.stdout).filter((line) => !line.startsWith("="));
    assert.deepEqual(marks, [
      `+ ${src}/bin/tool`, // below a folder that replaces a file: nothing there to look at
      `+ ${src}/docs/deep/x.txt`,
      `M ${src}/a.txt`,
      `M ${src}/bin/`,
      `M ${src}/docs/notes.txt`,
    ]);
    assert.match(overwrite.stdout, /: 4 files, \d+ folders, 37 B \(2 already present, 3 replaced\)$/m);
    assertSameTree(before, scanTree(out)); // neither dry run touched the target

    const done = await fixture.kept(["restore", "latest", "--target", out, "--overwrite"]);
    assert.equal(done.code, 0, done.stderr);
    assert.match(
      done.stdout,
      /^restored snapshot \w+: 4 files, \d+ folders, 37 B \(2 already present, 3 replaced\)$/m,
    );
    assertSameTree(src, `${out}${src}`);
    assert.throws(() => Deno.lstatSync(`${out}${src}/docs/deep/x.txt.kept-partial`), Deno.errors.NotFound);
  } finally {
    await fixture.cleanup();
  }
});

/** The keys and value types of the JSON lines (docs/restore.md#json). */
const SUMMARY_KEYS = [
  "bytes",
  "dirs",
  "dry_run",
  "files",
  "message_type",
  "problems",
  "replaced",
  "skipped",
  "snapshot_id",
  "target",
];

Deno.test("restore --json prints one object per entry (dry run) or per problem, then a summary", async () => {
  const { fixture, src } = await sourceFixture();
  try {
    const fresh = `${fixture.root}/fresh`;
    const planned = await fixture.kept(["restore", "latest", "--target", fresh, "--dry-run", "--json"]);
    assert.equal(planned.code, 0, planned.stderr);
    const lines = parseLines<Record<string, unknown>>(planned.stdout);
    const summary = lines.at(-1)!;
    assert.deepEqual(Object.keys(summary).sort(), SUMMARY_KEYS);
    assert.equal(summary.message_type, "summary");
    assert.equal(summary.dry_run, true);
    assert.match(String(summary.snapshot_id), /^[0-9a-f]{64}$/);
    assert.deepEqual({ ...summary, snapshot_id: "" }, {
      message_type: "summary",
      dry_run: true,
      snapshot_id: "",
      target: fresh,
      files: 6,
      dirs: src.split("/").length - 1 + 3,
      bytes: 6 + 10 + 6 + 5 + 20,
      skipped: 0,
      replaced: 0,
      problems: 0,
    });
    const entries = lines.slice(0, -1);
    assert.ok(entries.every((line) => line.message_type === "entry" && line.action === "create"));
    assert.deepEqual(entries.find((line) => line.path === `${src}/a.txt`), {
      message_type: "entry",
      action: "create",
      path: `${src}/a.txt`,
      type: "file",
      target: `${fresh}${src}/a.txt`,
      size: 6,
    });
    assert.deepEqual(entries.find((line) => line.path === `${src}/link`), {
      message_type: "entry",
      action: "create",
      path: `${src}/link`,
      type: "symlink",
      target: `${fresh}${src}/link`,
    });
    assert.throws(() => Deno.lstatSync(fresh), Deno.errors.NotFound);

    // A real restore lists nothing when all goes well: only its summary.
    const restored = await fixture.kept(["restore", "latest", "--target", fresh, "--json"]);
    assert.equal(restored.code, 0, restored.stderr);
    const [only, ...more] = parseLines<Record<string, unknown>>(restored.stdout);
    assert.deepEqual(more, []);
    assert.deepEqual({ ...only, snapshot_id: "" }, { ...summary, dry_run: false, snapshot_id: "" });

    // What it could not restore comes as entries, with a reason the caller can word.
    Deno.writeTextFileSync(`${fresh}${src}/a.txt`, "ALPHA\n");
    const refused = await fixture.kept(["restore", "latest", "--target", fresh, "--json"]);
    assert.equal(refused.code, 1, refused.stderr);
    const [problem, last] = parseLines<Record<string, unknown>>(refused.stdout);
    assert.deepEqual(problem, {
      message_type: "entry",
      action: "refuse",
      reason: "differs",
      path: `${src}/a.txt`,
      type: "file",
      target: `${fresh}${src}/a.txt`,
      size: 6,
    });
    assert.equal(last?.problems, 1);
    assert.equal(last?.skipped, 6 - 1);
    assert.match(refused.stderr, /^kept: Restore incomplete: 1 entry could not be restored$/m);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("with --include, a folder in the way of nothing that matches is no problem, dry run or not", async () => {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  try {
    const src = `${fixture.root}/src`;
    Deno.mkdirSync(`${src}/e`, { recursive: true });
    Deno.writeTextFileSync(`${src}/a.txt`, "alpha\n");
    await fixture.backup("p");
    const out = `${fixture.root}/out`;
    // A file where the snapshot has the empty folder src/e.
    Deno.mkdirSync(`${out}${src}`, { recursive: true });
    Deno.writeTextFileSync(`${out}${src}/e`, "in the way\n");
    const dry = await fixture.kept(["restore", "latest", "--target", out, "--include", "*.txt", "--dry-run"]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.doesNotMatch(dry.stdout, /^! /m);
    assert.match(dry.stdout, new RegExp(`^\\+ ${src}/a\\.txt$`, "m"));
    const real = await fixture.kept(["restore", "latest", "--target", out, "--include", "*.txt"]);
    assert.equal(real.code, 0, real.stderr);
    assert.equal(real.stderr, "");
    assert.equal(Deno.readTextFileSync(`${out}${src}/a.txt`), "alpha\n");
    assert.equal(Deno.readTextFileSync(`${out}${src}/e`), "in the way\n");
    // Asked for by a pattern, the folder is refused as before.
    const named = await fixture.kept(["restore", "latest", "--target", out, "--include", "e"]);
    assert.equal(named.code, 1);
    assert.match(named.stderr, /\/e\/: .* exists and is not a folder \(use --overwrite to replace it\)/);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("restore --dry-run into a dangling symlink fails as the restore would, and writes nothing", async () => {
  const { fixture } = await sourceFixture();
  try {
    Deno.symlinkSync(`${fixture.root}/nowhere`, `${fixture.root}/out`);
    for (const target of [`${fixture.root}/out`, `${fixture.root}/out/below`]) {
      const dry = await fixture.kept(["restore", "latest", "--target", target, "--dry-run"]);
      const real = await fixture.kept(["restore", "latest", "--target", target]);
      assert.equal(real.code, 1, real.stderr);
      assert.match(real.stderr, new RegExp(`^kept: Cannot create "${target}": .*symlink`));
      assert.deepEqual({ code: dry.code, stdout: dry.stdout, stderr: dry.stderr }, { ...real, stdout: "" });
    }
    assert.throws(() => Deno.lstatSync(`${fixture.root}/nowhere`), Deno.errors.NotFound);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("a target that is a symlink to a folder is the caller's path: the restore goes into that folder", async () => {
  const { fixture, src } = await sourceFixture();
  try {
    Deno.mkdirSync(`${fixture.root}/big-disk`);
    Deno.symlinkSync(`${fixture.root}/big-disk`, `${fixture.root}/out`);
    const restored = await fixture.kept(["restore", "latest", "--target", `${fixture.root}/out`, "--json"]);
    assert.equal(restored.code, 0, restored.stderr);
    assert.equal(Deno.readTextFileSync(`${fixture.root}/big-disk${src}/a.txt`), "alpha\n");
    const summary = JSON.parse(restored.stdout.trim().split("\n").at(-1)!);
    assert.equal(summary.target, `${fixture.root}/big-disk`);
  } finally {
    await fixture.cleanup();
  }
});
