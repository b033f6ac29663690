// The verify worker answers each pack with a verdict, or with an error that keeps its kind: a pack it cannot
// open is `io`, a programming error is `bug` (lib/workers/worker_error.ts).

import assert from "node:assert/strict";
import { blobIdBytes, randomBytes as secureRandom } from "../../lib/crypto/mod.ts";
import type { PackJob, VerifyRequest, VerifyResponse } from "../../lib/check/_verify_worker.ts";
import { encodeBlob } from "../../lib/repo/blob.ts";
import { PackBuilder } from "../../lib/repo/pack.ts";

const keys = { encrypt: secureRandom(32), id: secureRandom(32) };

/** Sends one batch of jobs to a fresh verify worker and returns its answer. */
async function ask(packs: PackJob[]): Promise<VerifyResponse> {
  const worker = new Worker(new URL("../../lib/check/_verify_worker.ts", import.meta.url), {
    type: "module",
  });
  try {
    const answer = new Promise<VerifyResponse>((resolve) => {
      worker.onmessage = (event: MessageEvent<VerifyResponse>) => resolve(event.data);
    });
    worker.postMessage({ type: "init", keys } satisfies VerifyRequest);
    worker.postMessage({ type: "packs", packs } satisfies VerifyRequest);
    return await answer;
  } finally {
    worker.terminate();
  }
}

Deno.test("the verify worker answers a verdict, an io error for a missing file and a bug for a bad job", async () => {
  const builder = new PackBuilder();
  const plain = new TextEncoder().encode("blob");
  builder.add("data", blobIdBytes(keys.id, plain), encodeBlob(keys.encrypt, plain, 0), plain.length);
  const pack = builder.finish(keys.encrypt);
  const { done } = await ask([
    { job: 1, pack: pack.id, source: { bytes: pack.bytes.slice() }, entries: pack.entries },
    { job: 2, pack: pack.id, source: { path: "/nonexistent/kept/pack" }, entries: pack.entries },
    { job: 3, pack: pack.id, source: { bytes: 42 as unknown as Uint8Array }, entries: pack.entries },
  ]);
  assert.deepEqual(done[0], {
    job: 1,
    verdict: { damagedBlobs: [], hashMismatch: false, headerDamaged: false },
  });
  const missing = done[1]!;
  assert.ok("error" in missing);
  assert.deepEqual([missing.error.kind, missing.error.message, missing.error.code], [
    "io",
    "it does not exist",
    "ENOENT",
  ]);
  const bug = done[2]!;
  assert.ok("error" in bug);
  assert.deepEqual([bug.error.kind, bug.error.name], ["bug", "TypeError"]);
  assert.ok(bug.error.stack?.includes("_verify_pack.ts"), "the worker's stack is kept");
});
