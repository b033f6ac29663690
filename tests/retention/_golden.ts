// The golden files that compare kept's retention with restic's `forget`: their shape and where they live.
// tests/retention/regenerate_golden.ts writes them; restic_golden_test.ts reads them.

import type { RetentionPolicy } from "../../lib/retention/mod.ts";

/** The folder of the golden files. */
export const GOLDEN_DIR = new URL("../fixtures/retention/", import.meta.url);

/** One policy run through restic over one generated history. */
export interface ResticGolden {
  /** What wrote the file and with which restic. */
  generator: string;
  restic: string;
  /** The zone restic's snapshot times were recorded and bucketed in. */
  timeZone: string;
  /** The `restic forget` flags of the policy. */
  resticFlags: string[];
  /** The same policy as kept takes it. */
  policy: RetentionPolicy;
  /** The history, newest first: RFC 3339 times as restic stored them, and tags. */
  snapshots: { time: string; tags: string[] }[];
  /** What restic kept, newest first, with restic's reasons (`daily snapshot`, `within 1m10d`). */
  keep: { time: string; matches: string[] }[];
}

/** The policies of the golden files, by file name: restic flags and kept's policy side by side. */
export const GOLDEN_POLICIES: Record<string, { resticFlags: string[]; policy: RetentionPolicy }> = {
  mixed: {
    resticFlags: ["--keep-daily", "7", "--keep-weekly", "5", "--keep-monthly", "12", "--keep-yearly", "3"],
    policy: { daily: 7, weekly: 5, monthly: 12, yearly: 3 },
  },
  last_hourly: {
    resticFlags: ["--keep-last", "3", "--keep-hourly", "12"],
    policy: { last: 3, hourly: 12 },
  },
  within_tags: {
    resticFlags: ["--keep-within", "1m10d", "--keep-tag", "keep", "--keep-tag", "audit"],
    policy: { within: { years: 0, months: 1, days: 10, hours: 0 }, tags: ["keep", "audit"] },
  },
};

/** The rule behind one of restic's reasons: `daily snapshot` → daily, `has tags [keep]` → tag. */
export function resticRule(match: string): string {
  if (match.startsWith("has tags ")) return "tag";
  if (match.startsWith("within ")) return "within";
  const rule = /^(last|hourly|daily|weekly|monthly|yearly) snapshot$/.exec(match)?.[1];
  if (rule === undefined) throw new Error(`Unknown restic reason "${match}"`);
  return rule;
}
