import assert from "node:assert/strict";
import fc from "fast-check";
import { formatBytes, parseAge, parseSize, parseTimeout } from "../../lib/plan/mod.ts";
import {
  AGE_PATTERN,
  ageProblem,
  MAX_TIMEOUT_MS,
  MIN_TIMEOUT_MS,
  SIZE_PATTERN,
  sizeLimitProblem,
  TIMEOUT_PATTERN,
  timeoutProblem,
} from "../../lib/plan/units.ts";

Deno.test("parseSize() reads KB/MB/GB/TB as powers of 1000", () => {
  assert.equal(parseSize("500MB"), 500_000_000);
  assert.equal(parseSize("1kb"), 1000);
  assert.equal(parseSize("1.5GB"), 1_500_000_000);
  assert.equal(parseSize("1TB"), 1e12);
});

Deno.test("parseSize() reads KiB/MiB/GiB/TiB and bare K/M/G/T as powers of 1024", () => {
  assert.equal(parseSize("2GiB"), 2 * 1024 ** 3);
  assert.equal(parseSize("2gib"), 2 * 1024 ** 3);
  assert.equal(parseSize("1.5K"), 1536);
  assert.equal(parseSize("3M"), 3 * 1024 ** 2);
  assert.equal(parseSize("1G"), 1024 ** 3);
  assert.equal(parseSize("1T"), 1024 ** 4);
});

Deno.test("parseSize() reads bytes without a unit, with B, and as a number", () => {
  assert.equal(parseSize("10"), 10);
  assert.equal(parseSize("10B"), 10);
  assert.equal(parseSize(" 2 GiB "), 2 * 1024 ** 3);
  assert.equal(parseSize(0), 0);
  assert.equal(parseSize(4096), 4096);
});

Deno.test("parseSize() rejects negative, fractional byte counts, unknown units and overflow", () => {
  for (
    const text of ["", "-1", "1e3", "2XB", "2 gigs", "GiB", "1.5.2M", "9007199254740993", "99999999999TiB"]
  ) {
    assert.equal(parseSize(text), undefined, text);
  }
  assert.equal(parseSize(-1), undefined);
  assert.equal(parseSize(1.5), undefined);
});

Deno.test("parseAge() reads years, months (mo), weeks, days and hours as calendar units", () => {
  assert.deepEqual(parseAge("2d"), { years: 0, months: 0, days: 2, hours: 0 });
  assert.deepEqual(parseAge("36h"), { years: 0, months: 0, days: 0, hours: 36 });
  assert.deepEqual(parseAge("1y2mo"), { years: 1, months: 2, days: 0, hours: 0 });
  assert.deepEqual(parseAge("3w"), { years: 0, months: 0, days: 21, hours: 0 });
  assert.deepEqual(parseAge(" 1y6mo2w3d4h "), { years: 1, months: 6, days: 17, hours: 4 });
  assert.deepEqual(parseAge("0d"), { years: 0, months: 0, days: 0, hours: 0 });
});

Deno.test("parseAge() reads the long names of units, singular and plural", () => {
  assert.deepEqual(parseAge("1year6months"), { years: 1, months: 6, days: 0, hours: 0 });
  assert.deepEqual(parseAge("1month2weeks1day"), { years: 0, months: 1, days: 15, hours: 0 });
  assert.deepEqual(parseAge("2years3hours"), { years: 2, months: 0, days: 0, hours: 3 });
});

Deno.test("parseAge() rejects bare numbers, spaces between amounts, capitals, minutes, a bare m and overflow", () => {
  for (
    const text of [
      "",
      "5",
      "2 days",
      "2d 3h",
      "2D",
      "10min",
      "1.5d",
      "-1d",
      "1y2m",
      "30m",
      "9".repeat(30) + "d",
    ]
  ) {
    assert.equal(parseAge(text), undefined, text);
  }
});

Deno.test("ageProblem() and timeoutProblem() reject a bare m with a did-you-mean naming only the unit that fits", () => {
  // An age has months and no minutes, a timeout minutes and no months.
  assert.match(ageProblem("30m")!, /ambiguous unit "m" in duration "30m": did you mean 30mo \(months\)\?$/);
  assert.match(
    timeoutProblem("30m")!,
    /ambiguous unit "m" in timeout "30m": did you mean 30min \(minutes\)\?$/,
  );
  assert.match(ageProblem("1y2m")!, /did you mean 2mo \(months\)\?$/);
  assert.match(timeoutProblem("1h30m")!, /did you mean 30min \(minutes\)\?$/);
});

Deno.test("ageProblem() and timeoutProblem() name the units that fit where another one is used", () => {
  assert.equal(ageProblem("1y6mo"), undefined);
  assert.equal(timeoutProblem("1h30min"), undefined);
  assert.equal(ageProblem("10min"), `unsupported unit "min" in duration "10min": use y, mo, w, d, h`);
  assert.equal(timeoutProblem("2mo"), `unsupported unit "mo" in timeout "2mo": use w, d, h, min, s, ms`);
  assert.match(
    timeoutProblem("5mins")!,
    /^unknown unit "mins" in timeout "5mins": use .*; did you mean "min"\?$/,
  );
  assert.match(
    ageProblem("2 days")!,
    /^invalid duration "2 days": write amounts and units together, like 2d or 1y6mo$/,
  );
});

Deno.test("parseTimeout() reads w, d, h, min, s and ms and their long names; a bare number is seconds", () => {
  assert.equal(parseTimeout("10min"), 600_000);
  assert.equal(parseTimeout("90s"), 90_000);
  assert.equal(parseTimeout("1h30min"), 5_400_000);
  assert.equal(parseTimeout("500ms"), 500);
  assert.equal(parseTimeout("1min500ms"), 60_500);
  assert.equal(parseTimeout("2minutes1second"), 121_000);
  assert.equal(parseTimeout("1day"), 86_400_000);
  assert.equal(parseTimeout("30"), 30_000);
  assert.equal(parseTimeout(5), 5_000);
  assert.equal(parseTimeout(0), 0);
});

Deno.test("parseTimeout() rejects words, a bare m, months, negative numbers, fractions in text and overflow", () => {
  for (const text of ["", "10 minutes", "10m", "1h30m", "2mo", "1.5h", "-5s", "5y", "9".repeat(400) + "h"]) {
    assert.equal(parseTimeout(text), undefined, text);
  }
  assert.equal(parseTimeout(-1), undefined);
  assert.equal(parseTimeout(Infinity), undefined);
});

Deno.test("timeoutProblem() accepts 1s up to the 2^31-1 ms a timer holds, and names the limit it breaks", () => {
  assert.equal(MIN_TIMEOUT_MS, 1_000);
  assert.equal(MAX_TIMEOUT_MS, 2 ** 31 - 1);
  for (const text of ["1s", "1000ms", 1, "1", 0.9999, "24d", "3w", "24d20h31min23s647ms"]) {
    assert.equal(timeoutProblem(text), undefined, String(text));
  }
  for (const text of [0, "0", "0s", "999ms", 0.5]) {
    assert.match(timeoutProblem(text)!, /^timeout must be at least 1s, found /, String(text));
  }
  assert.equal(timeoutProblem("500ms"), 'timeout must be at least 1s, found "500ms"');
  for (const text of ["4w", "25d", "24d20h31min23s648ms", 2_147_484]) {
    assert.match(timeoutProblem(text)!, /^timeout must be at most 24d20h31min23s647ms \(/, String(text));
  }
  const limit = /at most (\S+) /.exec(timeoutProblem("4w")!)![1]!;
  assert.equal(parseTimeout(limit), MAX_TIMEOUT_MS);
});

Deno.test("the JSON Schema patterns accept exactly the text that the parsers accept", () => {
  const pieces = fc.array(
    fc.constantFrom(
      "1",
      "25",
      ".",
      "5",
      " ",
      "k",
      "K",
      "i",
      "B",
      "b",
      "M",
      "G",
      "T",
      "m",
      "mo",
      "min",
      "in",
      "onth",
      "s",
      "h",
      "d",
      "y",
      "w",
      "x",
      "-",
    ),
    { maxLength: 8 },
  ).map((parts) => parts.join(""));
  /** Same verdict, except that a pattern cannot see that a long number overflows. */
  const agrees = (pattern: string, parsed: unknown, text: string) =>
    new RegExp(pattern).test(text) === (parsed !== undefined) ||
    (parsed === undefined && text.replace(/\D/g, "").length > 3);
  fc.assert(
    fc.property(pieces, (text) => {
      assert.ok(agrees(SIZE_PATTERN, parseSize(text), text), `size ${JSON.stringify(text)}`);
      assert.ok(agrees(AGE_PATTERN, parseAge(text), text), `age ${JSON.stringify(text)}`);
      assert.ok(agrees(TIMEOUT_PATTERN, parseTimeout(text), text), `timeout ${JSON.stringify(text)}`);
    }),
    { numRuns: 2000 },
  );
  // A fraction of a byte, which the property meets only now and then (a CI run found "1.1").
  for (const text of ["1.1", "1.5B", "0.4", "2.5 b"]) {
    assert.ok(!new RegExp(SIZE_PATTERN).test(text) && parseSize(text) === undefined, text);
  }
  for (const text of ["1.0", "2 B", "1.5K", "1.05 MiB"]) {
    assert.ok(new RegExp(SIZE_PATTERN).test(text) && parseSize(text) !== undefined, text);
  }
});

Deno.test("formatBytes writes IEC units with two decimals below 10 and one above, or as asked", () => {
  assert.equal(formatBytes(17), "17 B");
  assert.equal(formatBytes(2.5 * 1024 * 1024), "2.50 MiB");
  assert.equal(formatBytes(210.3 * 1024 * 1024), "210.3 MiB");
  assert.equal(formatBytes(1.5 * 1024 ** 3, 1), "1.5 GiB");
  assert.equal(formatBytes(12 * 1024, 1), "12.0 KiB");
  assert.equal(formatBytes(2 * 1024 ** 5), "2048.0 TiB");
});

Deno.test("parseSize() refuses a fraction of a byte and rounds a fraction of a unit down to whole bytes", () => {
  for (const text of ["1.5B", "1.5", "0.4", "0.5b"]) assert.equal(parseSize(text), undefined, text);
  assert.equal(parseSize("1.0B"), 1);
  assert.equal(parseSize("1.1K"), 1126, "1126.4 bytes, rounded down");
  assert.equal(parseSize("1.005KB"), 1005, "exact decimal arithmetic, not 1004.99…");
  assert.equal(parseSize("0.0001K"), 0);
});

Deno.test("sizeLimitProblem() refuses limits below 1 byte and fractional byte counts", () => {
  assert.equal(sizeLimitProblem("1"), undefined);
  assert.equal(sizeLimitProblem(1), undefined);
  assert.equal(sizeLimitProblem("0.5K"), undefined);
  for (const value of [0, "0", "0B", "0.0001K"]) {
    assert.match(
      sizeLimitProblem(value) ?? "",
      /^size must be at least 1 byte, found .*leaves out every file/,
    );
  }
  for (const value of [0.4, "0.4", "1.5B"]) {
    assert.match(sizeLimitProblem(value) ?? "", /^invalid size .*: write a whole number of bytes/);
  }
});

Deno.test("timeoutProblem() says a negative timeout is below the least, not too large", () => {
  assert.equal(timeoutProblem(-5), "timeout must be at least 1s, found -5");
});
