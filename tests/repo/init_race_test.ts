// Two `kept init` at once on storage without atomic create (S3 checks, then writes): exactly one makes the
// repository, and the other gives up and removes its key, so that no password is left opening nothing.

import assert from "node:assert/strict";
import { BackendWrapper, MemoryBackend } from "../../lib/backends/mod.ts";
import type { BackendCapabilities, Handle } from "../../lib/backends/backend.ts";
import { Repository } from "../../lib/repo/repository.ts";

/** Memory storage that behaves like S3: a write replaces what is there; both inits see no config at first. */
class OverwritingBackend extends BackendWrapper {
  #configLooks = 0;

  override get capabilities(): BackendCapabilities {
    return { ...this.inner.capabilities, atomicCreate: false };
  }

  override async stat(handle: Handle) {
    // Both lockers' first look comes before either stores its config.
    if (handle.kind === "config" && this.#configLooks++ < 2) return undefined;
    return await this.inner.stat(handle);
  }

  override async put(handle: Handle, data: Uint8Array): Promise<void> {
    await this.inner.delete(handle);
    await this.inner.put(handle, data);
  }
}

const meta = (username: string) => ({
  host: "h",
  username,
  now: new Date(),
  kdf: { N: 1024, r: 8, p: 1 },
  sleep: () => new Promise<void>((resolve) => setTimeout(resolve, 5)),
});

Deno.test("of two inits at once on storage that overwrites, one makes the repository and the other gives up", async () => {
  const backend = new OverwritingBackend(new MemoryBackend());
  const outcomes = await Promise.allSettled([
    Repository.init(backend, "password a", meta("a")),
    Repository.init(backend, "password b", meta("b")),
  ]);
  const made = outcomes.filter((outcome) => outcome.status === "fulfilled");
  const gaveUp = outcomes.filter((outcome) => outcome.status === "rejected");
  assert.equal(made.length, 1, "both inits reported success");
  assert.match(String(gaveUp[0]!.reason), /Another kept init created a repository at .+ at the same time/);
  const keys: string[] = [];
  for await (const entry of backend.list("keys")) keys.push(entry.name);
  assert.equal(keys.length, 1, "the loser's key is still stored");
  const winner = made[0]!.value.keyId;
  assert.deepEqual(keys, [winner]);
  const password = outcomes[0]!.status === "fulfilled" ? "password a" : "password b";
  const opened = await Repository.open(backend, password);
  assert.equal(opened.config.id, made[0]!.value.config.id);
});
