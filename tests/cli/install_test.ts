// kept on PATH: `deno task install` (the README's quick start) installs a `kept` command with the
// permissions and V8 flags of `deno task compile`, and `deno task kept` means the user's folder.

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { tempDir } from "../_support/temp_dir.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DENO_JSON = `${ROOT}deno.json`;

/** Runs a program and collects what it printed. */
async function run(
  program: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<{ code: number; stdout: string; stderr: string }> {
  // As from a user's shell: `deno task test` (as .ci/run starts the tests) sets INIT_CWD, and a nested
  // `deno task` keeps a value it finds instead of naming the folder it was started from.
  const env: Record<string, string> = { ...Deno.env.toObject(), NO_COLOR: "1", ...options.env };
  delete env.INIT_CWD;
  const { code, stdout, stderr } = await new Deno.Command(program, {
    args,
    cwd: options.cwd,
    env,
    clearEnv: true,
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

/** The flags of a task that grant permissions or set V8 flags. */
function grants(task: string): string[] {
  return task.split(/\s+/).filter((arg) => arg.startsWith("--allow-") || arg.startsWith("--v8-flags="))
    .sort();
}

/** A config folder `plans/` with one plan backing up `data/` to `repo/`, both in `dir`. */
async function writeConfig(dir: string): Promise<void> {
  await Deno.mkdir(`${dir}/plans`);
  await Deno.mkdir(`${dir}/data`);
  await Deno.writeTextFile(`${dir}/data/hello.txt`, "hello from the installed kept\n");
  await Deno.writeTextFile(
    `${dir}/plans/home.yaml`,
    "version: 1\ndestinations:\n  local: {url: ../repo, password: secret}\n" +
      "plans:\n  home: {sources: [../data], destinations: [local]}\n",
  );
}

Deno.test("`deno task install` grants exactly what `deno task compile` grants", async () => {
  const { tasks } = JSON.parse(await Deno.readTextFile(DENO_JSON));
  assert.deepEqual(grants(tasks.install), grants(tasks.compile));
  assert.match(tasks.install, /^deno install --global\b.* --name kept\b/);
});

Deno.test("`deno task install` puts a working `kept` in DENO_INSTALL_ROOT/bin: init, backup, restore", async () => {
  using temp = tempDir("kept-install-");
  const root = `${temp.path}/root`;
  const installed = await run(Deno.execPath(), ["task", "--config", DENO_JSON, "install"], {
    cwd: temp.path,
    env: { DENO_INSTALL_ROOT: root },
  });
  assert.equal(installed.code, 0, installed.stderr);
  const kept = `${root}/bin/kept`;

  const version = await run(kept, ["--version"], { cwd: temp.path });
  assert.match(version.stdout, /^kept \d+\.\d+\.\d+\ndeno /);

  // The user's ./plans, with no --config: run from the folder that holds it.
  await writeConfig(temp.path);
  const env = { KEPT_KDF_N: "1024" };
  for (const args of [["init", "local"], ["backup", "home"], ["restore", "latest", "--target", "out"]]) {
    const result = await run(kept, args, { cwd: temp.path, env });
    assert.equal(result.code, 0, `kept ${args.join(" ")}: ${result.stderr}`);
  }
  const restored = await Deno.readTextFile(`${temp.path}/out${temp.path}/data/hello.txt`);
  assert.equal(restored, "hello from the installed kept\n");
});

Deno.test("`deno task kept` run from another folder reads that folder's ./plans and relative paths", async () => {
  using temp = tempDir("kept-task-");
  await writeConfig(temp.path);
  const validate = await run(
    Deno.execPath(),
    ["task", "-q", "--config", DENO_JSON, "kept", "validate", "--json"],
    { cwd: temp.path },
  );
  assert.equal(validate.code, 0, validate.stderr);
  // The clone has a ./plans of its own: the files checked must be the user's.
  assert.deepEqual(JSON.parse(validate.stdout).files, [`${temp.path}/plans/home.yaml`]);
  const named = await run(
    Deno.execPath(),
    ["task", "-q", "--config", DENO_JSON, "kept", "validate", "plans/home.yaml"],
    { cwd: temp.path },
  );
  assert.equal(named.code, 0, named.stderr);
});
