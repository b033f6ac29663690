// A worker for the worker-error test: fails each job the way its name says, and answers with the error
// encoded as every worker of kept answers.

/// <reference lib="deno.worker" />

import { IntegrityError } from "../../lib/errors.ts";
import { encodeWorkerError } from "../../lib/workers/worker_error.ts";

const failures: Record<string, () => unknown> = {
  // A programming error: calling what is not a function.
  type: () => (undefined as unknown as { open(): void }).open(),
  integrity: () => {
    throw new IntegrityError("Blob 0123456789ab in pack ba9876543210 is damaged");
  },
  // The file system refuses: a write to a device that is always full, a file that is not there.
  full: () => Deno.writeFileSync("/dev/full", new Uint8Array(16)),
  missing: () => Deno.readFileSync("/nonexistent/kept-test"),
  ok: () => "fine",
};

self.onmessage = (event: MessageEvent<{ jobs: { id: number; name: string }[] }>) => {
  const done = event.data.jobs.map(({ id, name }) => {
    try {
      return { id, value: String(failures[name]!()) };
    } catch (error) {
      return { id, error: encodeWorkerError(error) };
    }
  });
  self.postMessage({ done });
};
