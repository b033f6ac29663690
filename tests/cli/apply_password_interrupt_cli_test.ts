// `kept apply` interrupted while a destination's password_command runs: the command, in a session of its
// own, is killed with its process group instead of outliving kept. A real kept process and SIGTERM.

import assert from "node:assert/strict";
import { tempDir } from "../_support/temp_dir.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** Whether `pid` runs (a zombie waiting to be reaped has ended). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(Deno.readTextFileSync(`/proc/${pid}/stat`));
  } catch {
    return false;
  }
}

Deno.test({
  name: "kept apply stopped by SIGTERM kills a running password_command and its process group",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    using dir = tempDir("kept-apply-pw-");
    const root = dir.path;
    await Deno.mkdir(`${root}/src`);
    await Deno.writeTextFile(`${root}/src/a.txt`, "a");
    const config = {
      version: 1,
      state: `${root}/state/state.db`,
      // `$$$$` in a plan is the shell's `$$`: the command's pid, which leads its process group.
      destinations: {
        local: { url: `${root}/repo`, password_command: `echo $$$$ > '${root}/pw.pid'; sleep 30; echo pw` },
      },
      plans: { web: { sources: [`${root}/src`], destinations: ["local"] } },
    };
    await Deno.writeTextFile(`${root}/kept.yaml`, JSON.stringify(config));
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", MAIN, "--config", `${root}/kept.yaml`, "apply"],
      env: { KEPT_KDF_N: "1024", TZ: "UTC", NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let pid = 0;
    for (let i = 0; i < 300 && pid === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      pid = Number((() => {
        try {
          return Deno.readTextFileSync(`${root}/pw.pid`).trim();
        } catch {
          return "0";
        }
      })()) || 0;
    }
    assert.ok(pid > 0, "the password command never started");
    child.kill("SIGTERM");
    const { code, stderr } = await child.output();
    assert.equal(code, 143, new TextDecoder().decode(stderr));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const alive = running(pid);
    if (alive) Deno.kill(-pid, "SIGKILL");
    assert.equal(alive, false, "the password command outlived kept");
  },
});
