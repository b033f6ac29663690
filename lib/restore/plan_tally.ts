// Counting what a plan would write, for a dry run's summary.

import type { RestoreCounts, RestoreEntry } from "./types.ts";
import { linkGroup } from "./link_group.ts";

/** Adds up the entries of a restore plan as {@linkcode applyRestore} would count them once done. */
export class PlanTally implements RestoreCounts {
  files = 0;
  dirs = 0;
  bytes = 0;
  skipped = 0;
  replaced = 0;
  /** Entries refused, or that failed to be planned. */
  problems = 0;
  /** Hard-link groups met (device:inode): their content is written once. */
  readonly #linkGroups = new Set<string>();

  /** Counts one planned entry. */
  add(entry: RestoreEntry): void {
    const { action, node } = entry;
    if (action === "refuse" || action === "fail") this.problems++;
    if (action !== "create" && action !== "replace" && action !== "skip") return;
    if (action === "replace") this.replaced++;
    if (node.type === "dir") {
      this.dirs++;
      return;
    }
    const group = linkGroup(node);
    const firstOfGroup = group === undefined || !this.#linkGroups.has(group);
    if (group !== undefined) this.#linkGroups.add(group);
    if (action === "skip") {
      this.skipped++;
      return;
    }
    this.files++;
    if (node.type === "file" && firstOfGroup) this.bytes += node.size ?? 0;
  }
}
