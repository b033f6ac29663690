// One apply per state file: the lock next to it refuses a second holder, waits when asked, and is free
// again once released.

import assert from "node:assert/strict";
import { lockStateFile } from "../../lib/state/mod.ts";
import { UserError } from "../../lib/errors.ts";
import { tempDir } from "../_support/temp_dir.ts";

const NOW = new Date("2026-12-05T02:15:00Z");

Deno.test("lockStateFile() refuses a second apply in one line that names the holder", async () => {
  using dir = tempDir("kept-lock-");
  const state = `${dir.path}/nested/state.db`;
  using first = await lockStateFile(state, { waitMs: 0, now: NOW });
  assert.equal(first.path, `${state}.lock`);
  assert.equal(Deno.statSync(first.path).mode! & 0o777, 0o600);
  await assert.rejects(
    () => lockStateFile(state, { waitMs: 0, now: NOW }),
    (error: unknown) =>
      error instanceof UserError && !error.message.includes("\n") &&
      error.message ===
        `Cannot apply: another kept apply (pid ${Deno.pid}, since 2026-12-05T02:15:00.000Z) is using state ` +
          `file "${state}" (wait for it to end, or pass --lock-wait 10min to wait)`,
  );
});

Deno.test("lockStateFile() waits up to waitMs for the holder to release it", async () => {
  using dir = tempDir("kept-lock-");
  const state = `${dir.path}/state.db`;
  const first = await lockStateFile(state, { waitMs: 0, now: NOW });
  setTimeout(() => first.release(), 300);
  const started = Date.now();
  using second = await lockStateFile(state, { waitMs: 5_000, now: NOW });
  assert.ok(Date.now() - started >= 250, "the second lock did not wait");
  assert.ok(second.path.endsWith(".lock"));
  await assert.rejects(() => lockStateFile(state, { waitMs: 200, now: NOW }), UserError);
});
