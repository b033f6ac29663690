// Runs kept as a child process that is killed if it outlives a time limit: a test of "never blocks" then
// fails, instead of hanging the test run.

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** What the child printed to stderr, its exit code, and whether it had to be killed. */
export interface BoundedRun {
  code: number;
  stderr: string;
  blocked: boolean;
}

/** Runs `deno run -A main.ts ...args` with a cheap KDF and `env`, killed after `ms`. */
export async function keptWithin(
  ms: number,
  args: string[],
  env: Record<string, string> = {},
): Promise<BoundedRun> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", MAIN, ...args],
    env: { KEPT_KDF_N: "1024", NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let blocked = false;
  const timer = setTimeout(() => {
    blocked = true;
    child.kill("SIGKILL");
  }, ms);
  const output = await child.output();
  clearTimeout(timer);
  return { code: output.code, stderr: new TextDecoder().decode(output.stderr), blocked };
}
