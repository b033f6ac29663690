// `kept backup --dry-run` writes nothing into the repository, not even a lock (so it also runs on one it
// may only read), and its JSON names the parent snapshot it compared with, but no snapshot.

import assert from "node:assert/strict";
import { camelKeys, makeFixture } from "../_support/fixture.ts";
import type { BackupJson } from "../_support/fixture.ts";

/** Every entry below `path` with its type, size, inode and times: any write shows (a folder's times too). */
function listing(path: string): string[] {
  const lines: string[] = [];
  const visit = (folder: string) => {
    for (const entry of Deno.readDirSync(folder)) {
      const child = `${folder}/${entry.name}`;
      const info = Deno.lstatSync(child);
      lines.push(
        `${child} ${entry.isDirectory} ${info.size} ${info.ino} ${info.mtime?.getTime()} ${info.ctime?.getTime()}`,
      );
      if (entry.isDirectory) visit(child);
    }
  };
  const top = Deno.lstatSync(path);
  lines.push(`${path} ${top.mtime?.getTime()} ${top.ctime?.getTime()}`);
  visit(path);
  return lines.sort();
}

/** True when this process may make a mount namespace and bind mounts in it (root in most containers). */
function canBindMount(): boolean {
  try {
    const dir = Deno.makeTempDirSync({ prefix: "kept-mount-probe-" });
    try {
      return new Deno.Command("unshare", {
        args: ["-m", "sh", "-c", `mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" "$0"`, dir],
        stdout: "null",
        stderr: "null",
      }).outputSync().success;
    } finally {
      Deno.removeSync(dir);
    }
  } catch {
    return false;
  }
}

Deno.test("backup --dry-run writes nothing, takes no lock, and names its parent in JSON", async () => {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  try {
    Deno.mkdirSync(`${fixture.root}/src`);
    Deno.writeTextFileSync(`${fixture.root}/src/a.txt`, "a\n");
    const first = await fixture.backup("p");
    Deno.writeTextFileSync(`${fixture.root}/src/b.txt`, "new\n");
    const before = listing(fixture.repo);
    await new Promise((resolve) => setTimeout(resolve, 20)); // a write now would show in the times

    const result = await fixture.keptOk(["backup", "p", "--dry-run", "--json"]);
    const [dry] = camelKeys(JSON.parse(result.stdout)) as BackupJson[];
    assert.equal(dry!.snapshotId, undefined);
    assert.equal(dry!.parentId, first.snapshotId, "the snapshot the files were compared with");
    assert.equal(dry!.stats.newFiles, 1);
    assert.deepEqual(listing(fixture.repo), before, "the repository is exactly as it was");
  } finally {
    await fixture.cleanup();
  }
});

Deno.test({
  name: "backup --dry-run runs on a repository mounted read-only",
  ignore: !canBindMount(),
  fn: async () => {
    const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
    try {
      Deno.mkdirSync(`${fixture.root}/src`);
      Deno.writeTextFileSync(`${fixture.root}/src/a.txt`, "a\n");
      await fixture.backup("p");
      const main = new URL("../../main.ts", import.meta.url).pathname;
      // In a mount namespace of its own: the read-only mount ends with the child.
      const script = `mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" "$1" && shift && exec "$@"`;
      const child = await new Deno.Command("unshare", {
        args: [
          "-m",
          "sh",
          "-c",
          script,
          "sh",
          fixture.repo,
          Deno.execPath(),
          "run",
          "-A",
          "--quiet",
          main,
          "--config",
          fixture.config,
          "backup",
          "p",
          "--dry-run",
        ],
        env: { KEPT_KDF_N: "1024", NO_COLOR: "1", TZ: "UTC" },
        stdin: "null",
      }).output();
      const stderr = new TextDecoder().decode(child.stderr);
      assert.equal(child.code, 0, stderr);
      assert.match(new TextDecoder().decode(child.stdout), /^local: would back up 1 file, /m);
      assert.equal(stderr, "");
    } finally {
      await fixture.cleanup();
    }
  },
});
