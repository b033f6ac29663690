// `kept diff --help` says what "modified" means in the README's words: extended attributes count, for files
// and folders alike, as lib/snapshots/browse.ts compares them.

import assert from "node:assert/strict";
import { runKept } from "../_support/run_cli.ts";

Deno.test("kept diff --help counts extended attributes as a change of a file and of a folder", async () => {
  const help = await runKept(["diff", "--help"]);
  assert.equal(help.code, 0, help.stderr);
  const words = help.stdout.replace(/\s+/g, " ");
  assert.match(
    words,
    /a file, link or special file whose content, type, link target, mode, owner, extended attributes or time \(to the nanosecond\) changed/,
  );
  assert.match(words, /a folder whose mode, owner or extended attributes changed \(not its time alone/);
});
