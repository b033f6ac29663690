// The layers point one way (STYLE.md): cli → plan/engine → repo → backends; chunker and crypto are leaves
// (crypto uses only memory.ts, a leaf helper).

import assert from "node:assert/strict";

const LIB = new URL("../../lib/", import.meta.url).pathname;

/** Which of our folders each folder may import. */
const ALLOWED: Record<string, string[]> = {
  chunker: [],
  crypto: ["memory.ts"],
  backends: ["errors.ts"],
  plan: [],
  repo: ["crypto", "backends", "errors.ts", "version.ts", "memory.ts"],
  engine: [
    "repo",
    "crypto",
    "chunker",
    "backends",
    "plan",
    "errors.ts",
    "version.ts",
    "secrets.ts",
    "memory.ts",
  ],
  cli: ["engine", "repo", "plan", "errors.ts", "version.ts", "secrets.ts", "backends"],
};

Deno.test("lib/ modules import only the layers below them", async () => {
  const violations: string[] = [];
  for (const [folder, allowed] of Object.entries(ALLOWED)) {
    for await (const entry of Deno.readDir(`${LIB}${folder}`)) {
      if (!entry.name.endsWith(".ts")) continue;
      const source = await Deno.readTextFile(`${LIB}${folder}/${entry.name}`);
      for (const [, target] of source.matchAll(/^(?:import|export)[^"']*["'](\.\.\/[^"']+)["']/gm)) {
        const top = target!.slice(3).split("/")[0]!;
        if (!allowed.includes(top)) violations.push(`lib/${folder}/${entry.name} imports ${target}`);
      }
    }
  }
  assert.deepEqual(violations, []);
});
