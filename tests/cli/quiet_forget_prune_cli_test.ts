// `-q/--quiet` leaves out summary lines and keeps what a command lists (README): forget still lists each
// snapshot it keeps or forgets, without the line that counts them; prune prints only counts, so nothing.

import assert from "node:assert/strict";
import { runKept } from "../_support/run_cli.ts";
import { tempDir } from "../_support/temp_dir.ts";

Deno.test("forget and prune with --quiet print what forget lists and no summary line", async () => {
  using temp = tempDir("kept-quiet-");
  const root = temp.path;
  Deno.mkdirSync(`${root}/src`);
  Deno.writeTextFileSync(`${root}/src/a.txt`, "a");
  Deno.writeTextFileSync(
    `${root}/kept.yaml`,
    JSON.stringify({
      version: 1,
      destinations: { local: { url: `${root}/repo`, password: "pw" } },
      plans: { web: { sources: [`${root}/src`], destinations: ["local"], retention: { keep_last: 1 } } },
    }),
  );
  const kept = async (...args: string[]) => {
    const result = await runKept(["--config", `${root}/kept.yaml`, ...args], {
      env: { KEPT_KDF_N: "1024", TZ: "UTC" },
    });
    assert.equal(result.code, 0, `kept ${args.join(" ")}: ${result.stderr}`);
    return result.stdout;
  };
  await kept("init", "local");
  for (const day of ["01", "02", "03"]) {
    await kept("backup", "web", "--time", `2026-11-${day}T10:00:00Z`, "-q");
  }

  const lines = (stdout: string) => stdout.split("\n").filter((line) => line !== "");
  const listing = [
    /^local: plan "web", host "[^"]+": keep 1, forget 2$/,
    /^ {2}keep {4}[0-9a-f]{12} {2}2026-11-03 10:00:00 UTC {2}last 1$/,
    /^ {2}forget {2}[0-9a-f]{12} {2}2026-11-02 10:00:00 UTC$/,
    /^ {2}forget {2}[0-9a-f]{12} {2}2026-11-01 10:00:00 UTC$/,
  ];
  const assertListing = (stdout: string) => {
    const printed = lines(stdout);
    assert.equal(printed.length, listing.length, stdout);
    listing.forEach((pattern, i) => assert.match(printed[i]!, pattern));
  };

  const loud = await kept("forget", "--dry-run", "--prune");
  assert.match(loud, /^local: would forget 2 snapshots \(dry run: nothing removed\)$/m);
  assert.match(loud, /^local: would free .* \(dry run: nothing changed\)$/m);
  assertListing(await kept("forget", "--dry-run", "--prune", "--quiet"));
  assertListing(await kept("-q", "forget", "--dry-run"));

  assert.match(await kept("prune", "--dry-run"), /^local: would free /m);
  assert.equal(await kept("prune", "--dry-run", "-q"), "");

  assertListing(await kept("forget", "--prune", "-q"));
  assert.equal(lines(await kept("snapshots", "-q")).length, 2, "forget removed the two older snapshots");
  assert.equal(await kept("prune", "-q"), "");
});
