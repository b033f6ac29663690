// Cron schedules as crontab lines, and kept's block in a user's crontab.

import assert from "node:assert/strict";
import {
  BLOCK_BEGIN,
  BLOCK_END,
  cronFileName,
  cronLines,
  crontabFields,
  MARKER,
  replaceCronBlock,
  Unexpressible,
} from "../../lib/schedule/mod.ts";
import { RESTORE_COMMENT } from "../../lib/schedule/cron_table.ts";

Deno.test("crontabFields() writes croner's schedules so that Vixie cron reads them the same way", () => {
  const cases: [string, string][] = [
    ["@daily", "0 0 * * *"],
    ["15 2 * * *", "15 2 * * *"],
    ["*/10 * * * *", "*/10 * * * *"],
    ["0 0 * jan-mar mon-fri", "0 0 * 1-3 1-5"],
    ["0 0 * * 7", "0 0 * * 0"],
    // croner ORs a stepped day with a weekday; Vixie cron would AND a day field starting with `*`.
    ["0 0 */2 * MON", "0 0 1-31/2 * 1"],
    ["0 0 * * */2", "0 0 * * 0-6/2"],
    ["0 15 2 * * *", "15 2 * * *"],
  ];
  for (const [cron, expected] of cases) assert.equal(crontabFields(cron), expected, cron);
});

Deno.test("crontabFields() refuses seconds, L, W, # and + with a reason", () => {
  for (const cron of ["*/5 * * * * *", "0 0 L * *", "0 0 15W * *", "0 0 * * MON#2", "0 0 1 * +MON"]) {
    assert.throws(() => crontabFields(cron), Unexpressible, cron);
  }
});

const OPTIONS = {
  command: ["/usr/bin/kept", "--config", "/etc/kept"],
  config: "/etc/kept",
  system: false,
  environment: {},
};
const HEAD = `${MARKER}\n# Config: /etc/kept`;

const PLANS = [
  { name: "web", definedIn: "/etc/kept/kept.yaml", cron: "15 2 * * *", timeZone: "Europe/Berlin" },
  { name: "db", definedIn: "/etc/kept/kept.yaml", cron: "0 * * * *", timeZone: undefined },
];

Deno.test("cronLines() sets CRON_TZ for every plan of a user's crontab, the machine's zone by name", () => {
  // A CRON_TZ above kept's block must not move the plans that run on the machine's clock.
  assert.deepEqual(cronLines(PLANS, { ...OPTIONS, machineTimeZone: "UTC" }), [
    "CRON_TZ=Europe/Berlin",
    "# plan web: 15 2 * * *",
    "15 2 * * * /usr/bin/kept --config /etc/kept --quiet apply web",
    "CRON_TZ=UTC",
    "# plan db: 0 * * * *",
    "0 * * * * /usr/bin/kept --config /etc/kept --quiet apply db",
    RESTORE_COMMENT,
    "CRON_TZ=UTC",
  ]);
});

Deno.test("cronLines() of /etc/cron.d/kept groups plans by zone and restores the machine's zone after the last CRON_TZ", () => {
  assert.deepEqual(cronLines(PLANS, { ...OPTIONS, system: true, machineTimeZone: "UTC" }), [
    "# plan db: 0 * * * *",
    "0 * * * * root /usr/bin/kept --config /etc/kept --quiet apply db",
    "CRON_TZ=Europe/Berlin",
    "# plan web: 15 2 * * *",
    "15 2 * * * root /usr/bin/kept --config /etc/kept --quiet apply web",
    "CRON_TZ=UTC",
  ]);
});

Deno.test("cronLines() quotes words for the shell and escapes % (which cron turns into a newline)", () => {
  const lines = cronLines(
    [{ name: "web", definedIn: "x", cron: "@hourly", timeZone: undefined }],
    { ...OPTIONS, command: ["/opt/my kept/kept", "--config", "/etc/100%/it's"], machineTimeZone: "UTC" },
  );
  assert.equal(lines[2], `0 * * * * '/opt/my kept/kept' --config '/etc/100\\%/it'\\''s' --quiet apply web`);
});

Deno.test("cronLines() names the plan file, plan and key of a schedule cron cannot express", () => {
  assert.throws(
    () =>
      cronLines([{ name: "web", definedIn: "/p/web.yaml", cron: "0 0 L * *", timeZone: undefined }], {
        ...OPTIONS,
        machineTimeZone: "UTC",
      }),
    { message: /^\/p\/web\.yaml: plans\.web\.schedule "0 0 L \* \*" cannot be written as a crontab line: / },
  );
});

Deno.test("replaceCronBlock() replaces kept's block in place and keeps every other line as it was", () => {
  const mine = "MAILTO=me\n0 5 * * * /home/me/bin/sync\n";
  const first = replaceCronBlock(mine, ["0 * * * * kept apply a"], "/etc/kept");
  assert.equal(first, `${mine}${BLOCK_BEGIN}\n${HEAD}\n0 * * * * kept apply a\n${BLOCK_END}\n`);
  const edited = first + "30 6 * * * /home/me/bin/later\n";
  const second = replaceCronBlock(edited, ["0 * * * * kept apply b"], "/etc/kept");
  assert.equal(
    second,
    `${mine}${BLOCK_BEGIN}\n${HEAD}\n0 * * * * kept apply b\n${BLOCK_END}\n30 6 * * * /home/me/bin/later\n`,
  );
  assert.equal(replaceCronBlock(second, ["0 * * * * kept apply b"], "/etc/kept"), second);
  assert.equal(replaceCronBlock(second, [], "/etc/kept"), `${mine}30 6 * * * /home/me/bin/later\n`);
});

Deno.test("replaceCronBlock() refuses a crontab whose kept block has lost its end line", () => {
  assert.throws(() => replaceCronBlock(`${BLOCK_BEGIN}\n0 * * * * x\n`, ["y"], "/etc/kept"), {
    message: /no "# END kept/,
  });
});

Deno.test("replaceCronBlock() ends kept's block with the CRON_TZ set above it, so the lines below keep their zone", () => {
  const lines = cronLines(PLANS, { ...OPTIONS, machineTimeZone: "UTC" });
  const above = "MAILTO=me\nCRON_TZ = Asia/Tokyo\n0 5 * * * /home/me/bin/sync\n";
  const below = "30 6 * * * /home/me/bin/later\n";
  const first = replaceCronBlock(above, lines, "/etc/kept");
  assert.equal(
    first,
    `${above}${BLOCK_BEGIN}\n${HEAD}\n${lines.slice(0, -1).join("\n")}\nCRON_TZ = Asia/Tokyo\n${BLOCK_END}\n`,
  );
  // Replaced in place, with a line of the user's below it: the same block again.
  const edited = first + below;
  assert.equal(replaceCronBlock(edited, lines, "/etc/kept"), edited);
  // Without a CRON_TZ above, the lines below run on the machine's zone, named.
  const plain = replaceCronBlock(below, lines, "/etc/kept");
  assert.equal(plain, `${below}${BLOCK_BEGIN}\n${HEAD}\n${lines.join("\n")}\n${BLOCK_END}\n`);
  assert.match(plain, /^CRON_TZ=UTC\n# END kept schedule\n$/m);
});

Deno.test("replaceCronBlock() keeps each config's block: installing one leaves another's as it was", () => {
  const mine = "0 5 * * * /home/me/bin/sync\n";
  const a = replaceCronBlock(mine, ["0 * * * * kept --config /a apply web"], "/a");
  const both = replaceCronBlock(a, ["0 * * * * kept --config /b apply web"], "/b");
  assert.equal(
    both,
    `${mine}${BLOCK_BEGIN}\n${MARKER}\n# Config: /a\n0 * * * * kept --config /a apply web\n${BLOCK_END}\n` +
      `${BLOCK_BEGIN}\n${MARKER}\n# Config: /b\n0 * * * * kept --config /b apply web\n${BLOCK_END}\n`,
  );
  // b's plans lose their schedule: only b's block goes.
  assert.equal(replaceCronBlock(both, [], "/b"), a);
  // A block an older kept wrote names no config: the install of the config it runs makes it its own,
  // another config's install leaves it alone.
  const old = `${mine}${BLOCK_BEGIN}\n${MARKER}\n0 * * * * kept --config /a apply web\n${BLOCK_END}\n`;
  assert.equal(replaceCronBlock(old, ["0 * * * * kept --config /a apply web"], "/a"), a);
  assert.ok(replaceCronBlock(old, ["0 * * * * kept --config /b apply web"], "/b").startsWith(old));
});

Deno.test("cronFileName() names one /etc/cron.d file per config, as cron accepts names", () => {
  assert.equal(cronFileName("/etc/kept"), "kept-etc-kept");
  assert.equal(cronFileName("/home/me/.config/kept/kept.yaml"), "kept-home-me-config-kept-kept-yaml");
});
