// `kept schedule install --cron --user` beside the user's own crontab lines: a real kept process and a fake
// `crontab` on PATH that keeps the table in a file, as `crontab -l` and `crontab -` do.

import assert from "node:assert/strict";
import { runKept } from "../_support/run_cli.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { BLOCK_BEGIN, BLOCK_END, MARKER } from "../../lib/schedule/mod.ts";
import { RESTORE_COMMENT } from "../../lib/schedule/cron_table.ts";

Deno.test("`schedule install --cron --user` names each plan's zone and gives the lines below the zone set above", async () => {
  using dir = tempDir("kept-crontab-");
  const bin = `${dir.path}/bin`;
  const store = `${dir.path}/crontab.txt`;
  Deno.mkdirSync(bin);
  Deno.writeTextFileSync(
    `${bin}/crontab`,
    `#!/bin/sh\nif [ "$1" = "-l" ]; then\n  [ -f '${store}' ] || { echo "no crontab for test" >&2; exit 1; }\n` +
      `  cat '${store}'\nelif [ "$1" = "-" ]; then\n  cat > '${store}'\nfi\n`,
    { mode: 0o755 },
  );
  const plans = {
    db: { sources: [dir.path], destinations: ["local"], schedule: "0 */6 * * *" },
    web: { sources: [dir.path], destinations: ["local"], schedule: "15 2 * * *", timezone: "Europe/Berlin" },
  };
  const config = { version: 1, destinations: { local: { url: `${dir.path}/repo`, password: "pw" } }, plans };
  Deno.writeTextFileSync(`${dir.path}/kept.yaml`, JSON.stringify(config));
  const mine = "MAILTO=me\nCRON_TZ=Asia/Tokyo\n0 5 * * * /home/me/bin/sync\n";
  Deno.writeTextFileSync(store, mine);

  const install = () =>
    runKept(["--config", `${dir.path}/kept.yaml`, "schedule", "install", "--cron", "--user"], {
      env: { HOME: "/home/test", TZ: "UTC", PATH: `${bin}:${Deno.env.get("PATH")}` },
    });
  const first = await install();
  assert.equal(first.code, 0, first.stderr);
  const table = Deno.readTextFileSync(store);
  assert.ok(table.startsWith(mine), table);
  const block = table.slice(mine.length).replace(/ \/\S+.*--config \S+/g, " KEPT").split("\n");
  assert.deepEqual(block, [
    BLOCK_BEGIN,
    MARKER,
    `# Config: ${dir.path}/kept.yaml`,
    "CRON_TZ=Europe/Berlin",
    "# plan web: 15 2 * * *",
    "15 2 * * * KEPT --quiet apply web",
    // The plan without a timezone runs on the machine's clock, not on the Tokyo time set above.
    "CRON_TZ=UTC",
    "# plan db: 0 */6 * * *",
    "0 */6 * * * KEPT --quiet apply db",
    RESTORE_COMMENT,
    "CRON_TZ=Asia/Tokyo",
    BLOCK_END,
    "",
  ]);

  // A line the user adds below the block keeps the Tokyo time it was written for; installing again
  // changes nothing.
  Deno.writeTextFileSync(store, `${table}30 6 * * * /home/me/bin/later\n`);
  const again = await install();
  assert.equal(again.stdout, "unchanged your crontab\n", again.stderr);
});
