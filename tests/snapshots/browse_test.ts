// snapshots, ls and diff show what a repository holds without restoring it.

import assert from "node:assert/strict";
import { makeFixture, parseLines } from "../_support/fixture.ts";

interface SnapshotRow {
  id: string;
  time: string;
  plan: string;
  destination: string;
  host: string;
  tags: string[];
  paths: string[];
  parent: string | null;
  stats: Record<string, number>;
}

Deno.test("snapshots --json, ls and diff describe two backups and what changed between them", async (t) => {
  const fixture = await makeFixture((root) => ({
    p: { sources: [`${root}/src`], tags: ["nightly", "web"] },
  }));
  const src = `${fixture.root}/src`;
  try {
    Deno.mkdirSync(`${src}/dir`, { recursive: true });
    Deno.mkdirSync(`${src}/locked`, { mode: 0o755 });
    Deno.mkdirSync(`${src}/stamped`);
    Deno.writeTextFileSync(`${src}/a.txt`, "first\n");
    Deno.writeTextFileSync(`${src}/b.txt`, "doomed\n");
    Deno.writeTextFileSync(`${src}/dir/c.txt`, "c\n");
    Deno.symlinkSync("a.txt", `${src}/link`);
    const first = await fixture.backup("p");

    Deno.writeTextFileSync(`${src}/a.txt`, "second version\n");
    Deno.removeSync(`${src}/b.txt`);
    Deno.writeTextFileSync(`${src}/dir/new.txt`, "new\n");
    Deno.mkdirSync(`${src}/newdir`);
    Deno.writeTextFileSync(`${src}/newdir/x`, "x\n");
    Deno.chmodSync(`${src}/dir/c.txt`, 0o600);
    // Deno reports ctime in whole seconds only: change the mtime too so that the file is surely read again.
    Deno.utimeSync(`${src}/dir/c.txt`, 1_000_000, 1_000_000);
    Deno.removeSync(`${src}/link`);
    Deno.symlinkSync("dir/c.txt", `${src}/link`);
    Deno.chmodSync(`${src}/locked`, 0o700);
    Deno.utimeSync(`${src}/stamped`, 1_000_000, 1_000_000); // a folder's time alone is not listed
    const second = await fixture.backup("p");

    await t.step("snapshots --json lists both with their metadata and statistics", async () => {
      const rows = JSON.parse((await fixture.keptOk(["snapshots", "--json"])).stdout) as SnapshotRow[];
      assert.deepEqual(rows.map((r) => r.id), [first.snapshotId, second.snapshotId]);
      for (const row of rows) {
        assert.match(row.id, /^[0-9a-f]{64}$/);
        assert.ok(!Number.isNaN(Date.parse(row.time)) && row.time.endsWith("Z"), row.time);
        assert.equal(row.plan, "p");
        assert.equal(row.destination, "local");
        assert.equal(row.host, Deno.hostname());
        assert.deepEqual(row.tags, ["nightly", "web"]);
        assert.deepEqual(row.paths, [src]);
        for (
          const key of [
            "files",
            "dirs",
            "bytes",
            "new_files",
            "changed_files",
            "unchanged_files",
            "added_blobs",
          ]
        ) {
          assert.equal(typeof row.stats[key], "number", `stats.${key}`);
        }
      }
      assert.equal(rows[0]!.parent, null);
      assert.equal(rows[1]!.parent, first.snapshotId);
      assert.ok(rows[0]!.time <= rows[1]!.time);
      assert.equal(rows[0]!.stats.files, 3);
      assert.equal(rows[1]!.stats.files, 4);
      assert.equal(rows[1]!.stats.changed_files, 2, "a.txt changed content, dir/c.txt its mode and time");
      assert.equal(rows[1]!.stats.new_files, 2);
      assert.equal(rows[1]!.stats.unchanged_files, 0);
    });

    await t.step("ls lists every entry below a path, as text and as JSON", async () => {
      const text = (await fixture.keptOk(["ls", first.snapshotId!.slice(0, 8), src])).stdout;
      const lines = text.trimEnd().split("\n");
      assert.deepEqual(lines.map((line) => line.slice(line.indexOf(" /") + 1)), [
        src,
        `${src}/a.txt`,
        `${src}/b.txt`,
        `${src}/dir`,
        `${src}/dir/c.txt`,
        `${src}/link -> a.txt`,
        `${src}/locked`,
        `${src}/stamped`,
      ]);
      assert.match(lines[1]!, /^-rw-r--r-- +6 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC /);
      assert.match(lines[3]!, /^drwxr-xr-x /);
      assert.match(lines[5]!, /^lrwxrwxrwx /);

      const entries = parseLines<{ path: string; type: string; size?: number; target?: string }>(
        (await fixture.keptOk(["ls", "latest", `${src}/dir`, "--json"])).stdout,
      );
      assert.deepEqual(entries.map((e) => [e.path, e.type, e.size]), [
        [`${src}/dir`, "dir", undefined],
        [`${src}/dir/c.txt`, "file", 2],
        [`${src}/dir/new.txt`, "file", 4],
      ]);
    });

    await t.step("diff shows added, removed and modified paths, and folders whose mode changed", async () => {
      const json = parseLines<{ change: string; path: string }>(
        (await fixture.keptOk(["diff", first.snapshotId!, second.snapshotId!, "--json"])).stdout,
      );
      assert.deepEqual(json.map((c) => `${c.change} ${c.path.slice(src.length)}`), [
        "modified /a.txt",
        "removed /b.txt",
        "modified /dir/c.txt",
        "added /dir/new.txt",
        "modified /link",
        "modified /locked",
        "added /newdir",
        "added /newdir/x",
      ]);
      const text = await fixture.keptOk(["diff", first.snapshotId!.slice(0, 12), "latest"]);
      assert.match(text.stdout, new RegExp(`^M  ${src}/a.txt$`, "m"));
      assert.match(text.stdout, new RegExp(`^-  ${src}/b.txt$`, "m"));
      assert.match(text.stdout, new RegExp(`^\\+  ${src}/newdir/x$`, "m"));
      assert.match(text.stdout, new RegExp(`^M  ${src}/locked$`, "m"));
      assert.match(text.stderr, /8 changes/);

      const same = await fixture.keptOk(["diff", "latest", "latest"]);
      assert.equal(same.stdout, "");
      assert.match(same.stderr, /0 changes/);
    });
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("ls and diff write names with newlines, tabs and backslashes one line each, escaped; --json keeps them", async () => {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  const src = `${fixture.root}/src`;
  try {
    Deno.mkdirSync(src);
    Deno.writeTextFileSync(`${src}/two\nlines`, "x");
    Deno.writeTextFileSync(`${src}/tab\there`, "x");
    Deno.writeTextFileSync(`${src}/back\\slash`, "x");
    const first = await fixture.backup("p");
    const text = (await fixture.keptOk(["ls", "latest", src])).stdout;
    const lines = text.trimEnd().split("\n");
    assert.equal(lines.length, 4, `one line per entry:\n${text}`);
    assert.ok(lines.some((line) => line.endsWith(`${src}/two\\nlines`)));
    assert.ok(lines.some((line) => line.endsWith(`${src}/tab\\there`)));
    assert.ok(lines.some((line) => line.endsWith(`${src}/back\\\\slash`)));
    const json = parseLines<{ path: string }>((await fixture.keptOk(["ls", "latest", src, "--json"])).stdout);
    assert.ok(json.some((entry) => entry.path === `${src}/two\nlines`), "JSON keeps the exact name");

    Deno.removeSync(`${src}/two\nlines`);
    const second = await fixture.backup("p");
    const diff = (await fixture.keptOk(["diff", first.snapshotId!, second.snapshotId!])).stdout;
    assert.equal(diff, `-  ${src}/two\\nlines\n`);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("diff sees what a restore would set: a time that moved by nanoseconds, and extended attributes", async () => {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  const src = `${fixture.root}/src`;
  try {
    Deno.mkdirSync(`${src}/folder`, { recursive: true });
    for (const name of ["ns.txt", "xattr.txt", "same.txt"]) Deno.writeTextFileSync(`${src}/${name}`, name);
    const touch = (path: string, ns: string) =>
      new Deno.Command("touch", { args: ["-m", "-d", `@1700000000.${ns}`, path] }).outputSync();
    touch(`${src}/ns.txt`, "000000100");
    const setXattr = (path: string, value: string) =>
      new Deno.Command("python3", {
        args: [
          "-c",
          "import os, sys; os.setxattr(sys.argv[1], b'user.note', sys.argv[2].encode())",
          path,
          value,
        ],
      }).outputSync().success;
    if (!setXattr(`${src}/xattr.txt`, "one") || !setXattr(`${src}/folder`, "one")) {
      console.log("skipped: this file system takes no user.* attributes");
      return;
    }
    const first = await fixture.backup("p");
    touch(`${src}/ns.txt`, "000000200"); // the same millisecond
    setXattr(`${src}/xattr.txt`, "two");
    setXattr(`${src}/folder`, "two");
    const second = await fixture.backup("p");
    const changes = parseLines<{ change: string; path: string }>(
      (await fixture.keptOk(["diff", first.snapshotId!, second.snapshotId!, "--json"])).stdout,
    );
    assert.deepEqual(changes.map((c) => `${c.change} ${c.path.slice(src.length)}`), [
      "modified /folder",
      "modified /ns.txt",
      "modified /xattr.txt",
    ]);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("diff lists what was in a folder that became a file, and what is in a file that became a folder", async () => {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  const src = `${fixture.root}/src`;
  try {
    Deno.mkdirSync(`${src}/d1/deep`, { recursive: true });
    Deno.writeTextFileSync(`${src}/d1/deep/x`, "1");
    Deno.writeTextFileSync(`${src}/f1`, "2");
    const first = await fixture.backup("p");
    Deno.removeSync(`${src}/d1`, { recursive: true });
    Deno.writeTextFileSync(`${src}/d1`, "now a file");
    Deno.removeSync(`${src}/f1`);
    Deno.mkdirSync(`${src}/f1/sub`, { recursive: true });
    Deno.writeTextFileSync(`${src}/f1/sub/y`, "y");
    const second = await fixture.backup("p");
    const changes = parseLines<{ change: string; path: string }>(
      (await fixture.keptOk(["diff", first.snapshotId!, second.snapshotId!, "--json"])).stdout,
    );
    assert.deepEqual(changes.map((c) => `${c.change} ${c.path.slice(src.length)}`), [
      "modified /d1",
      "removed /d1/deep",
      "removed /d1/deep/x",
      "modified /f1",
      "added /f1/sub",
      "added /f1/sub/y",
    ]);
    // And the other way round.
    const back = parseLines<{ change: string; path: string }>(
      (await fixture.keptOk(["diff", second.snapshotId!, first.snapshotId!, "--json"])).stdout,
    );
    assert.deepEqual(back.map((c) => `${c.change} ${c.path.slice(src.length)}`), [
      "modified /d1",
      "added /d1/deep",
      "added /d1/deep/x",
      "modified /f1",
      "removed /f1/sub",
      "removed /f1/sub/y",
    ]);
  } finally {
    await fixture.cleanup();
  }
});
