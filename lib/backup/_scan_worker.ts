// Web Worker: lists folders and stats their entries for a backup's walk (`Platform.packDir()`), so that
// the system calls of a tree of many small files run beside the main thread, not on it. Each listing is
// handed back packed in one buffer, transferred, not copied; a folder it cannot read comes back unpacked
// and the main thread reads it itself, to report the error as it is.

/// <reference lib="deno.worker" />

import { platform } from "../platform/mod.ts";

/** Main thread → worker: the folder to read. */
export interface ScanRequest {
  path: string;
}

/** Worker → main thread. */
export interface ScanResponse {
  path: string;
  packed: Uint8Array<ArrayBuffer>;
}

self.onmessage = (event: MessageEvent<ScanRequest>) => {
  const { path } = event.data;
  const packed = platform().packDir(path);
  const response: ScanResponse = { path, packed };
  self.postMessage(response, [packed.buffer]);
};
