// kept's retention against restic's `forget --dry-run --json` on the same history, from golden files
// that tests/retention/regenerate_golden.ts wrote with restic 0.14 (no restic needed here).

import assert from "node:assert/strict";
import { applyRetention } from "../../lib/retention/mod.ts";
import { GOLDEN_DIR, GOLDEN_POLICIES, type ResticGolden, resticRule } from "./_golden.ts";

async function readGolden(name: string): Promise<ResticGolden> {
  return JSON.parse(await Deno.readTextFile(new URL(`${name}.json`, GOLDEN_DIR)));
}

/** Per kept snapshot (by instant), the rules that keep it, sorted: `daily,weekly`. */
function rulesByTime(keep: { time: string; rules: string[] }[]): Map<number, string> {
  return new Map(keep.map(({ time, rules }) => [Date.parse(time), [...rules].sort().join(",")]));
}

for (const name of Object.keys(GOLDEN_POLICIES)) {
  Deno.test(`applyRetention() keeps what restic's forget keeps: ${name}`, async () => {
    const golden = await readGolden(name);
    assert.ok(golden.snapshots.length >= 50, `${name}.json holds only ${golden.snapshots.length} snapshots`);
    const { policy, resticFlags } = GOLDEN_POLICIES[name]!;
    assert.deepEqual(
      [golden.policy, golden.resticFlags],
      [policy, resticFlags],
      `${name}.json is stale: regenerate it`,
    );
    const snapshots = golden.snapshots.map(({ time, tags }) => ({
      id: time,
      time: Date.parse(time),
      tags,
      plan: "golden",
      host: "h",
      destination: "restic",
    }));
    // Shuffled, so that the comparison also covers input order.
    const shuffled = snapshots.filter((_, i) => i % 2 === 1).concat(snapshots.filter((_, i) => i % 2 === 0));
    const [group, ...others] = applyRetention(shuffled, golden.policy, { timeZone: golden.timeZone }).groups;
    assert.equal(others.length, 0);

    const keptReasons = group!.keep.flatMap((kept) => kept.reasons);
    // restic 0.14 has neither rule; the golden policies use up every count before the oldest snapshot.
    assert.deepEqual(keptReasons.filter((reason) => /^(oldest|newest) /.test(reason)), []);

    const ours = rulesByTime(group!.keep.map(({ snapshot, reasons }) => ({
      time: snapshot.id,
      rules: reasons.map((reason) => reason.split(" ")[0]!),
    })));
    const restics = rulesByTime(
      golden.keep.map(({ time, matches }) => ({ time, rules: matches.map(resticRule) })),
    );
    assert.deepEqual(ours, restics);
    assert.equal(group!.keep.length + group!.forget.length, snapshots.length);
  });
}

Deno.test("the restic golden files cover the hour repeated when summer time ends", async () => {
  const golden = await readGolden("last_hourly");
  const repeated = golden.snapshots.filter(({ time }) => time.startsWith("2025-10-26T02:"));
  assert.deepEqual(new Set(repeated.map(({ time }) => time.slice(-6))), new Set(["+02:00", "+01:00"]));
  const keptInRepeatedHour = golden.keep.filter(({ time }) => time.startsWith("2025-10-26T02:"));
  assert.deepEqual(keptInRepeatedHour.map(({ time }) => time), ["2025-10-26T02:40:00+01:00"]);
});
