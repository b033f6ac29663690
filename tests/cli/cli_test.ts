import assert from "node:assert/strict";
import { runKept } from "../_support/run_cli.ts";
import { REPOSITORY_FORMAT_VERSION, VERSION } from "../../lib/version.ts";
import { tempDir } from "../_support/temp_dir.ts";

const NO_STACK = /^\s+at /m;

Deno.test("`kept --version` prints kept's version from deno.json, Deno's, and the formats' versions", async () => {
  const denoJson = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  assert.equal(VERSION, denoJson.version);
  const result = await runKept(["--version"]);
  assert.equal(result.code, 0);
  assert.equal(
    result.stdout,
    `kept ${VERSION}\ndeno ${Deno.version.deno}\nrepository format 1, plan format 1\n`,
  );
});

Deno.test("REPOSITORY_FORMAT_VERSION is the version `kept init` writes into a repository's config", async () => {
  using temp = tempDir("kept-test-");
  const dir = temp.path;
  await Deno.writeTextFile(`${dir}/p.yaml`, "version: 1\ndestinations:\n  d: {url: ./repo, password: x}\n");
  const init = await runKept(["--config", dir, "init", "d"], { env: { KEPT_KDF_N: "1024" } });
  assert.equal(init.code, 0, init.stderr);
  const config = JSON.parse(await Deno.readTextFile(`${dir}/repo/config`));
  assert.equal(config.version, REPOSITORY_FORMAT_VERSION);
});

Deno.test("`deno task kept` runs with the V8 flags that `deno task compile` builds into the binary", async () => {
  const { tasks } = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  const v8Flags = (task: string) => task.split(/\s+/).filter((arg) => arg.startsWith("--v8-flags="));
  assert.deepEqual(v8Flags(tasks.kept), v8Flags(tasks.compile));
  // The young generation's cap keeps a no-change backup ~50 MiB smaller (docs/performance.md#memory).
  assert.ok(v8Flags(tasks.compile).some((flag: string) => flag.includes("--max-semi-space-size=")));
  // A fixed old-generation growth keeps a first backup or a restore 25-90 MiB smaller (the same page).
  assert.ok(v8Flags(tasks.compile).some((flag: string) => flag.includes("--heap-growing-percent=")));
});

Deno.test("`kept --help` lists every command", async () => {
  const result = await runKept(["--help"]);
  assert.equal(result.code, 0);
  for (
    const command of [
      "validate",
      "schema",
      "init",
      "backup",
      "snapshots",
      "ls",
      "diff",
      "restore",
      "check",
      "key",
      "forget",
      "prune",
      "unlock",
      "plan",
      "state",
      "completions",
    ]
  ) {
    assert.match(result.stdout, new RegExp(`^  ${command}\\b`, "m"), `missing ${command}`);
  }
});

Deno.test("an unknown command is a usage error (exit 2) with a suggestion", async () => {
  const result = await runKept(["valdate"]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /unknown command 'valdate'/);
  assert.match(result.stderr, /Did you mean validate\?/);
});

Deno.test("an unknown option and a missing argument are usage errors (exit 2)", async () => {
  assert.equal((await runKept(["validate", "--bogus"])).code, 2);
  const missing = await runKept(["restore", "latest"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--target/);
});

Deno.test("--read-data and --read-data-subset cannot be combined", async () => {
  const result = await runKept(["check", "--read-data", "--read-data-subset", "10%"]);
  assert.equal(result.code, 2);
});

Deno.test("repository commands report an invalid config as one line naming file:line:col", async () => {
  using temp = tempDir("kept-test-");
  const dir = temp.path;
  await Deno.writeTextFile(`${dir}/bad.yaml`, "version: 1\nplans:\n  web:\n    sourcs: [/etc]\n");
  const result = await runKept(["--config", dir, "backup", "web"]);
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    /^kept: \S*bad\.yaml:3:3: error: missing required key "destinations".*\(and 1 more/,
  );
  assert.doesNotMatch(result.stderr, NO_STACK);
});

Deno.test("backup of an unknown plan and a repository that does not exist are one-line errors", async () => {
  using temp = tempDir("kept-test-");
  const dir = temp.path;
  await Deno.writeTextFile(
    `${dir}/p.yaml`,
    "version: 1\ndestinations:\n  d: {url: ./repo, password: x}\nplans:\n  web: {sources: [.], destinations: [d]}\n",
  );
  const unknown = await runKept(["--config", dir, "backup", "wbe"]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /Unknown plan "wbe" \(defined: web\)/);
  const missing = await runKept(["--config", dir, "backup", "web"]);
  assert.equal(missing.code, 10, "no repository (as restic 0.17)");
  assert.match(missing.stderr, /No kept repository at .*repo: the folder does not exist/);
  assert.doesNotMatch(missing.stderr + unknown.stderr, NO_STACK);
});

Deno.test("backup of a plan whose source does not exist fails with one line and saves no snapshot", async () => {
  using temp = tempDir("kept-test-");
  const dir = temp.path;
  Deno.mkdirSync(`${dir}/data`);
  await Deno.writeTextFile(
    `${dir}/p.yaml`,
    "version: 1\ndestinations:\n  d: {url: ./repo, password: x}\n" +
      "plans:\n  web: {sources: [./data, ./uploads, ./www], destinations: [d]}\n",
  );
  const env = { KEPT_KDF_N: "1024" };
  assert.equal((await runKept(["--config", dir, "init", "d"], { env })).code, 0);
  const result = await runKept(["--config", dir, "backup", "web"], { env });
  assert.equal(result.code, 1, result.stderr);
  assert.equal(
    result.stderr,
    `kept: destination "d": Cannot back up plan "web": source "${dir}/uploads" does not exist (and 1 more)\n`,
  );
  assert.deepEqual([...Deno.readDirSync(`${dir}/repo/snapshots`)], []);
  const applied = await runKept(["--config", dir, "apply", "web"], {
    env: { ...env, XDG_STATE_HOME: `${dir}/state` },
  });
  assert.equal(applied.code, 1, "apply records the backup as failed");
  assert.match(applied.stdout + applied.stderr, /source "[^"]+\/uploads" does not exist/);
  assert.deepEqual([...Deno.readDirSync(`${dir}/repo/snapshots`)], []);
});

Deno.test("backup looks for the sources after the before hooks, which may make them; on_failure runs if not", async () => {
  using temp = tempDir("kept-test-");
  const dir = temp.path;
  const plan = (before: string) =>
    "version: 1\ndestinations:\n  d: {url: ./repo, password: x}\n" +
    "plans:\n  db:\n    sources: [./dump/db.sql]\n    destinations: [d]\n" +
    `    hooks: {before: ["${before}"], on_failure: ["echo failed > ${dir}/failed"]}\n`;
  await Deno.writeTextFile(`${dir}/p.yaml`, plan(`mkdir -p ${dir}/dump && echo dump > ${dir}/dump/db.sql`));
  const env = { KEPT_KDF_N: "1024" };
  assert.equal((await runKept(["--config", dir, "init", "d"], { env })).code, 0);
  const made = await runKept(["--config", dir, "backup", "db"], { env });
  assert.equal(made.code, 0, made.stderr);
  assert.equal([...Deno.readDirSync(`${dir}/repo/snapshots`)].length, 1);

  Deno.removeSync(`${dir}/dump`, { recursive: true });
  await Deno.writeTextFile(`${dir}/p.yaml`, plan("true"));
  const missing = await runKept(["--config", dir, "backup", "db"], { env });
  assert.equal(missing.code, 1);
  assert.match(
    missing.stderr,
    /^kept: destination "d": Cannot back up plan "db": source ".+db\.sql" does not exist$/m,
  );
  assert.equal(Deno.readTextFileSync(`${dir}/failed`), "failed\n", "on_failure ran");
  assert.equal([...Deno.readDirSync(`${dir}/repo/snapshots`)].length, 1);
});

Deno.test("repository commands refuse a config with an unset variable instead of using an empty string", async () => {
  using temp = tempDir("kept-test-");
  const dir = temp.path;
  await Deno.writeTextFile(
    `${dir}/p.yaml`,
    'version: 1\ndestinations:\n  d: {url: ./repo, password: x}\nplans:\n  web: {sources: ["${KEPT_TEST_UNSET_DATA}/x"], destinations: [d]}\n',
  );
  const result = await runKept(["--config", dir, "backup", "web"]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /p\.yaml:5:\d+: error: environment variable KEPT_TEST_UNSET_DATA is not set/);
  // validate keeps it a warning, since CI seldom holds production variables
  assert.equal((await runKept(["validate", dir])).code, 0);
});
