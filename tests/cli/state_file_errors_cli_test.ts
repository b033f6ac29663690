// A state file kept cannot use — a damaged page, a path below a regular file, a full disk — ends `kept
// state`, `kept plan` and `kept apply` with one line that names the file and what to do, exit code 1, and
// the file as it was: never a stack trace, never a half-written state.

import assert from "node:assert/strict";
import { type CliResult, runKept } from "../_support/run_cli.ts";
import { tempDir } from "../_support/temp_dir.ts";

const PAGE = 4096;
const NOW = "2026-12-05T02:20:00Z";

/** A config in `root` whose state file is at `state`; plan `web` backs up `root/src` to `local` daily. */
function setUp(root: string, state: string) {
  Deno.mkdirSync(`${root}/src`, { recursive: true });
  Deno.writeTextFileSync(`${root}/src/a.txt`, "a");
  const config = `${root}/kept.yaml`;
  Deno.writeTextFileSync(
    config,
    JSON.stringify({
      version: 1,
      state,
      destinations: { local: { url: `${root}/repo`, password: "pw" } },
      plans: {
        web: { sources: [`${root}/src`], destinations: ["local"], schedule: "15 2 * * *", timezone: "UTC" },
      },
    }),
  );
  return (args: string[]): Promise<CliResult> =>
    runKept(["--config", config, ...args], { env: { KEPT_KDF_N: "1024", TZ: "UTC", KEPT_NOW: NOW } });
}

/** Asserts that `result` is the one line `message` on stderr (no stack) with exit code 1. */
function assertOneLine(result: CliResult, message: RegExp, what: string): void {
  assert.equal(result.code, 1, `${what}: exit code\n${result.stderr}`);
  assert.doesNotMatch(result.stderr, /internal error/, what);
  assert.equal(result.stderr.trimEnd().split("\n").length, 1, `${what}: one line\n${result.stderr}`);
  assert.match(result.stderr.trimEnd(), message, `${what}\n${result.stderr}`);
}

Deno.test("a state file with any page damaged: state, plan and apply refuse it in one line and leave it as it was", async () => {
  using dir = tempDir("kept-damaged-state-");
  const state = `${dir.path}/state/state.db`;
  const kept = setUp(dir.path, state);
  // init, a backup and a cached snapshot list: every table holds rows.
  const applied = await kept(["apply"]);
  assert.equal(applied.code, 0, applied.stderr);
  assert.match(applied.stdout, /backup web → local/);
  const good = Deno.readFileSync(state);
  assert.ok(good.length >= 8 * PAGE, `${good.length} bytes`);

  const pattern = new RegExp(
    `^kept: Cannot use state file "${state}": it is damaged or not a state file \\(delete it: `,
  );
  for (let page = 0; page < good.length / PAGE; page++) {
    const damaged = good.slice();
    damaged.fill(0xab, page * PAGE, (page + 1) * PAGE);
    Deno.writeFileSync(state, damaged);
    for (const command of ["state", "plan", "apply"]) {
      assertOneLine(await kept([command]), pattern, `kept ${command} with page ${page + 1} damaged`);
      assert.deepEqual(
        Deno.readFileSync(state),
        damaged,
        `kept ${command} leaves page ${page + 1} as it was`,
      );
    }
  }
});

Deno.test("a state path below a regular file: state, plan and apply name the file in one line", async () => {
  using dir = tempDir("kept-misplaced-state-");
  Deno.writeTextFileSync(`${dir.path}/pass`, "not a folder\n");
  for (const state of [`${dir.path}/pass/state.db`, `${dir.path}/pass/deeper/state.db`]) {
    const kept = setUp(dir.path, state);
    for (const command of ["state", "plan", "apply"]) {
      assertOneLine(
        await kept([command]),
        new RegExp(
          `^kept: Cannot (use state|create lock) file "${state}(\\.lock)?": "${dir.path}/pass" is not a folder$`,
        ),
        `kept ${command} with state ${state}`,
      );
    }
  }
  assert.equal(Deno.readTextFileSync(`${dir.path}/pass`), "not a folder\n");
});

Deno.test({
  name: "a state file on a full disk: apply, plan and state say so in one line, and the file is as it was",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    using dir = tempDir("kept-full-state-");
    Deno.mkdirSync(`${dir.path}/small`);
    const mount = (args: string[]) => new Deno.Command("mount", { args }).outputSync();
    assert.ok(mount(["-t", "tmpfs", "-o", "size=1m", "tmpfs", `${dir.path}/small`]).success, "mount a tmpfs");
    try {
      const state = `${dir.path}/small/state.db`;
      const kept = setUp(dir.path, state);
      assert.equal((await kept(["apply"])).code, 0);
      const before = Deno.readFileSync(state);
      const filler = Deno.openSync(`${dir.path}/small/filler`, { write: true, create: true });
      assert.throws(() => {
        for (;;) filler.writeSync(new Uint8Array(PAGE));
      }, /No space left on device/);
      filler.close();
      const full = new RegExp(
        `^kept: Cannot use state file "${state}": its disk is full \\(free some space, then run kept again\\)$`,
      );
      for (const command of ["apply", "plan", "state"]) {
        assertOneLine(await kept([command]), full, `kept ${command} on a full disk`);
      }
      assert.deepEqual(Deno.readFileSync(state), before);
      Deno.removeSync(`${dir.path}/small/filler`);
      const again = await kept(["state"]);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /web → local/);
    } finally {
      new Deno.Command("umount", { args: [`${dir.path}/small`] }).outputSync();
    }
  },
});
