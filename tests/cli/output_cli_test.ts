// What a person reads: -q and -v, tables sized to their contents, times in local time with the zone.

import assert from "node:assert/strict";
import { makeFixture } from "../_support/fixture.ts";
import { formatLocalTime } from "../../lib/cli/_local_time.ts";
import { formatTable } from "../../lib/cli/_table.ts";

const LONG_PLAN = "nightly-database-and-uploads";

Deno.test("formatLocalTime() shows the wall clock of the zone with its abbreviation, else its offset", () => {
  const winter = new Date("2026-12-06T07:15:02Z");
  const summer = new Date("2026-07-01T10:00:00Z");
  assert.equal(formatLocalTime(winter, "Europe/Berlin"), "2026-12-06 08:15:02 CET");
  assert.equal(formatLocalTime(summer, "Europe/Berlin"), "2026-07-01 12:00:00 CEST");
  assert.equal(formatLocalTime(winter, "America/New_York"), "2026-12-06 02:15:02 EST");
  assert.equal(formatLocalTime(winter, "UTC"), "2026-12-06 07:15:02 UTC");
  assert.equal(formatLocalTime("2026-12-06T07:15:02.5Z", "Asia/Kolkata"), "2026-12-06 12:45:02 +05:30");
});

Deno.test("formatTable() pads every column but the last to its widest cell", () => {
  assert.equal(
    formatTable([["ID", "Plan", "Size"], ["1", "a-long-plan", "5 B"]]),
    "ID  Plan         Size\n1   a-long-plan  5 B\n",
  );
});

Deno.test("snapshots, ls and key list show local times with the zone; --json keeps UTC", async (t) => {
  const fixture = await makeFixture((root) => ({
    web: { sources: [`${root}/src`] },
    [LONG_PLAN]: { sources: [`${root}/src`] },
  }));
  const berlin = { env: { TZ: "Europe/Berlin" } };
  try {
    Deno.mkdirSync(`${fixture.root}/src`);
    Deno.writeTextFileSync(`${fixture.root}/src/a.txt`, "hello\n");
    Deno.utimeSync(
      `${fixture.root}/src/a.txt`,
      new Date("2026-01-15T12:00:00Z"),
      new Date("2026-01-15T12:00:00Z"),
    );
    await fixture.keptOk(["backup", "web", "--time", "2026-07-01T10:00:00Z"]);
    await fixture.keptOk(["backup", LONG_PLAN, "--time", "2026-12-06T07:15:02Z"]);

    await t.step("snapshots: columns line up whatever the plan name's length", async () => {
      const lines = (await fixture.keptOk(["snapshots"], berlin)).stdout.trimEnd().split("\n");
      const [header, ...rows] = lines;
      assert.equal(rows.length, 3, lines.join("\n"));
      assert.equal(rows[2], "2 snapshots");
      for (const column of ["Destination", "Host", "Size"]) {
        const at = header!.indexOf(column);
        for (const row of rows.slice(0, 2)) {
          assert.equal(row[at - 1], " ", `${column} starts at the same column:\n${lines.join("\n")}`);
          assert.notEqual(row[at], " ", `${column} starts at the same column:\n${lines.join("\n")}`);
        }
      }
      assert.match(rows[0]!, /^[0-9a-f]{12} {2}2026-07-01 12:00:00 CEST {2}web {2}/);
      assert.match(rows[1]!, new RegExp(`^[0-9a-f]{12}  2026-12-06 08:15:02 CET   ${LONG_PLAN}  local`));
    });

    await t.step("snapshots --json keeps RFC 3339 UTC", async () => {
      const rows = JSON.parse((await fixture.keptOk(["snapshots", "--json"], berlin)).stdout) as {
        time: string;
      }[];
      assert.deepEqual(rows.map((row) => new Date(row.time).toISOString()), [
        "2026-07-01T10:00:00.000Z",
        "2026-12-06T07:15:02.000Z",
      ]);
      assert.ok(rows.every((row) => row.time.endsWith("Z")));
    });

    await t.step("ls shows each entry's time on the same clock", async () => {
      const text = (await fixture.keptOk(["ls", "latest", `${fixture.root}/src/a.txt`], berlin)).stdout;
      assert.match(text, /^-rw-r--r-- +6 2026-01-15 13:00:00 CET \/.*\/src\/a\.txt\n$/);
    });

    await t.step("key list shows when each key was made, on the same clock", async () => {
      const text = (await fixture.keptOk(["key", "list"], berlin)).stdout;
      assert.match(text, /^\* {2}[0-9a-f]{12} {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d CES?T {2}\S+@\S+\n$/);
    });
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("-q leaves out summary lines, -v lists what restore writes, and both together are refused", async (t) => {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  try {
    Deno.mkdirSync(`${fixture.root}/src/dir`, { recursive: true });
    Deno.writeTextFileSync(`${fixture.root}/src/a.txt`, "a\n");
    Deno.writeTextFileSync(`${fixture.root}/src/dir/b.txt`, "b\n");

    await t.step("backup -q prints nothing and succeeds", async () => {
      const result = await fixture.keptOk(["-q", "backup", "p"]);
      assert.equal(result.stdout, "");
      assert.equal(result.stderr, "");
      const loud = await fixture.keptOk(["backup", "p"]);
      assert.match(loud.stdout, /^local: snapshot [0-9a-f]{12} saved: /);
    });

    await t.step("snapshots -q prints the table without its count", async () => {
      const lines = (await fixture.keptOk(["--quiet", "snapshots"])).stdout.trimEnd().split("\n");
      assert.equal(lines.length, 3);
      assert.match(lines[0]!, /^ID +Time/);
    });

    await t.step("restore -v lists each entry as it is restored, then the summary", async () => {
      const target = `${fixture.root}/restored`;
      const result = await fixture.keptOk(["-v", "restore", "latest", "--target", target]);
      const lines = result.stdout.trimEnd().split("\n");
      const src = `${fixture.root}/src`;
      for (const path of [`${src}/`, `${src}/a.txt`, `${src}/dir/`, `${src}/dir/b.txt`]) {
        assert.ok(lines.includes(`+ ${path}`), `"+ ${path}" is listed:\n${result.stdout}`);
      }
      assert.match(lines.at(-1)!, /^restored snapshot [0-9a-f]{12}: 2 files/);
      assert.equal(Deno.readTextFileSync(`${target}${src}/dir/b.txt`), "b\n");
    });

    await t.step("restore without -v prints the summary only; with -q nothing", async () => {
      const plain = await fixture.keptOk(["restore", "latest", "--target", `${fixture.root}/r2`]);
      assert.match(plain.stdout, /^restored snapshot [0-9a-f]{12}: 2 files[^\n]*\n$/);
      const quiet = await fixture.keptOk(["-q", "restore", "latest", "--target", `${fixture.root}/r3`]);
      assert.equal(quiet.stdout, "");
      assert.equal(Deno.readTextFileSync(`${fixture.root}/r3${fixture.root}/src/a.txt`), "a\n");
    });

    await t.step("-q with -v is a usage error (exit 2) in one line", async () => {
      const result = await fixture.kept(["-q", "-v", "snapshots"]);
      assert.equal(result.code, 2);
      assert.equal(result.stdout, "");
      assert.equal(result.stderr, "kept: Cannot combine --quiet and --verbose\n");
    });
  } finally {
    await fixture.cleanup();
  }
});
