// `kept backup -v` writes names as `ls` and `diff` do: a byte that is not UTF-8 as \xNN, a newline as \n,
// a backslash as \\, so every file read is one line that names it exactly.

import assert from "node:assert/strict";
import { makeFixture } from "../_support/fixture.ts";

Deno.test("backup -v escapes names that are not UTF-8 or hold control characters", async () => {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  const src = `${fixture.root}/src`;
  try {
    Deno.mkdirSync(src);
    Deno.writeTextFileSync(`${src}/new\nline`, "1");
    Deno.writeTextFileSync(`${src}/back\\slash`, "2");
    // Deno's API names files by strings: the shell makes the one named by bytes (café in Latin-1).
    const made = new Deno.Command("sh", { args: ["-c", `printf 3 > "$0/caf$(printf '\\351')"`, src] })
      .outputSync();
    assert.ok(made.success, new TextDecoder().decode(made.stderr));

    const expected = [`+ ${src}/back\\\\slash`, `+ ${src}/caf\\xe9`, `+ ${src}/new\\nline`];
    for (const dryRun of [["--dry-run"], []]) {
      const { stdout } = await fixture.keptOk(["-v", "backup", "p", ...dryRun]);
      const lines = stdout.split("\n").filter((line) => line !== "");
      assert.deepEqual(lines.filter((line) => !line.startsWith("local: ")).sort(), expected);
      assert.ok(stdout.isWellFormed() && !stdout.includes("\ufffd"));
    }
  } finally {
    await fixture.cleanup();
  }
});
