// Killing prune at any point of its work loses nothing: the repository checks clean (leftover packs at
// most, as information), every kept snapshot restores, and the next prune finishes the work.

import assert from "node:assert/strict";
import { assertRestores, copyTree, makeHistory } from "./_history.ts";
import { readUntil } from "../_support/read_until.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
/** Points to kill prune at; chosen among its steps with a seeded generator (the seed is printed). */
const POINTS = 10;

Deno.test("prune killed with SIGKILL at 10 points of its work, then run again, loses nothing", async () => {
  const history = await makeHistory();
  const { fixture, snapshots, states } = history;
  const base = `${fixture.root}/base-repo`;
  try {
    // Keep the second and the last snapshot: their data is spread over packs that are partly used.
    await fixture.keptOk(["forget", "--snapshot", snapshots[0]!, snapshots[2]!, snapshots[3]!]);
    await copyTree(fixture.repo, base);
    const steps = await countSteps(fixture.repo, fixture.config);
    assert.ok(steps >= POINTS, `prune has only ${steps} steps`);
    const seed = Number(Deno.env.get("KEPT_TEST_SEED") ?? Date.now() % 100_000);
    console.log(`seed ${seed} (KEPT_TEST_SEED=${seed} repeats it); prune has ${steps} steps`);
    const points = choose(steps, POINTS, seed);
    const killed: string[] = [];
    for (const point of points) {
      Deno.removeSync(fixture.repo, { recursive: true });
      await copyTree(base, fixture.repo);
      const stopped = await killAt(fixture.config, point);
      killed.push(`${point} (${stopped})`);
      const check = await fixture.kept(["check", "--read-data"]);
      assert.equal(check.code, 0, `killed after step ${point} (${stopped}): ${check.stdout}${check.stderr}`);
      // Information about leftover packs, and the temporary file of a pack being written, at most.
      assert.doesNotMatch(
        check.stderr.replace(/^warning: \d+ temporary files? .*$/gm, ""),
        /^warning:/m,
        `killed after step ${point} (${stopped})`,
      );
      await fixture.keptOk(["prune", "--max-unused", "0%"]);
      const after = await fixture.keptOk(["check", "--read-data"]);
      assert.match(after.stdout, /no errors in 2 snapshots/);
      // Left over at most: packs the killed prune wrote but did not index yet, or left when killed while
      // deleting (both wait for the grace period); no index entry stays unused.
      assert.doesNotMatch(after.stderr, /index entries/, `killed after step ${point} (${stopped})`);
      for (const i of [1, 4]) await assertRestores(history, snapshots[i]!, states[i]!);
    }
    console.log(`killed after steps ${killed.join(", ")}`);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("a backup while prune runs fails on its lock, naming prune; after prune it goes through", async () => {
  const history = await makeHistory();
  const { fixture, snapshots, states } = history;
  try {
    await fixture.keptOk(["forget", "--snapshot", snapshots[0]!, snapshots[2]!, snapshots[3]!]);
    const child = prune(fixture.config, "2").spawn();
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    await readUntil(reader, "prune stopped at step 2");
    try {
      const backup = await fixture.kept(["backup", "p"]);
      assert.equal(backup.code, 11, backup.stderr);
      assert.match(backup.stderr, /is locked exclusively by .*, pid \d+/);
    } finally {
      child.kill("SIGTERM");
      reader.releaseLock();
      await child.status;
      await child.stderr.cancel().catch(() => {});
    }
    await fixture.keptOk(["prune", "--max-unused", "0%"]);
    const backup = await fixture.backup("p");
    await fixture.keptOk(["check", "--read-data"]);
    await assertRestores(history, backup.snapshotId!, states[4]!);
    await assertRestores(history, snapshots[1]!, states[1]!);
  } finally {
    await fixture.cleanup();
  }
});

/** Runs prune once on a copy of the repository, printing its steps, and counts them. */
async function countSteps(repo: string, config: string): Promise<number> {
  const copy = `${repo}-count`;
  await copyTree(repo, copy);
  const saved = `${repo}-saved`;
  Deno.renameSync(repo, saved);
  Deno.renameSync(copy, repo);
  try {
    const output = await prune(config, "0").output();
    assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
    return new TextDecoder().decode(output.stderr).split("\n").filter((line) => line.startsWith("prune step"))
      .length;
  } finally {
    Deno.removeSync(repo, { recursive: true });
    Deno.renameSync(saved, repo);
  }
}

/** Starts prune stopping after step `point`, waits until it says so, and kills it; returns the step. */
async function killAt(config: string, point: number): Promise<string> {
  const child = prune(config, String(point)).spawn();
  let said = "";
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  try {
    said = await readUntil(reader, `prune stopped at step ${point}`);
    child.kill("SIGKILL");
  } finally {
    reader.releaseLock();
  }
  const status = await child.status;
  await child.stderr.cancel().catch(() => {});
  assert.equal(status.signal, "SIGKILL", `prune ended before step ${point}:\n${said}`);
  return new RegExp(`^prune step ${point}: (\\S+)$`, "m").exec(said)?.[1] ?? "?";
}

/** `kept prune --max-unused 0%` with the test hook set to `stopAt`. */
function prune(config: string, stopAt: string): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", MAIN, "--config", config, "prune", "--max-unused", "0%"],
    env: { KEPT_KDF_N: "1024", NO_COLOR: "1", KEPT_TEST_PRUNE_STOP_AT: stopAt },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  });
}

/** `count` distinct numbers from 1 to `steps`, chosen by a seeded generator, in increasing order. */
function choose(steps: number, count: number, seed: number): number[] {
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const all = Array.from({ length: steps }, (_, i) => i + 1);
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, count).sort((a, b) => a - b);
}
