// Mistakes with a config as a whole, run as a real child process in a temp folder and compared with golden
// files under tests/fixtures/plans/mistakes/ (the temp folder's path written as $TMP): no config at all,
// and sources that do not exist, relative ones shown resolved. `UPDATE_GOLDEN=1` rewrites them.

import { fileURLToPath } from "node:url";
import { runKept } from "../_support/run_cli.ts";
import { assertGolden } from "../_support/golden.ts";
import { tempDir } from "../_support/temp_dir.ts";

const GOLDEN = fileURLToPath(new URL("../fixtures/plans/mistakes/", import.meta.url));

/** `kept ARGS` run in `cwd` with HOME there too (no ~/.config/kept), as the golden file shows it. */
async function transcript(args: string[], cwd: string): Promise<string> {
  const result = await runKept(args, { cwd, env: { HOME: cwd, XDG_CONFIG_HOME: "", KEPT_CONFIG: "" } });
  const text = `$ kept ${args.join(" ")}\nexit code ${result.code}\n--- stdout\n${result.stdout}` +
    `--- stderr\n${result.stderr}`;
  return text.replaceAll(cwd, "$TMP");
}

Deno.test("without --config, KEPT_CONFIG, ./plans or ~/.config/kept, kept names all four ways to give one", async () => {
  using dir = tempDir("kept-no-config-");
  const runs = [await transcript(["validate"], dir.path), await transcript(["snapshots"], dir.path)];
  await assertGolden(`${GOLDEN}no_config.golden`, runs.join("\n"));
});

Deno.test("`kept validate` warns about missing sources by their whole path; -v lists them resolved", async () => {
  using dir = tempDir("kept-sources-");
  await Deno.mkdir(`${dir.path}/plans`);
  await Deno.mkdir(`${dir.path}/data`);
  await Deno.writeTextFile(
    `${dir.path}/plans/web.yaml`,
    "version: 1\ndestinations:\n  nas: {url: ../repo, password: x}\n" +
      "plans:\n  web:\n    sources: [../data, ../uploads, /nonexistent-kept-test/www]\n" +
      "    destinations: [nas]\n",
  );
  const runs = [await transcript(["validate"], dir.path), await transcript(["-v", "validate"], dir.path)];
  await assertGolden(`${GOLDEN}missing_sources.golden`, runs.join("\n"));
});
