// The real runner: a child process whose output comes line by line, whose exit code and last stderr line
// are reported, and which SIGTERM stops. A shell stands in for kept (the runner appends `apply PLAN`).

import assert from "node:assert/strict";
import { applyRunner } from "../../lib/daemon/mod.ts";

/** A runner whose "kept" is `sh -c SCRIPT`; `apply PLAN` arrive as $1 and $2. */
function shellRunner(script: string) {
  return applyRunner({ command: "sh", args: ["-c", script, "kept"] });
}

Deno.test("applyRunner() passes each line on and reports the exit code and the last stderr line", async () => {
  const lines: string[] = [];
  const handle = shellRunner(
    'echo "applying $2"; echo "warning: slow" >&2; printf "kept: failed\\n\\n" >&2; exit 3',
  )(
    "web",
    (stream, line) => lines.push(`${stream}: ${line}`),
  );
  assert.deepEqual(await handle.finished, { code: 3, error: "kept: failed" });
  assert.deepEqual(lines.filter((line) => line.startsWith("stdout")), ["stdout: applying web"]);
  assert.deepEqual(lines.filter((line) => line.startsWith("stderr")), [
    "stderr: warning: slow",
    "stderr: kept: failed",
    "stderr: ",
  ]);
});

Deno.test("applyRunner() reports no error line for a run that succeeds", async () => {
  const handle = shellRunner("echo note >&2; exit 0")("web", () => {});
  assert.deepEqual(await handle.finished, { code: 0, error: undefined });
});

Deno.test("terminate() sends SIGTERM, and the run ends with the code of its handler", async () => {
  const lines: string[] = [];
  // Like kept: on SIGTERM, say so and exit 143.
  const handle = shellRunner(
    'trap "echo interrupted >&2; exit 143" TERM; echo started; while :; do sleep 0.1; done',
  )(
    "web",
    (_stream, line) => lines.push(line),
  );
  while (!lines.includes("started")) await new Promise((resolve) => setTimeout(resolve, 20));
  handle.terminate();
  assert.deepEqual(await handle.finished, { code: 143, error: "interrupted" });
  handle.terminate(); // after the end: harmless
});
