// A variable that is not set fails only the commands, and the destinations, that use it: in a disaster, a
// restore from the local disk needs no offsite secret, and a backup still reaches the destinations it can.

import assert from "node:assert/strict";
import { join } from "node:path";
import { runKept } from "../_support/run_cli.ts";
import { tempDir } from "../_support/temp_dir.ts";

/**
 * `nas` with a password file, `offsite` with `${KEPT_TEST_OFFSITE_PASSWORD}`; plan `home` to both, and with
 * `web`, plan `web` whose source is `${KEPT_TEST_UNSET_DATA}/www`.
 */
function writeConfig(dir: string, { web }: { web: boolean }): string {
  const config = join(dir, "kept.yaml");
  Deno.writeTextFileSync(join(dir, "nas.pass"), "nas secret\n", { mode: 0o600 });
  Deno.mkdirSync(join(dir, "home"));
  Deno.writeTextFileSync(join(dir, "home", "notes.txt"), "keep me\n");
  Deno.writeTextFileSync(
    config,
    `version: 1
destinations:
  nas: { url: nas, password_file: nas.pass }
  offsite: { url: offsite, password: "\${KEPT_TEST_OFFSITE_PASSWORD}" }
plans:
  home: { sources: [home], destinations: [nas, offsite] }
` + (web ? `  web: { sources: ["\${KEPT_TEST_UNSET_DATA}/www"], destinations: [nas] }\n` : ""),
  );
  return config;
}

const OFFSITE_UNSET = (config: string) =>
  `${config}:4:38: error: environment variable KEPT_TEST_OFFSITE_PASSWORD is not set ` +
  `(used in destinations.offsite.password)`;

Deno.test("an unset variable of one destination fails only that destination: init, backup, snapshots, restore", async () => {
  using temp = tempDir("kept-unset-");
  const dir = temp.path;
  const config = writeConfig(dir, { web: false });
  const kept = (...args: string[]) =>
    runKept(["--config", config, ...args], {
      env: { KEPT_KDF_N: "1024", XDG_STATE_HOME: join(dir, "state"), XDG_CACHE_HOME: join(dir, "cache") },
    });

  const init = await kept("init", "nas");
  assert.equal(init.code, 0, init.stderr);
  assert.equal(init.stderr, "");

  const initOffsite = await kept("init", "offsite");
  assert.equal(initOffsite.code, 1);
  assert.equal(initOffsite.stderr, `kept: ${OFFSITE_UNSET(config)}\n`);
  assert.throws(() => Deno.statSync(join(dir, "offsite")), Deno.errors.NotFound, "no repository begun");

  // As README promises for a destination that fails: named on stderr, the others backed up, exit 1.
  const backup = await kept("backup", "home");
  assert.equal(backup.code, 1, backup.stderr);
  assert.match(backup.stdout, /^nas: snapshot [0-9a-f]{12} saved: /m);
  assert.equal(backup.stderr, `kept: destination "offsite": ${OFFSITE_UNSET(config)}\n`);

  const snapshots = await kept("snapshots");
  assert.equal(snapshots.code, 1);
  assert.match(snapshots.stdout, /^[0-9a-f]{12} .* home +nas /m);
  assert.equal(snapshots.stderr, `kept: destination "offsite": ${OFFSITE_UNSET(config)}\n`);

  const target = join(dir, "restored");
  const restore = await kept("restore", "latest", "--destination", "nas", "--target", target);
  assert.equal(restore.code, 0, restore.stderr);
  assert.equal(Deno.readTextFileSync(join(target, dir, "home", "notes.txt")), "keep me\n");

  const restoreOffsite = await kept("restore", "latest", "--destination", "offsite", "--target", target);
  assert.equal(restoreOffsite.code, 1);
  assert.equal(restoreOffsite.stderr, `kept: ${OFFSITE_UNSET(config)}\n`);
});

Deno.test("kept plan and apply name a destination whose variable is unset as unreachable and go on with the others", async () => {
  using temp = tempDir("kept-unset-apply-");
  const dir = temp.path;
  const config = writeConfig(dir, { web: false });
  const env = {
    KEPT_KDF_N: "1024",
    XDG_STATE_HOME: join(dir, "state"),
    XDG_CACHE_HOME: join(dir, "cache"),
    KEPT_NOW: "2026-12-07T12:00:00Z",
  };
  const kept = (...args: string[]) => runKept(["--config", config, ...args], { env });
  assert.equal((await kept("init", "nas")).code, 0);

  const plan = await kept("plan");
  assert.equal(plan.code, 1, plan.stderr);
  assert.match(
    plan.stdout,
    /^cannot reach offsite: .*KEPT_TEST_OFFSITE_PASSWORD is not set.*; its plans are not planned/m,
  );
  assert.match(plan.stdout, /^backup home → nas: no snapshot yet$/m);

  const apply = await kept("apply");
  assert.equal(apply.code, 1, apply.stderr);
  assert.equal([...Deno.readDirSync(join(dir, "nas", "snapshots"))].length, 1, apply.stdout + apply.stderr);
  assert.match(apply.stdout + apply.stderr, /offsite.*KEPT_TEST_OFFSITE_PASSWORD is not set/);
});

Deno.test("an unset variable in the plan a backup uses still refuses the backup, naming file, line and key", async () => {
  using temp = tempDir("kept-unset-");
  const dir = temp.path;
  const config = writeConfig(dir, { web: true });
  const env = {
    KEPT_KDF_N: "1024",
    XDG_STATE_HOME: join(dir, "state"),
    XDG_CACHE_HOME: join(dir, "cache"),
    KEPT_TEST_OFFSITE_PASSWORD: "offsite secret",
  };
  const kept = (...args: string[]) => runKept(["--config", config, ...args], { env });
  // `kept init` reads no plan (docs/plans.md#environment-variables): it does not need the variable.
  const init = await kept("init", "nas");
  assert.equal(init.code, 0, init.stderr);

  // `${KEPT_TEST_UNSET_DATA}/www` would be `/www`: never backed up in its place.
  const web = await kept("backup", "web");
  assert.equal(web.code, 1);
  assert.equal(
    web.stderr,
    `kept: ${config}:7:20: error: environment variable KEPT_TEST_UNSET_DATA is not set ` +
      `(used in plans.web.sources[0], which becomes "/www")\n`,
  );
  assert.deepEqual([...Deno.readDirSync(join(dir, "nas", "snapshots"))], []);

  // Another plan does not need that variable.
  const home = await kept("backup", "home", "--destination", "nas");
  assert.equal(home.code, 0, home.stderr);
  assert.equal([...Deno.readDirSync(join(dir, "nas", "snapshots"))].length, 1);

  // A scheduled job applies its own plan: another plan's variable is not its to need.
  const applied = await runKept(["--config", config, "apply", "home"], {
    env: { ...env, KEPT_NOW: "2026-12-07T12:00:00Z" },
  });
  assert.equal(applied.code, 0, applied.stderr);
  assert.equal((await kept("apply", "web")).code, 1);
  // Every plan: the one that cannot be read is named and fails the run; the others are planned and done.
  const all = await runKept(["--config", config, "apply"], {
    env: { ...env, KEPT_NOW: "2026-12-08T12:00:00Z" },
  });
  assert.equal(all.code, 1, all.stderr);
  assert.match(all.stderr, /^kept: plan "web": .*KEPT_TEST_UNSET_DATA is not set/m);
  assert.match(all.stdout, /^nothing to do for home → nas: up to date/m); // planned, and up to date
  const planned = await kept("plan");
  assert.equal(planned.code, 1);
  assert.match(planned.stderr, /^kept: plan "web": /m);
  assert.doesNotMatch(planned.stdout, /web/);

  // Nor do listing, pruning or a restore: they read a repository, not plans.
  const listed = await kept("snapshots", "--destination", "nas");
  assert.equal(listed.code, 0, listed.stderr);
  const pruned = await kept("prune", "--destination", "nas");
  assert.equal(pruned.code, 0, pruned.stderr);
  const target = join(dir, "restored");
  const restore = await kept("restore", "latest", "--destination", "nas", "--target", target);
  assert.equal(restore.code, 0, restore.stderr);
  assert.equal(Deno.readTextFileSync(join(target, dir, "home", "notes.txt")), "keep me\n");
});

Deno.test("a destination whose url variable is unset is named by snapshots and prune, not passed over", async () => {
  using temp = tempDir("kept-unset-url-");
  const dir = temp.path;
  const config = join(dir, "kept.yaml");
  Deno.writeTextFileSync(join(dir, "nas.pass"), "nas secret\n", { mode: 0o600 });
  Deno.writeTextFileSync(
    config,
    `version: 1
destinations:
  nas: { url: nas, password_file: nas.pass }
  offsite: { url: "\${KEPT_TEST_UNSET_URL}", password_file: nas.pass }
plans: {}
`,
  );
  const env = { KEPT_KDF_N: "1024", XDG_STATE_HOME: join(dir, "state"), XDG_CACHE_HOME: join(dir, "cache") };
  const kept = (...args: string[]) => runKept(["--config", config, ...args], { env });
  assert.equal((await kept("init", "nas")).code, 0);
  for (const command of ["snapshots", "prune"]) {
    const result = await kept(command);
    assert.equal(result.code, 1, `${command}: ${result.stderr}`);
    assert.match(result.stderr, /^kept: destination "offsite": .*KEPT_TEST_UNSET_URL is not set/m, command);
  }
});
