// Time zones and schedules that systemd and cron could not use, or that never fire: `kept validate` refuses
// them with one line at the value, and nothing that writes timers or crontab lines runs on them.

import assert from "node:assert/strict";
import { runKept } from "../_support/run_cli.ts";
import { tempDir } from "../_support/temp_dir.ts";

const PLAN_FILE = `version: 1
destinations:
  nas: { url: repo, password: pw }
plans:
  web:
    sources: [/srv]
    destinations: [nas]
    schedule: "0 3 * * *"
    timezone: europe/berlin
  db:
    sources: [/srv]
    destinations: [nas]
    schedule: "0 3 * * *"
    timezone: "+02:00"
  feb:
    sources: [/srv]
    destinations: [nas]
    schedule: "0 0 30-31 2 *"
  even:
    sources: [/srv]
    destinations: [nas]
    schedule: "0 0 31 2-4/2 *"
`;

Deno.test("`kept validate` refuses a misspelled zone, a UTC offset and dates that never come, one line each", async () => {
  using dir = tempDir("kept-zones-");
  const file = `${dir.path}/kept.yaml`;
  Deno.writeTextFileSync(file, PLAN_FILE);
  const result = await runKept(["validate", file], { env: { TZ: "UTC" } });
  assert.equal(result.code, 1, result.stderr);
  assert.equal(
    result.stdout,
    [
      `${file}:9:15: error: timezone "europe/berlin" is not spelled as systemd and cron know it (zone names ` +
      `are case-sensitive); did you mean "Europe/Berlin"?`,
      `${file}:14:15: error: timezone "+02:00" is a UTC offset, which systemd and cron cannot read: use an ` +
      `IANA name like Europe/Berlin, or Etc/GMT-2 for this fixed offset`,
      `${file}:18:15: error: "schedule": invalid cron expression "0 0 30-31 2 *": it never runs: February has no day 30 ` +
      `or 31`,
      `${file}:22:15: error: "schedule": invalid cron expression "0 0 31 2-4/2 *": it never runs: February and April ` +
      `have no day 31`,
      "",
    ].join("\n"),
  );
  assert.equal(result.stderr, "1 file checked: 4 errors, 0 warnings\n");
  // The timers and crontab lines are never written from such a config.
  for (const target of ["--systemd", "--cron"]) {
    const shown = await runKept(["--config", file, "schedule", "show", target], { env: { TZ: "UTC" } });
    assert.equal(shown.code, 1, target);
    assert.equal(shown.stdout, "", target);
  }
});
