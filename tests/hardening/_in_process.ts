// A config folder with one local destination and one plan, and kept run inside this test process through
// `main()` with its output captured: fast enough to run many hostile cases, and what a user sees.

import assert from "node:assert/strict";
import { type CliContext, main } from "../../lib/cli/mod.ts";

/** The password of every repository made here. */
export const PASSWORD = "correct horse battery staple";

/** What one run of kept printed and returned. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A temp folder with `kept.yaml` (destination `local` at `repo`, plan `p` of `data`) and a runner. */
export interface InProcessFixture extends Disposable {
  root: string;
  repo: string;
  data: string;
  config: string;
  /** Runs kept with `--config`, a cheap KDF, and `env` added. */
  kept(args: string[], env?: Record<string, string>): Promise<RunResult>;
  /** Like `kept`, failing the test unless it exits 0. */
  keptOk(args: string[], env?: Record<string, string>): Promise<RunResult>;
}

/**
 * Makes the folder and, unless `init` is false, the repository. `destination` replaces or adds keys of
 * the destination (the password by default).
 */
export async function inProcessFixture(
  options: { init?: boolean; destination?: Record<string, string> } = {},
): Promise<InProcessFixture> {
  const root = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "kept-hardening-" }));
  const fixture: InProcessFixture = {
    root,
    repo: `${root}/repo`,
    data: `${root}/data`,
    config: `${root}/kept.yaml`,
    kept: (args, env = {}) => runKept(root, ["--config", `${root}/kept.yaml`, ...args], env),
    keptOk: async (args, env = {}) => {
      const result = await fixture.kept(args, env);
      assert.equal(result.code, 0, `kept ${args.join(" ")} exited ${result.code}:\n${result.stderr}`);
      return result;
    },
    [Symbol.dispose]() {
      Deno.removeSync(root, { recursive: true });
    },
  };
  Deno.mkdirSync(fixture.data);
  writeConfig(fixture, options.destination ?? { password: PASSWORD });
  if (options.init !== false) await fixture.keptOk(["init", "local"]);
  return fixture;
}

/** Writes `kept.yaml` with destination `local` given `destination`'s keys besides its url. */
export function writeConfig(
  fixture: { root: string; repo: string; data: string },
  destination: Record<string, string>,
) {
  const document = {
    version: 1,
    destinations: { local: { url: fixture.repo, ...destination } },
    plans: { p: { sources: [fixture.data], destinations: ["local"] } },
  };
  Deno.writeTextFileSync(`${fixture.root}/kept.yaml`, JSON.stringify(document, null, 2) + "\n");
}

/** Runs `main(args)` in this process with captured output. */
export async function runKept(cwd: string, args: string[], env: Record<string, string>): Promise<RunResult> {
  let stdout = "";
  let stderr = "";
  const vars: Record<string, string> = { KEPT_KDF_N: "1024", TZ: "UTC", ...env };
  const context: CliContext = {
    output: { out: (text) => stdout += text, err: (text) => stderr += text },
    env: (name) => vars[name],
    cwd,
  };
  const code = await main(args, context);
  return { code, stdout, stderr };
}

/**
 * Fails unless `result` is a failure told in one line: `kept: …` (and perhaps a hint and warnings), no
 * stack, not the exit code of a bug.
 */
export function assertOneLineError(result: RunResult, pattern?: RegExp): void {
  const all = `${result.stdout}${result.stderr}`;
  assert.notEqual(result.code, 0, `expected a failure, got exit 0:\n${all}`);
  assert.notEqual(result.code, 70, `expected a one-line error, got a bug:\n${all}`);
  const errors = result.stderr.split("\n").filter((line) => line.startsWith("kept: "));
  assert.equal(errors.length, 1, `expected one "kept: " line:\n${all}`);
  assert.doesNotMatch(all, /^\s+at /m, `a stack trace was printed:\n${all}`);
  if (pattern) assert.match(errors[0]!, pattern);
}
