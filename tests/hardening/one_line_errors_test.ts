// Hostile or broken repository files and restore targets end in one line naming the cause, never in a
// stack trace and exit code 70 (issue 16, item 7).

import assert from "node:assert/strict";
import { assertOneLineError, inProcessFixture } from "./_in_process.ts";
import { filesOf, writeNamedFile } from "./_damage.ts";

Deno.test("a config that is null, not an object, or lacks fields fails in one line that says what is wrong", async (t) => {
  using f = await inProcessFixture();
  Deno.writeTextFileSync(`${f.data}/a.txt`, "some data");
  const config = JSON.parse(Deno.readTextFileSync(`${f.repo}/config`));
  const { chunker: _, ...withoutChunker } = config;
  const cases: [string, unknown, RegExp][] = [
    ["null", null, /damaged: it is null, not an object$/],
    ["a list", [], /damaged: it is an array, not an object$/],
    ["no chunker", withoutChunker, /damaged: "chunker" must be an object, found nothing$/],
    ["a chunker of null", { ...config, chunker: null }, /damaged: "chunker" must be an object, found null$/],
    [
      "a chunker size that is a string",
      { ...config, chunker: { ...config.chunker, avgSize: "1048576" } },
      /"chunker\.avgSize" must be a power of two .*found the string "1048576"$/,
    ],
    ["no id", { ...config, id: undefined }, /damaged: "id" must be a string, found nothing$/],
    [
      "a version that is a string",
      { ...config, version: "1" },
      /damaged: "version" must be a number, found the string "1"$/,
    ],
    ["a newer version", { ...config, version: 2 }, /has format version 2; this kept reads 1$/],
  ];
  for (const [name, value, message] of cases) {
    await t.step(name, async () => {
      Deno.writeTextFileSync(`${f.repo}/config`, JSON.stringify(value));
      for (const args of [["backup", "p"], ["snapshots"], ["check"]]) {
        assertOneLineError(await f.kept(args), message);
      }
    });
  }
});

Deno.test("when the only key file lacks fields, opening fails in one line and the warning names the file", async () => {
  using f = await inProcessFixture();
  const [key] = filesOf(f.repo, "keys");
  const file = JSON.parse(Deno.readTextFileSync(`${f.repo}/keys/${key}`));
  Deno.removeSync(`${f.repo}/keys/${key}`);
  const { data: _, ...withoutData } = file;
  const name = writeNamedFile(f.repo, "keys", new TextEncoder().encode(JSON.stringify(withoutData)));
  const result = await f.kept(["snapshots"]);
  assertOneLineError(
    result,
    /has no usable key files: Key file "\w+" is not a kept key file: "data" must be a/,
  );
  // check keeps damage for its own report, which it never reaches: the error itself names the file.
  assertOneLineError(
    await f.kept(["check"]),
    new RegExp(`has no usable key files: Key file "${name}" is not`),
  );
  assert.match(
    result.stderr,
    new RegExp(
      `^warning: ${f.repo}: Key file "${name}" is not a kept key file: "data" must be a string, found nothing: left out$`,
      "m",
    ),
  );
});

Deno.test("a restore below a regular file fails in one line", async () => {
  using f = await inProcessFixture();
  Deno.writeTextFileSync(`${f.data}/a.txt`, "some data");
  await f.keptOk(["backup", "p"]);
  Deno.writeTextFileSync(`${f.root}/plain`, "x");
  assertOneLineError(
    await f.kept(["restore", "latest", "--target", `${f.root}/plain/below`]),
    /plain\/below/,
  );
  assertOneLineError(await f.kept(["restore", "latest", "--target", `${f.root}/plain`]), /plain/);
});

Deno.test({
  name: "a restore onto a read-only file system fails in one line per entry, with no stack",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    using f = await inProcessFixture();
    Deno.mkdirSync(`${f.data}/sub/deeper`, { recursive: true });
    Deno.writeTextFileSync(`${f.data}/sub/deeper/a.txt`, "some data");
    Deno.writeTextFileSync(`${f.data}/b.txt`, "more");
    await f.keptOk(["backup", "p"]);
    const readOnly = `${f.root}/read-only`;
    Deno.mkdirSync(readOnly);
    const mount = await new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", readOnly],
    })
      .output();
    if (!mount.success) return; // no mount in this sandbox: nothing to test here
    try {
      for (const target of [readOnly, `${readOnly}/new`]) {
        const result = await f.kept(["restore", "latest", "--target", target]);
        assertOneLineError(result, /Read-only file system|Restore incomplete/);
      }
    } finally {
      await new Deno.Command("umount", { args: [readOnly] }).output();
    }
  },
});
