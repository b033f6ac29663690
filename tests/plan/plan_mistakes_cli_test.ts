// Plan mistakes seen end to end, as real child processes: a restic repository string must not become a
// local folder named `s3:…`, and a hook's `${KEPT_SNAPSHOT}` is the snapshot just saved, not kept's own
// environment when the plan loaded.

import assert from "node:assert/strict";
import { join } from "node:path";
import { runKept } from "../_support/run_cli.ts";
import { tempDir } from "../_support/temp_dir.ts";

/**
 * Writes `root/plan.yaml`: plan "web" backs up `root/data` (one file) to the repository `root/repo`, with
 * `hooks` (YAML lines below `hooks:`, as written).
 */
async function writeHookedPlan(root: string, hooks: string[]): Promise<void> {
  await Deno.mkdir(join(root, "data"));
  await Deno.writeTextFile(join(root, "data", "file.txt"), "hello\n");
  await Deno.writeTextFile(
    join(root, "plan.yaml"),
    "version: 1\ndestinations:\n  r:\n    url: repo\nplans:\n  web:\n    sources: [data]\n" +
      `    destinations: [r]\n    hooks:\n${hooks.map((line) => `      ${line}\n`).join("")}`,
  );
}

/** Runs kept in `root` with a cheap KDF, the password from the environment and state kept inside `root`. */
function keptIn(root: string, args: string[], env: Record<string, string> = {}) {
  return runKept(args, {
    cwd: root,
    env: {
      KEPT_KDF_N: "1024",
      KEPT_PASSWORD: "pw",
      XDG_STATE_HOME: join(root, "state"),
      XDG_CACHE_HOME: join(root, "cache"),
      XDG_CONFIG_HOME: join(root, "cfg"),
      ...env,
    },
  });
}

Deno.test("`kept init` refuses a restic repository string with one line, and creates no folder", async () => {
  using dir = tempDir("kept-restic-url-");
  const urls = ["s3:s3.example.com/my-bucket/kept", "sftp:user@host:/srv/kept", "file:relative"];
  for (const url of urls) {
    await Deno.writeTextFile(
      join(dir.path, "plan.yaml"),
      `version: 1\ndestinations:\n  r:\n    url: "${url}"\nplans:\n  web:\n    sources: [.]\n    destinations: [r]\n`,
    );
    const init = await keptIn(dir.path, ["--config", "plan.yaml", "init", "r"]);
    assert.equal(init.code, 1, init.stderr);
    assert.equal(init.stderr.trim().split("\n").length, 1, init.stderr);
    assert.match(init.stderr, new RegExp(`plan\\.yaml:4:10: error: URL "${url.replace(/[.]/g, "\\.")}" `));
    assert.doesNotMatch(init.stderr, /^\s+at /m, "no stack trace");
  }
  const left = [...Deno.readDirSync(dir.path)].map((entry) => entry.name).filter((name) =>
    name.includes(":")
  );
  assert.deepEqual(left, [], "no folder named like the URL");
});

Deno.test("`kept backup` gives hooks the new snapshot's id in ${KEPT_SNAPSHOT}, not a value from when the plan loaded", async () => {
  using dir = tempDir("kept-hook-vars-");
  await writeHookedPlan(dir.path, [
    'before: ["echo ${KEPT_PLAN} ${KEPT_DESTINATION} > before.txt"]',
    'after: ["echo ${KEPT_SNAPSHOT} ${KEPT_RESULT} > after.txt"]',
  ]);
  // A stale KEPT_SNAPSHOT in kept's own environment: the hook must still see the new id.
  const env = { KEPT_SNAPSHOT: "stale" };
  const init = await keptIn(dir.path, ["--config", "plan.yaml", "init", "r"], env);
  assert.equal(init.code, 0, init.stderr);
  const backup = await keptIn(dir.path, ["--config", "plan.yaml", "backup", "web", "--json"], env);
  assert.equal(backup.code, 0, backup.stderr);
  const [saved] = JSON.parse(backup.stdout) as { snapshot_id: string }[];
  assert.match(saved?.snapshot_id ?? "", /^[0-9a-f]{64}$/);
  assert.equal(await Deno.readTextFile(join(dir.path, "before.txt")), "web r\n");
  assert.equal(await Deno.readTextFile(join(dir.path, "after.txt")), `${saved!.snapshot_id} success\n`);
});

Deno.test("a hook's ${SECRET} is the shell's: its value is never in kept's log, state file or the command line", async () => {
  using dir = tempDir("kept-hook-secret-");
  await writeHookedPlan(dir.path, [
    `after: ['echo "token=\${API_TOKEN} password=\${KEPT_PASSWORD:-none} \${MISSING:-dflt} \${#HOME} $$" > after.txt']`,
  ]);
  const env = { API_TOKEN: "s3cr3t-token", KEPT_PASSWORD: "pw-not-for-hooks", HOME: "/home/h" };
  assert.equal((await keptIn(dir.path, ["--config", "plan.yaml", "init", "r"], env)).code, 0);
  const backup = await keptIn(dir.path, ["--config", "plan.yaml", "-v", "apply", "web"], env);
  assert.equal(backup.code, 0, backup.stderr);
  // The shell expanded them, from the hook's environment (which has no KEPT_PASSWORD); shell syntax kept
  // does not know (`${#HOME}`, `$$`) is the shell's too: the command goes to sh as written.
  assert.match(
    await Deno.readTextFile(join(dir.path, "after.txt")),
    /^token=s3cr3t-token password=none dflt 7 \d+\n$/,
  );
  const state = new TextDecoder().decode(await Deno.readFile(join(dir.path, "state", "kept", "state.db")));
  for (const text of [backup.stdout, backup.stderr, state]) {
    assert.doesNotMatch(text, /s3cr3t-token|pw-not-for-hooks/);
  }
  assert.match(state, /after \$ echo "token=\$\{API_TOKEN\}/, "the log names the command as written");
});
