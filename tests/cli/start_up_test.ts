// What every command pays before it starts: guards against what made start-up slower before.

import assert from "node:assert/strict";

const LIB = new URL("../../lib/", import.meta.url);

function* sourceFiles(folder: URL): Generator<URL> {
  for (const entry of Deno.readDirSync(folder)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), folder);
    if (entry.isDirectory) yield* sourceFiles(url);
    else if (entry.name.endsWith(".ts")) yield url;
  }
}

Deno.test("lib sorts text by code units, never with localeCompare (its first call loads ICU)", () => {
  const callers = [...sourceFiles(LIB)]
    .filter((file) => /\.localeCompare\(/.test(Deno.readTextFileSync(file)))
    .map((file) => file.pathname.slice(LIB.pathname.length));
  assert.deepEqual(callers, [], "use compareText() from lib/compare_text.ts");
});
