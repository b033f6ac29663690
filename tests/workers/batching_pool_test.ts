import assert from "node:assert/strict";
import { BatchingPool } from "../../lib/workers/batching_pool.ts";

interface Reply {
  ids: number[];
}

function echoPool(
  limits: { jobsPerWorker: number; batchJobs: number; batchBytes: number; refillAt?: number },
  batches: number[],
  sentTo: number[][] = [[], []],
) {
  const workers = new Map<Worker, number>();
  const pool: BatchingPool<string, string, Reply> = new BatchingPool(
    new URL("./_echo_worker.ts", import.meta.url),
    2,
    limits,
    {
      label: "echo worker",
      init: (worker, index) => workers.set(worker, index),
      send: (worker, jobs) => {
        sentTo[workers.get(worker)!]!.push(...jobs.map((job) => job.id));
        batches.push(jobs.length); // in the order sent: replies from two workers may come in any order
        worker.postMessage({ ids: jobs.map((job) => job.id) });
      },
      receive: (index, reply) => {
        for (const id of reply.ids) pool.finish(index, id)?.resolve(`done ${id}`);
      },
    },
  );
  return pool;
}

Deno.test("jobs queued in one turn travel in batches, within the per-worker and per-batch limits", async () => {
  const batches: number[] = [];
  const pool = echoPool({ jobsPerWorker: 10, batchJobs: 4, batchBytes: 1000 }, batches);
  try {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => pool.submit(`job ${i}`, 10)));
    assert.deepEqual(results, Array.from({ length: 50 }, (_, i) => `done ${i}`));
    assert.ok(batches.every((size) => size <= 4), `batches of at most 4 jobs: ${batches}`);
    assert.equal(batches.reduce((a, b) => a + b, 0), 50);
    // One message per job would be 50; batches of four, cut short by the ten-job limit, are about 15.
    assert.ok(batches.length < 20, `few messages for 50 jobs: ${batches.length}`);
  } finally {
    pool.terminate();
  }
});

Deno.test("with refillAt, jobs that trickle in one at a time still travel in batches", async () => {
  /** Messages sent for 200 jobs queued one per turn, each let in when one before it is done. */
  const messagesFor = async (refillAt: number | undefined) => {
    const batches: number[] = [];
    const limits = { jobsPerWorker: 8, batchJobs: 4, batchBytes: 1000 };
    const pool = echoPool(refillAt === undefined ? limits : { ...limits, refillAt }, batches);
    try {
      let inFlight = 0;
      let wake = () => {};
      const done: Promise<string>[] = [];
      for (let i = 0; i < 200; i++) {
        while (inFlight >= 24) await new Promise<void>((resolve) => wake = resolve);
        inFlight++;
        done.push(
          pool.submit(`job ${i}`, 10).finally(() => {
            inFlight--;
            wake();
          }),
        );
        await Promise.resolve(); // the caller yields after each job, as a restore's walk does
      }
      assert.deepEqual(await Promise.all(done), Array.from({ length: 200 }, (_, i) => `done ${i}`));
      assert.ok(batches.every((size) => size <= 4));
      return batches.length;
    } finally {
      pool.terminate();
    }
  };
  const trickled = await messagesFor(undefined);
  const batched = await messagesFor(4);
  // Here 76-97 messages (an echo worker answers at once: what waits when it does is the next batch).
  assert.ok(batched <= 120, `batches, not single jobs: ${batched} messages for 200 jobs`);
  assert.ok(trickled >= 180, `without it, one message a job: ${trickled}`);
});

Deno.test("a batch closes at the byte limit, and a job larger than it travels alone", async () => {
  const batches: number[] = [];
  const pool = echoPool({ jobsPerWorker: 100, batchJobs: 100, batchBytes: 1000 }, batches);
  try {
    await Promise.all([pool.submit("huge", 5000), ...Array.from({ length: 9 }, () => pool.submit("x", 300))]);
    assert.equal(batches[0], 1, "the huge job reaches the limit alone");
    assert.ok(batches.slice(1).every((size) => size <= 4), `300-byte jobs, four to 1000 bytes: ${batches}`);
  } finally {
    pool.terminate();
  }
});

Deno.test("a growing pool starts one worker, and a second only for work enough to pay for it", async () => {
  const limits = { jobsPerWorker: 10, batchJobs: 4, batchBytes: 1000, growAtBytes: 10_000 };
  const small = echoPool(limits, []);
  try {
    await Promise.all(Array.from({ length: 8 }, () => small.submit("x", 100)));
    assert.equal(small.workers, 1, "800 bytes in 8 jobs: one worker");
  } finally {
    small.terminate();
  }
  const manyBytes = echoPool(limits, []);
  try {
    await Promise.all([manyBytes.submit("big", 50_000), manyBytes.submit("x", 100)]);
    assert.equal(manyBytes.workers, 2, "50 kB pending: a second worker");
  } finally {
    manyBytes.terminate();
  }
  const manyJobs = echoPool(limits, []);
  try {
    await Promise.all(Array.from({ length: 40 }, () => manyJobs.submit("x", 1)));
    assert.equal(manyJobs.workers, 2, "more jobs waiting than one worker may hold: a second worker");
  } finally {
    manyJobs.terminate();
  }
});

Deno.test("jobs go to the worker with the fewest bytes to go, not to the one with the fewest jobs", async () => {
  const sentTo: number[][] = [[], []];
  const pool = echoPool({ jobsPerWorker: 100, batchJobs: 1, batchBytes: 1 }, [], sentTo);
  try {
    // A large file, then small ones: counting jobs alone put every other small one behind the large one.
    await Promise.all([
      pool.submit("large", 64_000_000),
      ...Array.from({ length: 6 }, () => pool.submit("small", 10)),
    ]);
    assert.deepEqual(sentTo, [[0], [1, 2, 3, 4, 5, 6]]);
  } finally {
    pool.terminate();
  }
});

Deno.test("when a worker dies, its jobs, the waiting ones and all later ones fail with its error", async () => {
  const pool: BatchingPool<string, string, Reply> = new BatchingPool(
    new URL("./_throwing_worker.ts", import.meta.url),
    1,
    { jobsPerWorker: 1, batchJobs: 1, batchBytes: 1000 },
    {
      label: "test worker",
      init: () => {},
      send: (worker, jobs) => worker.postMessage({ ids: jobs.map((job) => job.id) }),
      receive: (index, reply) => {
        for (const id of reply.ids) pool.finish(index, id)?.resolve(`done ${id}`);
      },
    },
  );
  try {
    const outcome = (job: Promise<string>) => job.then((value) => value, (error) => error.message);
    // Job 0 kills the worker (Deno prints its error; the test passes all the same); job 1 waits behind it.
    const [first, second] = await Promise.all([outcome(pool.submit("a", 1)), outcome(pool.submit("b", 1))]);
    assert.match(first, /test worker failed: .*boom/);
    assert.equal(second, first);
    assert.equal(await outcome(pool.submit("c", 1)), first);
  } finally {
    pool.terminate();
  }
});
