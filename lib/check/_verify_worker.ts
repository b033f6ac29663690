// Web Worker: verifies whole packs for `kept check --read-data`. A pack in a local folder it reads itself,
// once, blob by blob into one reused buffer (no pack is held whole); a pack from other storage arrives whole,
// transferred from the main thread. It checks the hash, the header and every blob.

/// <reference lib="deno.worker" />

import type { PackEntry } from "../repo/pack.ts";
import { PackChecker, type PackOutcome, type PackSourceJob, type VerifyKeys } from "./_verify_pack.ts";

export type { PackOutcome, PackSourceJob };

/** One pack to verify. */
export interface PackJob {
  job: number;
  pack: string;
  source: PackSourceJob;
  entries: PackEntry[];
}

/** Main thread → worker. */
export type VerifyRequest = { type: "init"; keys: VerifyKeys } | { type: "packs"; packs: PackJob[] };

/** Worker → main thread. */
export interface VerifyResponse {
  done: (PackOutcome & { job: number })[];
}

let checker: PackChecker | undefined;

self.onmessage = (event: MessageEvent<VerifyRequest>) => {
  const message = event.data;
  if (message.type === "init") {
    checker = new PackChecker(message.keys);
    return;
  }
  const response: VerifyResponse = {
    done: message.packs.map((job) => ({
      job: job.job,
      ...checker!.check(job.pack, job.source, job.entries),
    })),
  };
  self.postMessage(response);
};
