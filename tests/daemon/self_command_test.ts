// How kept starts itself again: compiled, or under `deno run` with the `kept` task's flags.

import assert from "node:assert/strict";
import { selfCommand } from "../../lib/daemon/mod.ts";

/** The `--v8-flags=…` of deno.json's `kept` task. */
function keptTaskV8Flags(): string[] {
  const { tasks } = JSON.parse(Deno.readTextFileSync(new URL("../../deno.json", import.meta.url)));
  return (tasks.kept as string).split(/\s+/).filter((arg) => arg.startsWith("--v8-flags="));
}

Deno.test("selfCommand() under deno run starts deno with the kept task's flags and the main module", () => {
  const v8Flags = keptTaskV8Flags();
  assert.equal(v8Flags.length, 1);
  const self = selfCommand(["--config", "/etc/kept"], {
    execPath: "/usr/local/bin/deno",
    mainModule: "file:///opt/kept/main.ts",
  });
  assert.deepEqual(self, {
    command: "/usr/local/bin/deno",
    args: [
      "run",
      "-A",
      "--quiet",
      v8Flags[0],
      "/opt/kept/main.ts",
      "--config",
      "/etc/kept",
    ],
  });
});

Deno.test("selfCommand() of a compiled kept is the executable itself", () => {
  const self = selfCommand(["--config", "/etc/kept"], {
    execPath: "/usr/local/bin/kept",
    mainModule: "file:///tmp/deno-compile-kept/main.ts",
  });
  assert.deepEqual(self, { command: "/usr/local/bin/kept", args: ["--config", "/etc/kept"] });
});

Deno.test("selfCommand() keeps the v8 flags of the kept task in deno.json", async () => {
  const denoJson = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  const flags = selfCommand([], { execPath: "/bin/deno", mainModule: "file:///m.ts" }).args
    .filter((arg) => arg.startsWith("--v8-flags"));
  assert.equal(flags.length, 1);
  assert.ok((denoJson.tasks.kept as string).includes(flags[0]!), `deno.json's kept task has ${flags[0]}`);
});
