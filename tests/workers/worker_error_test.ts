// Errors that cross a worker boundary keep their kind: a TypeError in a worker comes back as a bug with the
// worker's stack, never as a failure of one job's input.

import assert from "node:assert/strict";
import { IntegrityError, UserError } from "../../lib/errors.ts";
import {
  BatchingPool,
  decodeWorkerError,
  encodeWorkerError,
  errorKind,
  IoError,
  WorkerBugError,
  type WorkerError,
} from "../../lib/workers/mod.ts";

type Reply = { done: ({ id: number; value: string } | { id: number; error: WorkerError })[] };

/** Runs one job per name on a real worker; each settles with its value or its decoded error. */
async function runJobs(names: string[]): Promise<unknown[]> {
  const pool: BatchingPool<string, string, Reply> = new BatchingPool(
    new URL("./_error_worker.ts", import.meta.url),
    1,
    { jobsPerWorker: 10, batchJobs: 10, batchBytes: 1000 },
    {
      label: "test worker",
      init: () => {},
      send: (worker, jobs) =>
        worker.postMessage({ jobs: jobs.map((job) => ({ id: job.id, name: job.payload })) }),
      receive: (index, reply) => {
        for (const outcome of reply.done) {
          const job = pool.finish(index, outcome.id);
          if ("error" in outcome) job?.reject(decodeWorkerError(outcome.error, "test worker"));
          else job?.resolve(outcome.value);
        }
      },
    },
  );
  try {
    return await Promise.all(
      names.map((name) => pool.submit(name, 1).then((value) => value, (error) => error)),
    );
  } finally {
    pool.terminate();
  }
}

Deno.test("a TypeError in a worker comes back as a bug naming the worker, with the worker's stack", async () => {
  const [bug, ok] = await runJobs(["type", "ok"]);
  assert.ok(bug instanceof WorkerBugError);
  assert.ok(!(bug instanceof UserError), "a bug must not be worded as a user's problem");
  assert.equal(errorKind(bug), "bug");
  assert.match(bug.message, /^test worker: TypeError: .*open/);
  assert.match(bug.stack ?? "", /^WorkerBugError: test worker: TypeError: /);
  assert.match(bug.stack ?? "", /^\s+at .*_error_worker\.ts:\d+/m);
  assert.equal(ok, "fine", "the other job of the batch is not affected");
});

Deno.test("damaged data and what the file system refuses come back as integrity and io errors", async () => {
  const [integrity, full, missing] = await runJobs(["integrity", "full", "missing"]);
  assert.ok(integrity instanceof IntegrityError);
  assert.equal(integrity.message, "Blob 0123456789ab in pack ba9876543210 is damaged");
  assert.equal(errorKind(integrity), "integrity");
  for (const [error, code] of [[full, "ENOSPC"], [missing, "ENOENT"]] as const) {
    assert.ok(error instanceof IoError, String(error));
    assert.ok(error instanceof UserError, "an io error is explained in one line");
    assert.equal(error.code, code);
    assert.equal(errorKind(error), "io");
  }
});

Deno.test("errorKind sorts errors of this thread the same way", () => {
  assert.equal(errorKind(new TypeError("x is not a function")), "bug");
  assert.equal(errorKind(new RangeError("Invalid array length")), "bug");
  assert.equal(errorKind("a thrown string"), "bug");
  assert.equal(errorKind(undefined), "bug");
  assert.equal(errorKind(new Deno.errors.PermissionDenied("Permission denied")), "io");
  assert.equal(errorKind(Object.assign(new Error("No space left on device"), { code: "ENOSPC" })), "io");
  assert.equal(errorKind(new Deno.errors.BadResource("Bad resource ID")), "bug");
  assert.equal(errorKind(new UserError('Cannot run "mkfifo"')), "io");
  assert.equal(errorKind(new IntegrityError("Pack 0123 is missing")), "integrity");
  const encoded = encodeWorkerError(Object.assign(new Error("disk full"), { code: "ENOSPC" }));
  assert.deepEqual({ ...encoded, stack: undefined }, {
    kind: "io",
    name: "Error",
    message: "disk full",
    code: "ENOSPC",
    stack: undefined,
  });
  assert.deepEqual(encodeWorkerError(42), { kind: "bug", name: "number", message: "42" });
});
