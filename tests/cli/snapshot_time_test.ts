import assert from "node:assert/strict";
import { parseSnapshotTime } from "../../lib/cli/_snapshot_time.ts";
import { UsageError } from "../../lib/errors.ts";

const iso = (text: string, zone: string) => parseSnapshotTime(text, zone).toISOString();

Deno.test("parseSnapshotTime() reads RFC 3339 times with their offset, whatever the zone", () => {
  assert.equal(iso("2026-11-25T02:15:00+01:00", "America/New_York"), "2026-11-25T01:15:00.000Z");
  assert.equal(iso("2026-11-25T02:15:00Z", "Europe/Berlin"), "2026-11-25T02:15:00.000Z");
  assert.equal(iso("2026-11-25T02:15:00.250-05:00", "UTC"), "2026-11-25T07:15:00.250Z");
});

Deno.test("parseSnapshotTime() reads a time without offset on the wall clock of the zone", () => {
  assert.equal(iso("2026-11-25 02:15:00", "Europe/Berlin"), "2026-11-25T01:15:00.000Z");
  assert.equal(iso("2026-07-01 12:00", "Europe/Berlin"), "2026-07-01T10:00:00.000Z");
  assert.equal(iso("2026-11-25T02:15:00", "UTC"), "2026-11-25T02:15:00.000Z");
  // 02:30 does not exist on 29 March 2026 in Berlin: it moves forward by the gap.
  assert.equal(iso("2026-03-29 02:30:00", "Europe/Berlin"), "2026-03-29T01:30:00.000Z");
  // 02:30 comes twice on 25 October 2026: the first pass (summer time).
  assert.equal(iso("2026-10-25 02:30:00", "Europe/Berlin"), "2026-10-25T00:30:00.000Z");
});

Deno.test("parseSnapshotTime() refuses what is no time, naming the value", () => {
  for (
    const bad of ["", "yesterday", "2026-02-30 10:00:00", "2026-11-25", "2026-11-25 25:00:00", "1700000000"]
  ) {
    assert.throws(
      () => parseSnapshotTime(bad, "UTC"),
      (error: unknown) => error instanceof UsageError && error.message.startsWith(`Invalid --time "${bad}"`),
      bad,
    );
  }
});
