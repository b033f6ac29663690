// Web Worker: verifies whole packs for `kept check --read-data`. It reads each pack file itself into one
// reused buffer (a fresh 16 MiB per pack would cost page faults and garbage), then checks its hash,
// header and every blob.

/// <reference lib="deno.worker" />

import { describeError } from "../errors.ts";
import type { PackEntry } from "../repo/pack.ts";
import { type PackVerdict, type VerifyKeys, verifyPackBytes } from "./_verify_pack.ts";

/** One pack to verify. */
export interface PackJob {
  job: number;
  pack: string;
  /** The pack file's path on this machine. */
  path: string;
  entries: PackEntry[];
}

/** Main thread → worker. */
export type VerifyRequest = { type: "init"; keys: VerifyKeys } | { type: "packs"; packs: PackJob[] };

/** Worker → main thread. */
export interface VerifyResponse {
  done: (PackVerdict & { job: number })[];
}

let keys: VerifyKeys | undefined;
let buffer = new Uint8Array(0);

self.onmessage = (event: MessageEvent<VerifyRequest>) => {
  const message = event.data;
  if (message.type === "init") {
    keys = message.keys;
    return;
  }
  const response: VerifyResponse = {
    done: message.packs.map((job) => ({ job: job.job, ...verifyPackFile(job) })),
  };
  self.postMessage(response);
};

function verifyPackFile(job: PackJob): PackVerdict {
  let bytes: Uint8Array;
  try {
    bytes = readWhole(job.path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound ? "it does not exist" : describeError(error);
    return { problems: [`cannot be read: ${reason}`], badBlobs: job.entries.map((entry) => entry.id) };
  }
  return verifyPackBytes(keys!, job.pack, bytes, job.entries);
}

/** The file's bytes, in the reused buffer: valid until the next call. */
function readWhole(path: string): Uint8Array {
  const file = Deno.openSync(path, { read: true });
  try {
    const size = file.statSync().size;
    if (buffer.length < size) buffer = new Uint8Array(size);
    let filled = 0;
    while (filled < size) {
      const read = file.readSync(buffer.subarray(filled, size));
      if (read === null || read === 0) break;
      filled += read;
    }
    return buffer.subarray(0, filled);
  } finally {
    file.close();
  }
}
