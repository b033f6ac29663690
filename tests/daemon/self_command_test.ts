// How kept starts itself again: compiled, or under `deno run` with the `kept` task's flags.

import assert from "node:assert/strict";
import { selfCommand } from "../../lib/daemon/mod.ts";
import { compiledV8Flags } from "../../bench/tools.ts";

Deno.test("selfCommand() under deno run starts deno with the kept task's flags and the main module", () => {
  // The kept task's flags, which tests/cli/cli_test.ts holds equal to the compiled binary's.
  const v8Flags = compiledV8Flags(new URL("../../deno.json", import.meta.url).pathname);
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
