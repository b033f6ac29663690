// Bad input around the state file and the config that issue 12 names: a state file on a read-only file
// system (apply refuses in one line, plan still plans), and a destination removed from the config (apply
// goes on with the others and never touches it).

import assert from "node:assert/strict";
import { runKept } from "../_support/run_cli.ts";
import { tempDir } from "../_support/temp_dir.ts";

function config(dir: string, state: string, destinations: string[], excludes: string[] = []): string {
  const path = `${dir}/kept.yaml`;
  Deno.writeTextFileSync(
    path,
    [
      "version: 1",
      `state: ${state}`,
      "destinations:",
      ...destinations.flatMap((name) => [`  ${name}:`, `    url: ${dir}/repo-${name}`, "    password: x"]),
      "plans:",
      "  p:",
      `    sources: [${dir}/src]`,
      `    destinations: [${destinations.join(", ")}]`,
      `    excludes: [${excludes.map((pattern) => JSON.stringify(pattern)).join(", ")}]`,
      "",
    ].join("\n"),
  );
  return path;
}

const env = { KEPT_KDF_N: "1024" };

Deno.test({
  name: "a state file on a read-only file system: apply refuses in one line, plan still plans",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    using dir = tempDir("kept-ro-state-");
    Deno.mkdirSync(`${dir.path}/src`);
    Deno.writeTextFileSync(`${dir.path}/src/a.txt`, "a");
    Deno.mkdirSync(`${dir.path}/ro`);
    const mount = (args: string[]) => new Deno.Command("mount", { args }).outputSync();
    assert.ok(mount(["-t", "tmpfs", "-o", "size=4m", "tmpfs", `${dir.path}/ro`]).success, "mount a tmpfs");
    try {
      const path = config(dir.path, `${dir.path}/ro/state.db`, ["d"]);
      assert.equal((await runKept(["--config", path, "apply"], { env })).code, 0);
      assert.ok(mount(["-o", "remount,ro", `${dir.path}/ro`]).success, "remount it read-only");
      const refused = await runKept(["--config", path, "apply"], { env });
      assert.equal(refused.code, 1, refused.stderr);
      assert.equal(refused.stderr.trimEnd().split("\n").length, 1, refused.stderr);
      assert.match(refused.stderr, /^kept: .*ro\/state\.db.*Read-only file system/);
      const planned = await runKept(["--config", path, "plan"], { env });
      assert.equal(planned.code, 0, planned.stderr);
      assert.match(planned.stdout, /nothing to do for p → d/);
    } finally {
      new Deno.Command("umount", { args: [`${dir.path}/ro`] }).outputSync();
    }
  },
});

Deno.test("a destination removed from the config is left alone; apply goes on with the others", async () => {
  using dir = tempDir("kept-removed-dest-");
  Deno.mkdirSync(`${dir.path}/src`);
  Deno.writeTextFileSync(`${dir.path}/src/a.txt`, "a");
  const state = `${dir.path}/state/state.db`;
  assert.equal(
    (await runKept(["--config", config(dir.path, state, ["one", "two"]), "apply"], { env })).code,
    0,
  );
  const snapshots = (name: string) => [...Deno.readDirSync(`${dir.path}/repo-${name}/snapshots`)].length;
  assert.deepEqual([snapshots("one"), snapshots("two")], [1, 1]);

  // Settings changed: a backup is due at "one"; "two" is gone from the config.
  const path = config(dir.path, state, ["one"], ["*.tmp"]);
  const applied = await runKept(["--config", path, "apply"], { env });
  assert.equal(applied.code, 0, applied.stderr);
  assert.doesNotMatch(applied.stdout + applied.stderr, /\btwo\b/);
  assert.deepEqual([snapshots("one"), snapshots("two")], [2, 1]);
  assert.equal((await runKept(["--config", path, "state"], { env })).code, 0);
});
