// The machine's time zone comes from TZ as the C library reads it: values Temporal and Intl do not take
// (a path, a leading colon, an empty TZ) once ended every command that shows a time in an internal error,
// a real `forget` after it had removed the snapshots.

import assert from "node:assert/strict";
import { machineTimeZone } from "../../lib/machine_time_zone.ts";
import { makeFixture } from "../_support/fixture.ts";

const ZONEINFO = "/usr/share/zoneinfo";
const hasZoneinfo = (() => {
  try {
    return Deno.statSync(`${ZONEINFO}/Asia/Tokyo`).isFile;
  } catch {
    return false;
  }
})();

function zoneWith(tz: string | undefined): string {
  const before = Deno.env.get("TZ");
  try {
    if (tz === undefined) Deno.env.delete("TZ");
    else Deno.env.set("TZ", tz);
    return machineTimeZone();
  } finally {
    if (before === undefined) Deno.env.delete("TZ");
    else Deno.env.set("TZ", before);
  }
}

Deno.test("TZ names the machine's zone as the C library reads it, and UTC when it names none", () => {
  assert.equal(zoneWith("Europe/Berlin"), "Europe/Berlin");
  assert.equal(zoneWith(":Europe/Berlin"), "Europe/Berlin");
  assert.equal(zoneWith(""), "UTC");
  assert.equal(zoneWith(":"), "UTC");
  assert.equal(zoneWith("Bogus/Zone"), "UTC");
  assert.equal(zoneWith("CET-1CEST,M3.5.0,M10.5.0/3"), "UTC");
  assert.equal(zoneWith("/no/such/file"), "UTC");
  // A POSIX rule without summer time is its offset (POSIX counts hours west, so the sign turns).
  assert.equal(zoneWith("JST-9"), "+09:00");
  assert.equal(zoneWith("<+0530>-5:30"), "+05:30");
  assert.equal(zoneWith("EST5"), "-05:00");
  assert.equal(zoneWith("UTC0"), "UTC");
  assert.equal(typeof zoneWith(undefined), "string");
});

Deno.test({
  name: "a TZ that is a path names the zone of the zoneinfo file it leads to, through links",
  ignore: !hasZoneinfo,
  fn: () => {
    assert.equal(zoneWith(`${ZONEINFO}/Asia/Tokyo`), "Asia/Tokyo");
    assert.equal(zoneWith(`:${ZONEINFO}/posix/Asia/Tokyo`), "Asia/Tokyo");
    const link = `${Deno.makeTempDirSync({ prefix: "kept-tz-" })}/localtime`;
    Deno.symlinkSync(`${ZONEINFO}/America/New_York`, link);
    assert.equal(zoneWith(`:${link}`), "America/New_York");
    // A copy, as containers often have for /etc/localtime: the zone file with the same bytes.
    const copy = `${link}.copy`;
    Deno.copyFileSync(`${ZONEINFO}/Australia/Lord_Howe`, copy);
    const zone = zoneWith(`:${copy}`);
    const at = (name: string) =>
      Temporal.Instant.from("2026-01-15T00:00:00Z").toZonedDateTimeISO(name).offset;
    assert.equal(at(zone), at("Australia/Lord_Howe"), zone);
    assert.match(zone, /Lord_Howe|LHI/);
  },
});

Deno.test("snapshots, forget and plan show times whatever TZ holds, and a path's zone is the file's", async () => {
  const fixture = await makeFixture((root) => ({
    p: { sources: [`${root}/src`], retention: { keep_last: 1 } },
  }));
  try {
    Deno.mkdirSync(`${fixture.root}/src`);
    Deno.writeTextFileSync(`${fixture.root}/src/a`, "a");
    await fixture.keptOk(["backup", "p", "--time", "2026-07-01T12:00:00Z"]);
    await fixture.keptOk(["backup", "p", "--time", "2026-07-02T12:00:00Z"]);
    const values = [
      "",
      ":/etc/localtime",
      "Bogus/Zone",
      ...(hasZoneinfo ? [`:${ZONEINFO}/America/New_York`] : []),
    ];
    for (const tz of values) {
      for (const args of [["snapshots"], ["forget", "p", "--dry-run"], ["plan"]]) {
        const result = await fixture.kept(args, { env: { TZ: tz } });
        assert.doesNotMatch(result.stderr, /internal error/, `TZ=${tz} kept ${args.join(" ")}`);
        assert.ok(result.code === 0, `TZ=${tz} kept ${args.join(" ")}: ${result.code} ${result.stderr}`);
      }
    }
    if (hasZoneinfo) {
      const listed = await fixture.keptOk(["snapshots"], { env: { TZ: `:${ZONEINFO}/America/New_York` } });
      assert.match(listed.stdout, /2026-07-02 08:00:00 EDT/);
    }
    // A real forget under such a TZ says what it removed.
    const forgot = await fixture.keptOk(["forget", "p"], { env: { TZ: "" } });
    assert.match(forgot.stdout + forgot.stderr, /forgot 1 snapshot/);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("machineTimeZone() reports the zone from TZ", async () => {
  const script = "console.log(JSON.stringify((await import(Deno.args[0])).machineTimeZone()))";
  const module = new URL("../../lib/machine_time_zone.ts", import.meta.url).href;
  for (const zone of ["America/New_York", "Australia/Lord_Howe", "UTC"]) {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["eval", script, module],
      env: { TZ: zone },
    }).output();
    assert.ok(output.success, new TextDecoder().decode(output.stderr));
    assert.equal(JSON.parse(new TextDecoder().decode(output.stdout)), zone);
  }
});
