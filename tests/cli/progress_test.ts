// The progress line without a terminal: its text from counts, and its redraws on an injected clock.
// deno-lint-ignore-file no-control-regex -- terminal escape codes are what these tests look for

import assert from "node:assert/strict";
import { formatDuration, formatProgress, ProgressLine, type ProgressState } from "../../lib/cli/_progress.ts";
import { processOutput, setTransientLine } from "../../lib/cli/output.ts";
import { RestoreProgress } from "../../lib/cli/_restore_progress.ts";

const MiB = 1024 * 1024;

function restoring(overrides: Partial<ProgressState> = {}): ProgressState {
  return {
    unit: "files",
    done: 120,
    total: 300,
    bytesDone: 100 * MiB,
    bytesTotal: 400 * MiB,
    totalsFinal: true,
    ...overrides,
  };
}

const PLAIN = { verb: "restoring", elapsedMs: 4000, width: 200, color: false };

Deno.test("formatProgress() shows done of total, bytes, share, throughput and ETA", () => {
  assert.equal(
    formatProgress(restoring(), PLAIN),
    "restoring 120/300 files, 100.0 MiB/400.0 MiB, 25%, 25.0 MiB/s, ETA 0:12",
  );
});

Deno.test("formatProgress() marks totals that still grow with + and gives no share or ETA for them", () => {
  assert.equal(
    formatProgress(restoring({ totalsFinal: false }), PLAIN),
    "restoring 120/300+ files, 100.0 MiB/400.0 MiB+, 25.0 MiB/s",
  );
  // A backup's totals grow while its walk goes on; the file still shows, and no colour is left for a share.
  const backingUp = { ...PLAIN, verb: "backing up", color: true };
  const line = formatProgress(
    restoring({
      done: 3,
      total: 512,
      bytesDone: 0,
      bytesTotal: 1536 * MiB,
      totalsFinal: false,
      current: "a",
    }),
    backingUp,
  );
  assert.equal(line, "backing up 3/512+ files, 0 B/1.50 GiB+, \x1b[2ma\x1b[22m");
  // Once the walk has met every file: the share, and an ETA from the bytes.
  assert.equal(
    formatProgress(restoring({ done: 300, total: 512, bytesDone: 512 * MiB, bytesTotal: 1536 * MiB }), {
      ...backingUp,
      color: false,
    }),
    "backing up 300/512 files, 512.0 MiB/1.50 GiB, 33%, 128.0 MiB/s, ETA 0:08",
  );
});

Deno.test("formatProgress() with no bytes left to write counts entries, and nothing to do is all done", () => {
  // Every file already there: 0 B of 0 B is not 0 %.
  assert.equal(
    formatProgress(restoring({ done: 301, total: 301, bytesDone: 0, bytesTotal: 0 }), {
      ...PLAIN,
      elapsedMs: 0,
    }),
    "restoring 301/301 files, 0 B/0 B, 100%",
  );
  assert.equal(
    formatProgress(restoring({ done: 1, total: 4, bytesDone: 0, bytesTotal: 0 }), { ...PLAIN, elapsedMs: 0 }),
    "restoring 1/4 files, 0 B/0 B, 25%",
  );
  assert.equal(
    formatProgress(restoring({ done: 0, total: 0, bytesDone: 0, bytesTotal: 0 }), { ...PLAIN, elapsedMs: 0 }),
    "restoring 0/0 files, 0 B/0 B, 100%",
  );
});

Deno.test("formatProgress() writes a rate below a KiB in whole bytes", () => {
  assert.equal(
    formatProgress(restoring({ bytesDone: 1000, bytesTotal: 4000 }), { ...PLAIN, elapsedMs: 3000 }),
    "restoring 120/300 files, 1000 B/3.91 KiB, 25%, 333 B/s, ETA 0:09",
  );
});

Deno.test("RestoreProgress counts a hard-link group's bytes once: its other names are links", () => {
  const states: ProgressState[] = [];
  const progress = new RestoreProgress(
    { update: (state: ProgressState) => states.push({ ...state }) } as unknown as ProgressLine,
  );
  const file = (name: string, links?: number) => ({
    path: `/${name}`,
    target: `/t/${name}`,
    action: "create" as const,
    node: {
      name,
      type: "file" as const,
      mode: 0o644,
      mtime: "",
      uid: 0,
      gid: 0,
      size: 100,
      ...(links ? { links, device: 1, inode: 7 } : {}),
    },
  });
  for (const entry of [file("a", 2), file("b", 2), file("c")]) progress.planned(entry as never);
  progress.listed();
  assert.equal(states.at(-1)!.bytesTotal, 200);
  // The first one already there: the other, linked to it, writes no bytes either.
  const again = new RestoreProgress({ update: (state: ProgressState) => states.push({ ...state }) } as never);
  again.planned({ ...file("a", 2), action: "skip" } as never);
  again.planned(file("b", 2) as never);
  again.listed();
  assert.equal(states.at(-1)!.bytesTotal, 0);
});

Deno.test("formatProgress() counts units per second when there are no bytes", () => {
  const state: ProgressState = { unit: "packs", done: 6, total: 9, totalsFinal: true };
  assert.equal(
    formatProgress(state, { ...PLAIN, verb: "checking", elapsedMs: 2000 }),
    "checking 6/9 packs, 66%, 3.0 packs/s, ETA 0:01",
  );
});

Deno.test("formatProgress() shortens the current file from the left to stay within the width", () => {
  const current = "/srv/www/uploads/2026/12/a-rather-long-name-for-a-photo.jpg";
  const line = formatProgress(restoring({ current }), { ...PLAIN, width: 100 });
  assert.equal(line.length, 99);
  const shown = line.slice(line.indexOf(", …") + 3);
  assert.ok(shown.length > 8 && current.endsWith(shown), line);
  assert.ok(formatProgress(restoring({ current }), PLAIN).endsWith(`, ${current}`));
  // No room left: no file at all rather than a stub.
  assert.doesNotMatch(formatProgress(restoring({ current }), { ...PLAIN, width: 75 }), /photo|…/);
});

Deno.test("formatProgress() colours only when asked: the share bold, the file dim", () => {
  const line = formatProgress(restoring({ current: "etc/hosts" }), { ...PLAIN, color: true });
  assert.match(line, /\x1b\[1m25%\x1b\[22m/);
  assert.match(line, /\x1b\[2metc\/hosts\x1b\[22m$/);
  assert.doesNotMatch(formatProgress(restoring({ current: "etc/hosts" }), PLAIN), /\x1b/);
});

Deno.test("formatDuration() writes minutes and seconds, and hours when there are some", () => {
  assert.equal(formatDuration(0.2), "0:01");
  assert.equal(formatDuration(27), "0:27");
  assert.equal(formatDuration(725), "12:05");
  assert.equal(formatDuration(3723), "1:02:03");
});

Deno.test("ProgressLine redraws at most every 250 ms, and clear() erases it once", () => {
  let now = 1000;
  const writes: string[] = [];
  const line = new ProgressLine("restoring", {
    write: (text) => writes.push(text),
    clock: () => now,
    width: () => 120,
    color: false,
  });
  for (const [at, done] of [[1000, 1], [1100, 2], [1249, 3], [1250, 4], [1400, 5], [1500, 6]] as const) {
    now = at;
    line.update(restoring({ done }));
  }
  assert.deepEqual(writes.map((text) => /\d+\/300/.exec(text)?.[0]), ["1/300", "4/300", "6/300"]);
  assert.ok(writes.every((text) => text.startsWith("\r") && text.endsWith("\x1b[K")));

  now = 1600;
  line.tick(); // not due: drawn 100 ms ago
  now = 1800;
  line.tick(); // due: the same counts, a later clock
  assert.equal(writes.length, 4);

  line.clear();
  line.clear();
  assert.deepEqual(writes.slice(4), ["\r\x1b[K"]);
  line.update(restoring({ done: 7 })); // drawn again at once after a clear
  assert.match(writes.at(-1)!, /7\/300/);
});

Deno.test("whatever kept prints while a progress line is shown clears the line first", () => {
  let cleared = 0;
  setTransientLine({ clear: () => cleared++ });
  try {
    processOutput.err(""); // e.g. "kept: interrupted by SIGINT…" must not land on the progress line
    processOutput.out("");
  } finally {
    setTransientLine(undefined);
  }
  assert.equal(cleared, 2);
  processOutput.err("");
  assert.equal(cleared, 2);
});
