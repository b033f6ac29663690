// Names that are not UTF-8 in ls, diff and restore output (docs/json.md#names): text writes each such
// byte as \xNN; JSON writes the name in that escaped form and its bytes in base64 as `<key>_bytes`, never
// a lone surrogate, which jq and Python would replace or reject.

import assert from "node:assert/strict";
import { nameText } from "../../lib/platform/mod.ts";
import { SnapshotCrafter } from "../_support/craft.ts";
import { makeFixture, parseLines } from "../_support/fixture.ts";

const latin1 = (text: string) => Uint8Array.from(text, (char) => char.charCodeAt(0));
const encoder = new TextEncoder();
const base64 = (bytes: Uint8Array | string) =>
  (typeof bytes === "string" ? encoder.encode(bytes) : bytes).toBase64();
const bytesOf = (prefix: string, tail: Uint8Array) => new Uint8Array([...encoder.encode(prefix), ...tail]);

/** The bytes of stdout are UTF-8 and JSON text holds no escaped lone surrogate. */
function assertPlainUtf8(stdout: string): void {
  new TextDecoder("utf-8", { fatal: true }).decode(encoder.encode(stdout));
  assert.ok(stdout.isWellFormed());
  assert.doesNotMatch(stdout, /\\ud[c-f]/i);
}

Deno.test("ls, diff and restore write bytes that are not UTF-8 as \\xNN, and JSON adds them as base64", async () => {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  try {
    const repository = await fixture.open();
    const craft = new SnapshotCrafter(repository);
    const cafe = nameText(latin1("caf\xe9"));
    const first = await craft.snapshot([
      craft.dir("data", [
        { ...craft.file(cafe, "bytes\n"), mtimeNs: 123_456 },
        craft.symlink("link", nameText(latin1("t\x80x"))),
        craft.file("plain", "plain\n"),
      ]),
    ]);
    const next = new SnapshotCrafter(repository);
    const second = await next.snapshot([
      next.dir("data", [next.file("plain", "plain\n"), next.file(nameText(latin1("new\xfe")), "new\n")]),
    ]);

    const ls = await fixture.keptOk(["ls", first]);
    assert.match(ls.stdout, / \/data\/caf\\xe9\n/);
    assert.match(ls.stdout, / \/data\/link -> t\\x80x\n/);

    const lsJson = await fixture.keptOk(["ls", first, "--json"]);
    assertPlainUtf8(lsJson.stdout);
    const entries = parseLines<Record<string, unknown>>(lsJson.stdout);
    const byPath = Object.fromEntries(entries.map((entry) => [entry.path as string, entry]));
    assert.deepEqual(byPath["/data/caf\\xe9"], {
      path: "/data/caf\\xe9",
      path_bytes: base64(bytesOf("/data/caf", latin1("\xe9"))),
      type: "file",
      mode: 0o644,
      mtime: 1_600_000_000_000,
      mtime_ns: 123_456,
      size: 6,
    });
    assert.deepEqual(byPath["/data/link"], {
      path: "/data/link",
      type: "symlink",
      mode: 0o777,
      mtime: 1_600_000_000_000,
      target: "t\\x80x",
      target_bytes: base64(latin1("t\x80x")),
    });
    assert.equal("path_bytes" in byPath["/data/plain"]!, false);

    const diff = await fixture.keptOk(["diff", first, second]);
    assert.deepEqual(diff.stdout.trim().split("\n").sort(), [
      "+  /data/new\\xfe",
      "-  /data/caf\\xe9",
      "-  /data/link",
    ]);
    const diffJson = await fixture.keptOk(["diff", first, second, "--json"]);
    assertPlainUtf8(diffJson.stdout);
    assert.deepEqual(
      parseLines<Record<string, string>>(diffJson.stdout).find((change) => change.change === "added"),
      { change: "added", path: "/data/new\\xfe", path_bytes: base64(bytesOf("/data/new", latin1("\xfe"))) },
    );

    const out = `${fixture.root}/out`;
    const dryRun = await fixture.keptOk(["restore", first, "--target", out, "--dry-run", "--json"]);
    assertPlainUtf8(dryRun.stdout);
    const planned = parseLines<Record<string, unknown>>(dryRun.stdout).find((line) =>
      line.path === "/data/caf\\xe9"
    );
    assert.deepEqual(planned, {
      message_type: "entry",
      action: "create",
      path: "/data/caf\\xe9",
      path_bytes: base64(bytesOf("/data/caf", latin1("\xe9"))),
      type: "file",
      target: `${out}/data/caf\\xe9`,
      target_bytes: base64(bytesOf(`${out}/data/caf`, latin1("\xe9"))),
      size: 6,
    });
    const text = await fixture.keptOk(["restore", first, "--target", out, "--dry-run"]);
    assert.match(text.stdout, /^\+ \/data\/caf\\xe9$/m);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("restore reports an extended attribute it could not set as a warning, in text and JSON", async () => {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  try {
    const repository = await fixture.open();
    const craft = new SnapshotCrafter(repository);
    // Linux allows user.* attributes on files and folders only: on a symlink, setting one fails.
    const id = await craft.snapshot([
      { ...craft.symlink(nameText(latin1("l\xe9")), "x"), xattrs: [{ name: "user.a", value: base64("1") }] },
    ]);
    const text = await fixture.keptOk(["restore", id, "--target", `${fixture.root}/out1`]);
    assert.match(text.stderr, /^warning: \/l\\xe9: extended attribute "user\.a" not set: .*\(EPERM\)$/m);
    const json = await fixture.keptOk(["restore", id, "--target", `${fixture.root}/out2`, "--json"]);
    assertPlainUtf8(json.stdout);
    const [warning, summary] = parseLines<Record<string, unknown>>(json.stdout);
    assert.equal(warning!.message_type, "warning");
    assert.equal(warning!.path, "/l\\xe9");
    assert.equal(warning!.path_bytes, base64(bytesOf("/l", latin1("\xe9"))));
    assert.match(warning!.message as string, /^extended attribute "user\.a" not set: /);
    assert.equal(summary!.message_type, "summary");
    assert.equal(summary!.files, 1);
  } finally {
    await fixture.cleanup();
  }
});
