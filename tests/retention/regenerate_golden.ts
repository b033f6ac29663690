// Regenerates tests/fixtures/retention/*.json from restic: makes a throw-away repository in a temp
// folder, backs up a tiny folder under about 100 generated times (seeded, so every run writes the same
// history), runs `restic forget --dry-run --json` with each policy of GOLDEN_POLICIES, and stores
// the history with restic's keep set. restic_golden_test.ts then needs no restic.
//
//   deno run -A tests/retention/regenerate_golden.ts
//
// restic 0.14 reads `--time` as local time. Each backup runs with TZ set to the fixed offset that
// Europe/Berlin has at that instant (Etc/GMT-1 or Etc/GMT-2), so both passes of the repeated hour at
// the end of summer time can be recorded; `forget` then runs with TZ=Europe/Berlin and, since every
// stored offset is Berlin's own, buckets on Berlin's wall clock, as kept does with that zone.

import { GOLDEN_DIR, GOLDEN_POLICIES, type ResticGolden } from "./_golden.ts";

const TIME_ZONE = "Europe/Berlin";
const HOST = "h";
const TAGS = ["keep", "audit", "other"];

/** A generated snapshot: its instant and tags. */
interface Planned {
  time: Temporal.ZonedDateTime;
  tags: string[];
}

/** Deterministic numbers in [0, 1) (mulberry32): the same history on every run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The history: a sparse past (a few snapshots a year since 2021, monthly in early 2025, a spring-forward
 * night), about daily snapshots in September and October 2025, and one every 20 minutes through the
 * night summer time ended (26 October 2025, whose 02h hour happens twice).
 */
function plannedHistory(): Planned[] {
  const random = seededRandom(11);
  const pick = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
  const at = (text: string) => Temporal.PlainDateTime.from(text).toZonedDateTime(TIME_ZONE);
  const times: Temporal.ZonedDateTime[] = [];
  for (let year = 2021; year <= 2024; year++) {
    for (const month of [1, 4, 6, 9, 11]) {
      times.push(at(`${year}-${pad(month)}-${pad(pick(1, 28))}T${pad(pick(0, 23))}:${pad(pick(0, 59))}:00`));
    }
  }
  for (let month = 1; month <= 6; month++) {
    times.push(at(`2025-${pad(month)}-${pad(pick(1, 28))}T${pad(pick(0, 23))}:${pad(pick(0, 59))}:00`));
  }
  for (const time of ["01:20", "01:50", "03:05", "03:40"]) times.push(at(`2025-03-30T${time}:00`));
  let day = at("2025-09-01T00:00:00");
  while (Temporal.PlainDate.compare(day.toPlainDate(), Temporal.PlainDate.from("2025-10-24")) <= 0) {
    for (let count = pick(1, 2); count > 0; count--) {
      times.push(day.with({ hour: pick(0, 23), minute: pick(0, 59) }));
    }
    day = day.add({ days: pick(1, 3) });
  }
  const end = at("2025-10-26T05:00:00");
  for (let time = at("2025-10-25T22:00:00"); Temporal.ZonedDateTime.compare(time, end) <= 0;) {
    times.push(time);
    time = time.add({ minutes: 20 });
  }
  const tagFor = () => {
    const roll = random();
    return roll < 0.1 ? [TAGS[0]!] : roll < 0.15 ? [TAGS[1]!] : roll < 0.25 ? [TAGS[2]!] : [];
  };
  const distinct = new Map(times.map((time) => [time.epochMilliseconds, time]));
  return [...distinct.values()].map((time) => ({ time, tags: tagFor() }));
}

function pad(value: number): string {
  return String(value).padStart(2, "0");
}

/** Runs restic with the repository's environment; returns stdout, or throws with stderr. */
async function restic(args: string[], env: Record<string, string>): Promise<string> {
  const output = await new Deno.Command("restic", { args: ["--no-cache", ...args], env }).output();
  const text = new TextDecoder();
  if (!output.success) {
    throw new Error(`Cannot run "restic ${args.join(" ")}": ${text.decode(output.stderr).trim()}`);
  }
  return text.decode(output.stdout);
}

/** Backs up `source` once per planned snapshot, each at its time and with its tags. */
async function backUpHistory(planned: Planned[], source: string, env: Record<string, string>) {
  for (const { time, tags } of planned) {
    const offsetHours = time.offsetNanoseconds / 3.6e12;
    // POSIX zone names count the other way round: Etc/GMT-2 is UTC+2.
    const zone = { ...env, TZ: `Etc/GMT${offsetHours > 0 ? "-" : "+"}${Math.abs(offsetHours)}` };
    const wallClock = time.toPlainDateTime().toString().replace("T", " ");
    const tagFlags = tags.flatMap((tag) => ["--tag", tag]);
    await restic(["backup", "-q", "--host", HOST, "--time", wallClock, ...tagFlags, source], zone);
  }
}

/** The fields of restic's `snapshots --json` and `forget --json` this script reads. */
interface ResticSnapshot {
  time: string;
  id: string;
  tags?: string[];
}

async function main(): Promise<void> {
  const work = await Deno.makeTempDir({ prefix: "kept-retention-golden-" });
  try {
    const env = {
      RESTIC_REPOSITORY: `${work}/repository`,
      RESTIC_PASSWORD: "golden",
      TZ: TIME_ZONE,
    };
    const source = `${work}/source`;
    await Deno.mkdir(source);
    await Deno.writeTextFile(`${source}/file.txt`, "retention golden\n");
    await restic(["init", "-q"], env);
    const planned = plannedHistory();
    await backUpHistory(planned, source, env);
    const stored: ResticSnapshot[] = JSON.parse(await restic(["snapshots", "--json"], env));
    checkStoredTimes(planned, stored);
    const version = (await restic(["version"], env)).trim();
    await Deno.mkdir(GOLDEN_DIR, { recursive: true });
    for (const [name, { resticFlags, policy }] of Object.entries(GOLDEN_POLICIES)) {
      const keep = await resticKeepSet(resticFlags, env);
      const golden: ResticGolden = {
        generator: "tests/retention/regenerate_golden.ts",
        restic: version,
        timeZone: TIME_ZONE,
        resticFlags,
        policy,
        snapshots: newestFirst(stored).map(({ time, tags }) => ({ time, tags: tags ?? [] })),
        keep,
      };
      await Deno.writeTextFile(new URL(`${name}.json`, GOLDEN_DIR), JSON.stringify(golden, null, 2) + "\n");
      console.log(`${name}.json: ${stored.length} snapshots, restic keeps ${keep.length}`);
    }
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}

/** Throws unless restic stored exactly the planned instants (a wrong TZ would shift them by hours). */
function checkStoredTimes(planned: Planned[], stored: ResticSnapshot[]): void {
  const want = planned.map((p) => p.time.epochMilliseconds).sort((a, b) => a - b);
  const got = stored.map((s) => Date.parse(s.time)).sort((a, b) => a - b);
  if (JSON.stringify(want) !== JSON.stringify(got)) {
    throw new Error("Cannot trust the history: restic stored other times than the planned ones");
  }
}

/** restic's keep set for one policy, newest first, with its reasons. */
async function resticKeepSet(flags: string[], env: Record<string, string>): Promise<ResticGolden["keep"]> {
  const groups: { keep: ResticSnapshot[] | null; reasons: { matches: string[] }[] | null }[] = JSON.parse(
    await restic(["forget", "--dry-run", "--json", "--host", HOST, ...flags], env),
  );
  if (groups.length !== 1) throw new Error(`Expected one snapshot group from restic, found ${groups.length}`);
  const { keep, reasons } = groups[0]!;
  // restic lists the reasons in the order of `keep`.
  const kept = (keep ?? []).map((snapshot, index) => ({
    time: snapshot.time,
    matches: reasons?.[index]?.matches ?? [],
  }));
  return newestFirst(kept);
}

function newestFirst<T extends { time: string }>(list: T[]): T[] {
  return [...list].sort((a, b) => Date.parse(b.time) - Date.parse(a.time));
}

if (import.meta.main) await main();
