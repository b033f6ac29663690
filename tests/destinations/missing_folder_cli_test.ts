// A local destination whose folder does not exist holds no repository, as an empty folder holds none:
// exit code 10 and the `kept init` hint (restic's "repository does not exist"), where saying that the folder
// is missing tells a disk that is not mounted apart from an empty one.

import assert from "node:assert/strict";
import { join } from "node:path";
import { runKept } from "../_support/run_cli.ts";
import { tempDir } from "../_support/temp_dir.ts";

/** Writes a config with destination "usb" at `repo` and plan "files" backing up `source`; returns its path. */
function writeConfig(dir: string, repo: string, source: string): string {
  const path = join(dir, "kept.yaml");
  Deno.writeTextFileSync(
    path,
    JSON.stringify({
      version: 1,
      destinations: { usb: { url: repo, password: "pw" } },
      plans: { files: { sources: [source], destinations: ["usb"] } },
    }),
  );
  return path;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("a missing destination folder: check and backup exit with code 10 and the kept init hint, creating nothing", async () => {
  using dir = tempDir("kept-missing-folder-");
  const source = join(dir.path, "source");
  Deno.mkdirSync(source);
  Deno.writeTextFileSync(join(source, "a.txt"), "a\n");
  // As a USB disk's mount point with no disk mounted: the folder below it is not there.
  const repo = join(dir.path, "mnt", "usb", "kept");
  const config = writeConfig(dir.path, repo, source);
  const env = {
    KEPT_KDF_N: "1024",
    XDG_STATE_HOME: join(dir.path, "state"),
    XDG_CACHE_HOME: join(dir.path, "cache"),
  };
  for (const [command, about] of [[["check"], ""], [["backup", "files"], 'destination "usb": ']] as const) {
    const result = await runKept(["--config", config, ...command], { env });
    assert.equal(result.code, 10, `${command[0]}: ${result.stderr}`);
    assert.deepEqual(result.stderr.trimEnd().split("\n"), [
      `kept: ${about}No kept repository at ${repo}: the folder does not exist`,
      "hint: create one with `kept init DESTINATION`",
    ]);
  }
  assert.equal(exists(join(dir.path, "mnt")), false, "nothing is created where the disk would be");

  const init = await runKept(["--config", config, "init", "usb"], { env });
  assert.equal(init.code, 0, init.stderr);
  assert.ok(exists(join(repo, "config")), "init creates the folder and its parents");
  const backup = await runKept(["--config", config, "backup", "files"], { env });
  assert.equal(backup.code, 0, backup.stderr);
});
