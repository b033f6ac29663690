// The progress line of a restore, and of a zip export, which writes the same entries.

import { linkGroup, type RestoreEntry } from "../restore/mod.ts";
import { escapeName } from "./output.ts";
import type { ProgressLine, ProgressState } from "./_progress.ts";

/**
 * Counts for the progress line: what the plan lists to write (totals that grow while it is read), what has
 * been written. Entries already in place count as done at once; folders are not counted.
 */
export class RestoreProgress {
  readonly #line: ProgressLine;
  readonly #state: ProgressState = {
    unit: "files",
    done: 0,
    total: 0,
    bytesDone: 0,
    bytesTotal: 0,
    totalsFinal: false,
  };

  constructor(line: ProgressLine) {
    this.#line = line;
  }

  planned(entry: RestoreEntry): void {
    const { node } = entry;
    if (node.type === "dir" || entry.action === "omit" || entry.action === "refuse") return;
    this.#state.total++;
    // A group's first file is its bytes, skipped or written; the others are links.
    const first = this.#firstOfGroup(node);
    if (entry.action === "skip") this.#state.done++;
    else if (first) this.#state.bytesTotal! += node.size ?? 0;
  }

  /** Hard-link groups met: a group's bytes are written once, its other names are links. */
  readonly #groups = new Set<string>();

  #firstOfGroup(node: RestoreEntry["node"]): boolean {
    const key = linkGroup(node);
    if (key === undefined) return true;
    if (this.#groups.has(key)) return false;
    this.#groups.add(key);
    return true;
  }

  listed(): void {
    this.#state.totalsFinal = true;
    this.#line.update(this.#state);
  }

  written(entry: RestoreEntry, bytes: number): void {
    this.#state.done++;
    this.#state.bytesDone! += bytes;
    this.#state.current = escapeName(entry.path); // one line, whatever bytes the name holds
    this.#line.update(this.#state);
  }
}
