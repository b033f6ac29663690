// Web Worker: verifies whole packs for `kept check --read-data`, one message per pack.

/// <reference lib="deno.worker" />

import { type PackVerdict, type VerifyKeys, verifyPackBytes } from "./_verify_pack.ts";
import type { PackEntry } from "../repo/pack.ts";
import { discard } from "../memory.ts";

/** Main thread → worker. */
export interface VerifyRequest {
  keys: VerifyKeys;
  pack: string;
  bytes: Uint8Array;
  entries: PackEntry[];
}

/** Worker → main thread. */
export interface VerifyResponse extends PackVerdict {
  pack: string;
}

self.onmessage = (event: MessageEvent<VerifyRequest>) => {
  const { keys, pack, bytes, entries } = event.data;
  const response: VerifyResponse = { pack, ...verifyPackBytes(keys, pack, bytes, entries) };
  discard(bytes); // 16 MiB per pack: give it back now rather than at the next GC
  self.postMessage(response);
};
