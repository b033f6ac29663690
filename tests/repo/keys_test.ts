// Keys: several passwords can open one repository; the key in use cannot be removed; passwd replaces it.

import assert from "node:assert/strict";
import { makeFixture, PASSWORD } from "../_support/fixture.ts";
import { MemoryBackend } from "../../lib/backends/mod.ts";
import { addKey, listKeys, newMasterKeys, unlock } from "../../lib/repo/keys.ts";

interface ListedKey {
  id: string;
  current: boolean;
}

Deno.test("key add, key remove and key passwd manage the passwords that open a repository", async (t) => {
  const fixture = await makeFixture(() => ({}), { passwordInConfig: false });
  const as = (password: string) => ({ env: { KEPT_PASSWORD: password } });
  const keys = async (password: string) =>
    JSON.parse((await fixture.keptOk(["key", "list", "--json"], as(password))).stdout) as ListedKey[];
  try {
    const [original] = await keys(PASSWORD);
    assert.ok(original?.current);

    await t.step("a key added with KEPT_NEW_PASSWORD opens the repository", async () => {
      const denied = await fixture.kept(["snapshots"], as("second secret"));
      assert.equal(denied.code, 12, "the new password worked before it was added");
      await fixture.keptOk(["key", "add"], {
        env: { KEPT_PASSWORD: PASSWORD, KEPT_NEW_PASSWORD: "second secret" },
      });
      const listed = await keys("second secret");
      assert.equal(listed.length, 2);
      assert.deepEqual(listed.filter((k) => k.current).map((k) => k.id).length, 1);
      assert.notEqual(listed.find((k) => k.current)!.id, original.id);
      await fixture.keptOk(["snapshots"], as(PASSWORD));
    });

    await t.step("the key in use cannot be removed, another one can", async () => {
      const refused = await fixture.kept(["key", "remove", original.id.slice(0, 10)], as(PASSWORD));
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /is the one in use/);
      assert.equal((await keys(PASSWORD)).length, 2);

      await fixture.keptOk(["key", "remove", original.id.slice(0, 10)], as("second secret"));
      assert.equal((await keys("second secret")).length, 1);
      const old = await fixture.kept(["snapshots"], as(PASSWORD));
      assert.equal(old.code, 12, "the removed key still opens the repository");
      assert.match(old.stderr, /wrong password/);
    });

    await t.step("passwd replaces the current password", async () => {
      const before = await keys("second secret");
      await fixture.keptOk(["key", "passwd"], {
        env: { KEPT_PASSWORD: "second secret", KEPT_NEW_PASSWORD: "third" },
      });
      const after = await keys("third");
      assert.equal(after.length, 1);
      assert.notEqual(after[0]!.id, before[0]!.id);
      const old = await fixture.kept(["snapshots"], as("second secret"));
      assert.equal(old.code, 12, "the old password still works after passwd");
      assert.match(old.stderr, /wrong password/);
    });
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("a new key's scrypt needs 32 MiB (N = 2^15, r = 8) and twice that work in two passes (p = 2)", async () => {
  // Key derivation runs while the rest of kept is loaded, so its memory is added to every command's peak.
  const backend = new MemoryBackend();
  const keys = newMasterKeys();
  const meta = { host: "host", username: "user", now: new Date(0) };
  const id = await addKey(backend, "repo-id", keys, "secret", meta);
  const [listed] = await listKeys(backend);
  assert.equal(listed?.id, id);
  const { N, r, p } = listed.file.kdf;
  assert.deepEqual({ N, r, p }, { N: 2 ** 15, r: 8, p: 2 });
  assert.equal(128 * N * r, 32 * 1024 * 1024);
  assert.deepEqual((await unlock(backend, "repo-id", "secret")).keys, keys);
});
