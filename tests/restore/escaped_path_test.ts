// `restore --path` (and `ls PATH`) take a name as text output writes it: `caf\xe9` for the bytes `caf`
// and 0xE9, `caf\\xe9` for the name with a backslash (docs/format.md#names), whatever else the folder
// holds. Only when the escaped reading names no entry is the text taken as typed.

import assert from "node:assert/strict";
import { nameText } from "../../lib/platform/mod.ts";
import { SnapshotCrafter } from "../_support/craft.ts";
import { type Fixture, makeFixture } from "../_support/fixture.ts";
import { hex, pythonListdir } from "../platform/_python.ts";

const latin1 = (text: string) => Uint8Array.from(text, (char) => char.charCodeAt(0));
const encoder = new TextEncoder();

/**
 * `/data` holding `caf` 0xE9, a file named `caf\xe9` with a real backslash, `only` 0xE9, `back\q` (a real
 * backslash that starts no escape), `plain` and `d` 0xFF/inner.
 */
async function craftedSnapshot(fixture: Fixture): Promise<string> {
  const repository = await fixture.open();
  const craft = new SnapshotCrafter(repository);
  return await craft.snapshot([
    craft.dir("data", [
      craft.file(nameText(latin1("caf\xe9")), "bytes\n"),
      craft.file("caf\\xe9", "literal\n"),
      craft.file(nameText(latin1("only\xe9")), "only\n"),
      craft.file("back\\q", "back\n"),
      craft.file("plain", "plain\n"),
      craft.dir(nameText(latin1("d\xff")), [craft.file("inner", "inner\n")]),
    ]),
  ]);
}

Deno.test("restore --path reads a name as output writes it, also beside a name spelled like the escape", async () => {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  try {
    const id = await craftedSnapshot(fixture);
    const restorePath = async (path: string) => {
      const out = `${fixture.root}/out-${crypto.randomUUID()}`;
      await fixture.keptOk(["restore", id, "--target", out, "--path", path]);
      return `${out}/data`;
    };

    // `caf\xe9` is the byte 0xE9, as `ls` writes it, though an entry is named `caf\xe9`, backslash and all.
    const bytes = await restorePath("/data/caf\\xe9");
    assert.deepEqual(pythonListdir(bytes), [hex(latin1("caf\xe9"))]);
    // That one is `caf\\xe9`, as `ls` writes it.
    const literal = await restorePath("/data/caf\\\\xe9");
    assert.deepEqual(pythonListdir(literal), [hex("caf\\xe9")]);
    assert.equal(Deno.readTextFileSync(`${literal}/caf\\xe9`), "literal\n");

    // A name without a backslash is itself; one with a backslash that starts no escape is reached as typed
    // too, and as output writes it.
    assert.deepEqual(pythonListdir(await restorePath("/data/plain")), [hex("plain")]);
    for (const typed of ["/data/back\\q", "/data/back\\\\q"]) {
      assert.deepEqual(pythonListdir(await restorePath(typed)), [hex("back\\q")], typed);
    }

    // No entry is named `only\xe9`: the bytes it stands for.
    const escaped = await restorePath("/data/only\\xe9");
    assert.deepEqual(pythonListdir(escaped), [hex(latin1("only\xe9"))]);

    // A folder on the way, escaped, and the file below it.
    const below = await restorePath("/data/d\\xff/inner");
    assert.deepEqual(pythonListdir(below), [hex(latin1("d\xff"))]);
    const inner = new Uint8Array([...encoder.encode(`${below}/`), ...latin1("d\xff")]);
    assert.deepEqual(pythonListdir(inner), [hex("inner")]);

    const missing = await fixture.kept([
      "restore",
      id,
      "--target",
      `${fixture.root}/x`,
      "--path",
      "/data/nope\\xe9",
    ]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.trim(), 'kept: Path "/data/nope\\xe9" is not in the snapshot');
    // A backslash that starts no escape is only a name, and this one is not there either.
    const stray = await fixture.kept([
      "restore",
      id,
      "--target",
      `${fixture.root}/y`,
      "--path",
      "/data/a\\q",
    ]);
    assert.match(stray.stderr, /Path "\/data\/a\\q" is not in the snapshot/);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("ls takes a path in its escaped form and writes names that way", async () => {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  try {
    const id = await craftedSnapshot(fixture);
    const listed = await fixture.keptOk(["ls", id, "/data/d\\xff"]);
    const paths = listed.stdout.trim().split("\n").map((line) => line.split(" ").at(-1));
    assert.deepEqual(paths, ["/data/d\\xff", "/data/d\\xff/inner"]);
    // Each name `ls` writes is the path that lists that entry, the byte one and the one with a backslash.
    const all = await fixture.keptOk(["ls", id, "/data"]);
    const names = all.stdout.trim().split("\n").map((line) => line.split(" ").at(-1)!).slice(1);
    assert.ok(names.includes("/data/caf\\xe9") && names.includes("/data/caf\\\\xe9"), names.join(" "));
    for (const name of names) {
      const one = await fixture.keptOk(["ls", id, name]);
      assert.equal(one.stdout.split("\n")[0]!.split(" ").at(-1), name); // the entry, then what is in it
    }
  } finally {
    await fixture.cleanup();
  }
});
