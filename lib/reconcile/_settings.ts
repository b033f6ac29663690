/**
 * A plan's effective settings — what changes the content of its next snapshot — and their fingerprint.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { Plan } from "../plan/mod.ts";

/** The settings of a plan that shape a snapshot's content, as plain data with sorted keys. */
export function effectiveSettings(plan: Plan): Record<string, unknown> {
  return {
    excludeIfPresent: plan.excludeIfPresent,
    excludeLargerThan: plan.excludeLargerThan ?? null,
    excludes: plan.excludes,
    ignoreFiles: plan.ignoreFiles,
    oneFileSystem: plan.oneFileSystem,
    sources: plan.sources,
    tags: plan.tags,
  };
}

/** The SHA-256 of {@link effectiveSettings}, as hex. */
export function settingsFingerprint(settings: Record<string, unknown>): string {
  return createHash("sha256").update(JSON.stringify(settings)).digest("hex");
}

/** One setting that differs: for lists, what was added and removed. */
export interface SettingChange {
  readonly setting: string;
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

/** The settings that differ between `before` and `after`, in key order. */
export function settingChanges(
  before: Readonly<Record<string, unknown>>,
  after: Readonly<Record<string, unknown>>,
): SettingChange[] {
  const changes: SettingChange[] = [];
  for (const setting of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    const was = before[setting];
    const is = after[setting];
    if (JSON.stringify(was) === JSON.stringify(is)) continue;
    const wasList = asList(was);
    const isList = asList(is);
    changes.push({
      setting,
      added: isList.filter((item) => !wasList.includes(item)),
      removed: wasList.filter((item) => !isList.includes(item)),
    });
  }
  return changes;
}

function asList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  return value === undefined || value === null ? [] : [String(value)];
}
