// A repository and backup options for tests that call the engine directly (no config file, no CLI).

import type { Backend, FileWriter } from "../../lib/backends/backend.ts";
import { type LocalBackend, MemoryBackend } from "../../lib/backends/mod.ts";
import type { BackupOptions } from "../../lib/backup/backup.ts";
import { Repository } from "../../lib/repo/repository.ts";
import { testPlan } from "./plan.ts";
import { RandomBytes } from "./random_bytes.ts";

/**
 * A new repository with password "pw" and a fast key derivation, on `backend` (in memory by default). Its id
 * and keys come from `seed`, so the chunker cuts the same bytes at the same places on every run.
 */
export function testRepository(backend: Backend = new MemoryBackend(), seed = 1): Promise<Repository> {
  const random = new RandomBytes(seed);
  return Repository.init(backend, "pw", {
    host: "h",
    username: "u",
    now: new Date(),
    kdf: { N: 1024, r: 8, p: 1 },
    random: (length) => random.fill(new Uint8Array(length)),
  });
}

/** Options for a backup of `sources`, now, by host "h" to destination "d". */
export function backupOptions(sources: string[], overrides: Partial<BackupOptions> = {}): BackupOptions {
  return {
    plan: testPlan(sources),
    destination: "d",
    host: "h",
    username: "u",
    now: new Date(),
    ...overrides,
  };
}

/** Changes what `backend`'s write-through writers do (slower, failing), keeping the rest as it is. */
export function patchWriters(
  backend: LocalBackend,
  change: (writer: FileWriter) => Partial<FileWriter>,
): void {
  const openWriter = backend.openWriter.bind(backend);
  backend.openWriter = (kind) => {
    const writer = openWriter(kind);
    return { ...writer, ...change(writer) };
  };
}
