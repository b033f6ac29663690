// Key changes look again, under their lock, at the key they were opened with: a rival `key remove` may have
// removed it between their open and their lock, and then removing another key could leave none.

import assert from "node:assert/strict";
import { LocalBackend } from "../../lib/backends/mod.ts";
import { UserError } from "../../lib/errors.ts";
import { listKeys } from "../../lib/repo/keys.ts";
import { Repository } from "../../lib/repo/repository.ts";
import { testRepository } from "../_support/repository.ts";
import { tempDir } from "../_support/temp_dir.ts";

const meta = { host: "h", username: "u", now: new Date(), kdf: { N: 1024, r: 8, p: 1 } };

Deno.test("removeKey(), addKey() and changePassword() refuse once the key in use was removed by another", async (t) => {
  using dir = tempDir("kept-key-changes-");
  const backend = await LocalBackend.open(dir.path);
  const first = await testRepository(backend); // password "pw"
  const second = await first.addKey("two", meta);
  // Both open before either changes anything, as two `kept key remove` started at once do.
  const one = await Repository.open(await LocalBackend.open(dir.path), "pw");
  const two = await Repository.open(await LocalBackend.open(dir.path), "two");
  assert.equal(two.keyId, second);

  await one.removeKey(two.keyId);
  const left = async () => (await listKeys(backend)).map((key) => key.id);
  assert.deepEqual(await left(), [one.keyId]);

  const gone = (error: unknown) =>
    error instanceof UserError && /^Cannot .+: key \w{12}, which the password opened, was removed meanwhile$/
      .test(error.message);
  await t.step("removing the only key left is refused", async () => {
    await assert.rejects(two.removeKey(one.keyId), gone);
    assert.deepEqual(await left(), [one.keyId]);
  });
  await t.step("a password whose key was removed adds no key", async () => {
    await assert.rejects(two.addKey("three", meta), gone);
    await assert.rejects(two.changePassword("three", meta), gone);
    assert.deepEqual(await left(), [one.keyId]);
  });
  await t.step("a key whose key in use is still there changes keys as before", async () => {
    const added = await one.addKey("four", meta);
    await one.removeKey(added);
    assert.deepEqual(await left(), [one.keyId]);
  });
});

Deno.test("listKeys() marks a key left by an interrupted init with the repository it belongs to", async () => {
  using dir = tempDir("kept-key-foreign-");
  const backend = await LocalBackend.open(dir.path);
  // An init killed between its key and its config leaves the key; the next init, later, makes the repository.
  const interrupted = await Repository.init(backend, "pw", { ...meta, now: new Date(1_000) });
  await backend.delete({ kind: "config", name: "config" });
  const made = await Repository.init(backend, "pw", { ...meta, now: new Date(2_000) });
  const warnings: string[] = [];
  const repository = await Repository.open(backend, "pw", { onWarning: (message) => warnings.push(message) });
  assert.equal(repository.keyId, made.keyId);
  assert.match(warnings.join("\n"), /belongs to another repository/);
  const listed = await repository.listKeys();
  assert.deepEqual(
    listed.map(({ id, otherRepository }) => ({ id, otherRepository })).sort((a, b) =>
      a.id.localeCompare(b.id)
    ),
    [
      { id: interrupted.keyId, otherRepository: interrupted.config.id },
      { id: made.keyId, otherRepository: undefined },
    ].sort((a, b) => a.id.localeCompare(b.id)),
  );
  await repository.removeKey(interrupted.keyId);
  assert.deepEqual((await repository.listKeys()).map((key) => key.id), [made.keyId]);
});
