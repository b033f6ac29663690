// Web Worker: verifies whole packs for `kept check --read-data`. It reads each pack file itself, once, blob
// by blob into one reused buffer (no pack is held whole), and checks its hash, header and every blob.

/// <reference lib="deno.worker" />

import { describeError } from "../errors.ts";
import { BlobOpener } from "../repo/blob.ts";
import type { PackEntry } from "../repo/pack.ts";
import { type PackVerdict, type VerifyKeys, verifyPackFile } from "./_verify_pack.ts";

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

function verifyPack(job: PackJob): PackVerdict {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(job.path, { read: true });
  } catch (error) {
    return unreadable(job, error);
  }
  try {
    const result = verifyPackFile(keys!, job.pack, file, job.entries, scratch, opener);
    scratch = result.scratch;
    return result.verdict;
  } catch (error) {
    return unreadable(job, error);
  } finally {
    file.close();
  }
}

function unreadable(job: PackJob, error: unknown): PackVerdict {
  const reason = error instanceof Deno.errors.NotFound ? "it does not exist" : describeError(error);
  return { problems: [`cannot be read: ${reason}`], badBlobs: job.entries.map((entry) => entry.id) };
}
