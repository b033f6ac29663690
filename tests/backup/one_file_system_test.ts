// one_file_system keeps each source on its own file system: a mount point inside a source is recorded as
// an empty folder, unless a source is on that mounted file system, which is then walked on its own.

import assert from "node:assert/strict";
import { makeFixture, parseLines, type PlanSpec } from "../_support/fixture.ts";

/** True when this process may make a mount namespace and mount a tmpfs in it (root in most containers). */
function canMountTmpfs(): boolean {
  try {
    const dir = Deno.makeTempDirSync({ prefix: "kept-mount-probe-" });
    try {
      return new Deno.Command("unshare", {
        args: ["-m", "sh", "-c", `mount -t tmpfs kept-probe "$0"`, dir],
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

Deno.test({
  name: "one_file_system walks a source on a file system mounted inside another source on its own",
  ignore: !canMountTmpfs(),
  fn: async () => {
    const plan = (sources: string[]) => ({ sources, one_file_system: true }) as PlanSpec;
    const fixture = await makeFixture((root) => ({
      mount: plan([`${root}/ofs`, `${root}/ofs/mnt`]),
      below: plan([`${root}/ofs`, `${root}/ofs/mnt/d`]),
      outer: plan([`${root}/ofs`]),
    }));
    const ofs = `${fixture.root}/ofs`;
    try {
      Deno.mkdirSync(`${ofs}/mnt`, { recursive: true });
      Deno.writeTextFileSync(`${ofs}/outer`, "outer\n");
      const main = new URL("../../main.ts", import.meta.url).pathname;
      const kept = (plan: string) =>
        `"${Deno.execPath()}" run -A --quiet "${main}" --config "$0" backup ${plan} --json >/dev/null`;
      // In a mount namespace of its own: the tmpfs goes with the child. Inside it, d/m2 is one more mount.
      const script = [
        `mount -t tmpfs kept-test "$1/mnt"`,
        `printf inner > "$1/mnt/inner"`,
        `mkdir -p "$1/mnt/d/m2"`,
        `printf y > "$1/mnt/d/y"`,
        `mount -t tmpfs kept-test "$1/mnt/d/m2"`,
        `printf z > "$1/mnt/d/m2/z"`,
        kept("mount"),
        kept("below"),
        kept("outer"),
      ].join(" && ");
      const child = await new Deno.Command("unshare", {
        args: ["-m", "sh", "-c", script, fixture.config, ofs],
        env: { KEPT_KDF_N: "1024", NO_COLOR: "1", TZ: "UTC" },
        stdin: "null",
      }).output();
      const stderr = new TextDecoder().decode(child.stderr);
      assert.equal(child.code, 0, stderr);
      assert.equal(stderr, "", "no warning");

      const below = async (plan: string) =>
        parseLines<{ path: string }>(
          (await fixture.keptOk(["ls", "latest", "--plan", plan, ofs, "--json"])).stdout,
        ).map((entry) => entry.path.slice(ofs.length));
      // The mounted source whole, but not the file system mounted inside it (m2 stays empty).
      assert.deepEqual(await below("mount"), [
        "",
        "/mnt",
        "/mnt/d",
        "/mnt/d/m2",
        "/mnt/d/y",
        "/mnt/inner",
        "/outer",
      ]);
      // A source below the mount point: the mount point holds only the way to it.
      assert.deepEqual(await below("below"), ["", "/mnt", "/mnt/d", "/mnt/d/m2", "/mnt/d/y", "/outer"]);
      // No source on it: the mount point is an empty folder, as before.
      assert.deepEqual(await below("outer"), ["", "/mnt", "/outer"]);
    } finally {
      await fixture.cleanup();
    }
  },
});
