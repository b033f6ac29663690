// Web Worker: verifies whole packs for `kept check --read-data`. A pack in a local folder it reads itself,
// once, blob by blob into one reused buffer (no pack is held whole); a pack from other storage arrives whole,
// transferred from the main thread. It checks the hash, the header and every blob.

/// <reference lib="deno.worker" />

import { BlobOpener } from "../repo/blob.ts";
import type { PackEntry } from "../repo/pack.ts";
import { encodeWorkerError, IoError, type WorkerError } from "../workers/worker_error.ts";
import { type PackVerdict, type VerifyKeys, verifyPackBytes, verifyPackFile } from "./_verify_pack.ts";

/** Where a pack's bytes come from: a file on this machine, or the bytes themselves. */
export type PackSourceJob = { path: string } | { bytes: Uint8Array };

/** One pack to verify. */
export interface PackJob {
  job: number;
  pack: string;
  source: PackSourceJob;
  entries: PackEntry[];
}

/** Main thread → worker. */
export type VerifyRequest = { type: "init"; keys: VerifyKeys } | { type: "packs"; packs: PackJob[] };

/**
 * How one pack went: what is wrong with it, or why it could not be verified: `io` (it could not be read),
 * `integrity`, or `bug` (a programming error, never to be reported as an unreadable pack).
 */
export type PackOutcome = { verdict: PackVerdict } | { error: WorkerError };

/** Worker → main thread. */
export interface VerifyResponse {
  done: (PackOutcome & { job: number })[];
}

let keys: VerifyKeys | undefined;
let opener: BlobOpener | undefined;
/** Where blobs are read, grown to the largest blob seen. */
let scratch: Uint8Array = new Uint8Array(0);

self.onmessage = (event: MessageEvent<VerifyRequest>) => {
  const message = event.data;
  if (message.type === "init") {
    keys = message.keys;
    opener = new BlobOpener(keys);
    return;
  }
  const response: VerifyResponse = {
    done: message.packs.map((job) => ({ job: job.job, ...verifyPack(job) })),
  };
  self.postMessage(response);
};

function verifyPack(job: PackJob): PackOutcome {
  try {
    if ("bytes" in job.source) {
      return { verdict: verifyPackBytes(keys!, job.pack, job.source.bytes, job.entries, opener) };
    }
    const file = openPack(job.source.path);
    try {
      const result = verifyPackFile(keys!, job.pack, file, job.entries, scratch, opener);
      scratch = result.scratch;
      return { verdict: result.verdict };
    } finally {
      file.close();
    }
  } catch (error) {
    return { error: encodeWorkerError(error) };
  }
}

/** Opens a pack file; a missing one is said in words, not with the system's message and path. */
function openPack(path: string): Deno.FsFile {
  try {
    // A FIFO in its place would block this worker for good: only a regular file is opened.
    if (!Deno.statSync(path).isFile) throw new IoError("it is not a regular file", { code: "EINVAL" });
    return Deno.openSync(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new IoError("it does not exist", { code: "ENOENT", cause: error });
    }
    throw error;
  }
}
