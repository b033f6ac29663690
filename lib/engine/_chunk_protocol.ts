// Messages between the backup's main thread and its chunking workers.

import type { ChunkerParams } from "../chunker/mod.ts";

/** Main thread → worker. */
export type ToWorker =
  | {
    type: "init";
    encryptKey: Uint8Array;
    idKey: Uint8Array;
    chunkerKey: Uint8Array;
    params: ChunkerParams;
    level: number;
    /** Ids the repository already has (see _shared_id_set.ts). */
    known: SharedArrayBuffer;
    /** One Int32 per worker: KiB of sealed data sent but not yet stored. */
    credits: SharedArrayBuffer;
    slot: number;
  }
  | { type: "file"; job: number; path: string; size: number; mtime: number };

/** Worker → main thread. */
export type ToMain =
  | { type: "blob"; job: number; id: Uint8Array; sealed: Uint8Array; rawLength: number; credit: number }
  | { type: "done"; job: number; content: string[]; size: number; mtime: number; changed: boolean }
  | { type: "done"; job: number; error: string };
