// `kept check` names paths that are not UTF-8 as `ls` does: escaped (\xNN) in text, and in JSON in that
// escaped form with `path_bytes`/`name_bytes` beside it (docs/json.md#names), never as a lone surrogate.

import assert from "node:assert/strict";
import { nameText } from "../../lib/platform/mod.ts";
import type { BlobId } from "../../lib/repo/mod.ts";
import { SnapshotCrafter } from "../_support/craft.ts";
import { makeFixture } from "../_support/fixture.ts";

const latin1 = (text: string) => Uint8Array.from(text, (char) => char.charCodeAt(0));
const base64 = (text: string) => latin1(text).toBase64();
/** A name or path holding the bytes of `text` (each char one byte), as kept reads it from a file system. */
const bytesName = (text: string) => nameText(latin1(text));

/** stdout is valid UTF-8 and holds no lone surrogate, escaped or not. */
function assertNoSurrogates(stdout: string): void {
  assert.ok(stdout.isWellFormed());
  assert.doesNotMatch(stdout, /\\ud[c-f]|\ufffd/i);
}

Deno.test("check writes paths that are not UTF-8 as \\xNN in text, and adds their bytes in JSON", async () => {
  const fixture = await makeFixture(() => ({}));
  try {
    const repository = await fixture.open();
    await repository.loadIndex();
    const craft = new SnapshotCrafter(repository);
    const missing = "00".repeat(32) as BlobId;
    const snapshot = await craft.snapshot([
      craft.dir(bytesName("d\xe9"), [craft.file("a/b", "slash"), craft.file("ok", "ok")]),
      craft.file(bytesName("t\xfe"), "1"),
      craft.file(bytesName("t\xfe"), "2"),
      { ...craft.file(bytesName("caf\xe9"), "x"), content: [missing] },
      { ...craft.dir(bytesName("gone\xff"), []), subtree: missing },
    ]);

    const text = await fixture.kept(["check"]);
    assert.equal(text.code, 1, text.stdout + text.stderr);
    assertNoSurrogates(text.stdout + text.stderr);
    assert.match(text.stdout, /^error: \/d\\xe9: unsafe name "a\/b" in folder listing [0-9a-f]{12}$/m);
    assert.match(text.stdout, /^error: \/: folder listing [0-9a-f]{12} lists "t\\xfe" twice$/m);
    assert.match(
      text.stdout,
      /^error: snapshot [0-9a-f]{12} has damaged or missing data in: \/caf\\xe9, \/gone\\xff \(folder listing\)$/m,
    );

    const result = await fixture.kept(["check", "--json"]);
    assert.equal(result.code, 1, result.stderr);
    assertNoSurrogates(result.stdout);
    const report = JSON.parse(result.stdout);
    const problem = (kind: string) => report.problems.find((p: { kind: string }) => p.kind === kind);
    assert.deepEqual(problem("unsafe-name"), {
      kind: "unsafe-name",
      severity: "error",
      tree: problem("unsafe-name").tree,
      path: "/d\\xe9",
      name: "a/b",
      path_bytes: base64("/d\xe9"),
    });
    assert.deepEqual(problem("duplicate-name"), {
      kind: "duplicate-name",
      severity: "error",
      tree: problem("duplicate-name").tree,
      path: "/",
      name: "t\\xfe",
      name_bytes: base64("t\xfe"),
    });
    assert.deepEqual(problem("snapshot-damaged"), {
      kind: "snapshot-damaged",
      severity: "error",
      snapshot,
      paths: [
        { path: "/caf\\xe9", path_bytes: base64("/caf\xe9"), what: "file" },
        { path: "/gone\\xff", path_bytes: base64("/gone\xff"), what: "folder-listing" },
      ],
    });
    assert.deepEqual(report.affected, { [snapshot]: ["/caf\\xe9", "/gone\\xff (folder listing)"] });
    assert.deepEqual(
      report.errors.map((line: string) => `error: ${line}`),
      text.stdout.split("\n").filter((line) => line.startsWith("error: ")),
    );
  } finally {
    await fixture.cleanup();
  }
});
