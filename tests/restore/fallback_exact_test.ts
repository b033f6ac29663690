// Without the C library (kept run without --allow-ffi) a restore says in one line what it cannot give back,
// sets times to the millisecond, sets no extended attributes, and refuses names and link targets that are
// not UTF-8 (needs_ffi) instead of writing U+FFFD in their place; run again, it skips what it restored.

import assert from "node:assert/strict";
import { runKeptWith } from "../_support/without_ffi.ts";
import { nameText } from "../../lib/platform/mod.ts";
import { SnapshotCrafter } from "../_support/craft.ts";
import { makeFixture } from "../_support/fixture.ts";
import { hex, pythonListdir, pythonLstats, pythonXattrs } from "../platform/_python.ts";

const latin1 = (text: string) => Uint8Array.from(text, (char) => char.charCodeAt(0));

Deno.test("without --allow-ffi a restore keeps milliseconds, refuses byte names and warns once", async () => {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  try {
    const craft = new SnapshotCrafter(await fixture.open());
    const id = await craft.snapshot([
      {
        ...craft.dir("d", [{ ...craft.file("a", "a\n"), mtime: -1_234_567, mtimeNs: 999_999 }]),
        mtime: -2_000_001,
        mtimeNs: 1,
      },
      {
        ...craft.file("ns", "ns\n"),
        mtime: 4_200_000_000_987,
        mtimeNs: 654_321,
        xattrs: [{ name: "user.x", value: "eA==" }],
      },
      craft.file(nameText(latin1("caf\xe9")), "bytes\n"),
      craft.symlink("link", nameText(latin1("t\x80x"))),
    ]);
    const out = `${fixture.root}/out`;
    const restore = async () => {
      const output = await runKeptWith(fixture.config, ["restore", id, "--target", out]);
      return {
        code: output.code,
        stdout: new TextDecoder().decode(output.stdout),
        stderr: new TextDecoder().decode(output.stderr),
      };
    };

    const first = await restore();
    assert.equal(first.code, 1, first.stderr);
    const lines = first.stderr.trim().split("\n").filter((line) =>
      !line.includes("as root without the C library")
    );
    assert.deepEqual(lines, [
      "warning: restoring without the C library: times are set to the millisecond, extended attributes are not " +
      "restored, and names that are not valid UTF-8 are refused (docs/platform.md)",
      "error: /caf\\xe9: its name holds bytes that are not UTF-8, which only the C library can write (grant --allow-ffi)",
      "error: /link: its link target holds bytes that are not UTF-8, which only the C library can write (grant --allow-ffi)",
      "kept: Restore incomplete: 2 entries could not be restored",
    ]);
    // Nothing was written in their place (Deno would have written U+FFFD).
    assert.deepEqual(pythonListdir(out), [hex("d"), hex("ns")]);
    const [folder, file, inner] = pythonLstats([`${out}/d`, `${out}/ns`, `${out}/d/a`]);
    assert.equal(folder!.mtimeNs, -2_000_001_000_000n);
    assert.equal(file!.mtimeNs, 4_200_000_000_987_000_000n);
    assert.equal(inner!.mtimeNs, -1_234_567_000_000n);
    assert.deepEqual(pythonXattrs(`${out}/ns`), {});

    // Run again: the files restored match to the millisecond and are skipped, not reported as different.
    const again = await restore();
    assert.equal(again.code, 1);
    assert.match(again.stdout, /restored snapshot \w+: 0 files, 1 folder, 0 B \(2 already present\)/);
    assert.doesNotMatch(again.stderr, /differs/);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("without --allow-ffi a hard link to a file in a folder the restore has left is linked", async () => {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  try {
    const craft = new SnapshotCrafter(await fixture.open());
    const linked = { ...craft.file("first", "shared\n"), links: 2, device: 7, inode: 42 };
    // `d/first` is written, `d` left, then `second` is linked to it: its folder is opened again from the
    // target, the target's handle first ("." of it).
    const id = await craft.snapshot([craft.dir("d", [linked]), { ...linked, name: "second" }]);
    const out = `${fixture.root}/out`;
    for (const run of ["first", "again"]) {
      const output = await runKeptWith(fixture.config, ["restore", id, "--target", out]);
      const stderr = new TextDecoder().decode(output.stderr);
      assert.equal(output.code, 0, `${run}: ${stderr}`);
      assert.doesNotMatch(stderr, /error/, run);
    }
    const [first, second] = [`${out}/d/first`, `${out}/second`].map((path) => Deno.lstatSync(path));
    assert.equal(second!.ino, first!.ino);
    assert.equal(first!.nlink, 2);
    assert.equal(Deno.readTextFileSync(`${out}/second`), "shared\n");
  } finally {
    await fixture.cleanup();
  }
});
