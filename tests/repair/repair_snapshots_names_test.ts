// `kept repair snapshots` names its losses as `ls` names paths: from the root, escaped (\xNN) in text, and in
// JSON in that escaped form with `path_bytes` beside it (docs/json.md#names); a folder's sizes are null.

import assert from "node:assert/strict";
import { nameText } from "../../lib/platform/mod.ts";
import type { BlobId } from "../../lib/repo/mod.ts";
import { SnapshotCrafter } from "../_support/craft.ts";
import { makeFixture } from "../_support/fixture.ts";

const latin1 = (text: string) => Uint8Array.from(text, (char) => char.charCodeAt(0));
const base64 = (text: string) => latin1(text).toBase64();
/** A name holding the bytes of `text` (each char one byte), as kept reads it from a file system. */
const bytesName = (text: string) => nameText(latin1(text));

Deno.test("repair snapshots names lost paths that are not UTF-8 escaped in text, and with their bytes in JSON", async () => {
  const fixture = await makeFixture(() => ({}));
  try {
    const repository = await fixture.open();
    await repository.loadIndex();
    const craft = new SnapshotCrafter(repository);
    const missing = "00".repeat(32) as BlobId;
    const snapshot = await craft.snapshot([
      craft.dir("srv", [
        { ...craft.file(bytesName("caf\xe9"), "lost"), content: [missing] },
        { ...craft.dir(bytesName("gone\xff"), []), subtree: missing },
        craft.file("kept", "kept"),
      ]),
    ]);

    const text = await fixture.keptOk(["repair", "snapshots", "--dry-run"]);
    assert.ok(text.stdout.isWellFormed());
    assert.doesNotMatch(text.stdout, /\ufffd/);
    assert.match(text.stdout, /^ {2}file \/srv\/caf\\xe9: cut from 4 B to 0 B$/m);
    assert.match(text.stdout, /^ {2}folder \/srv\/gone\\xff: cannot be read, now empty$/m);

    const result = await fixture.keptOk(["repair", "snapshots", "--dry-run", "--json"]);
    assert.doesNotMatch(result.stdout, /\\ud[c-f]/i);
    const report = JSON.parse(result.stdout);
    assert.equal(report.repaired.length, 1);
    assert.equal(report.repaired[0].id, snapshot);
    assert.deepEqual(report.repaired[0].losses, [
      {
        path: "/srv/caf\\xe9",
        path_bytes: base64("/srv/caf\xe9"),
        kind: "file",
        bytes_had: 4,
        bytes_kept: 0,
      },
      {
        path: "/srv/gone\\xff",
        path_bytes: base64("/srv/gone\xff"),
        kind: "folder",
        bytes_had: null,
        bytes_kept: null,
      },
    ]);
  } finally {
    await fixture.cleanup();
  }
});
