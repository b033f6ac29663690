// A process that takes a repository lock the way a kept command does and holds it: for the lock tests,
// which need a second real process (kept's own commands hold their locks only for as long as they run).
//
// deno run -A hold_lock.ts REPO PASSWORD shared|exclusive HOLD_MS [START_AT_MS]
// Prints one JSON line: {"ok": true, "pid"} once the lock is held, or {"ok": false, "error"}; exits 0 after
// releasing it, 1 when it could not take it.

import { LocalBackend } from "../../lib/backends/local.ts";
import { processLockOwner } from "../../lib/destinations/mod.ts";
import { acquireLock, type LockKind } from "../../lib/repo/mod.ts";
import { Repository } from "../../lib/repo/repository.ts";

const [repo, password, kind, holdMs, startAt] = Deno.args;
const repository = await Repository.open(await LocalBackend.open(repo!), password!);
if (startAt !== undefined) {
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));
}
try {
  const lock = await acquireLock(repository.lockStore(), kind as LockKind, processLockOwner("holder"));
  console.log(JSON.stringify({ ok: true, pid: Deno.pid, id: lock.id }));
  await new Promise((resolve) => setTimeout(resolve, Number(holdMs)));
  await lock.release();
} catch (error) {
  console.log(JSON.stringify({ ok: false, error: error instanceof Error ? error.message : String(error) }));
  Deno.exit(1);
}
