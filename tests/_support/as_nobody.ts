// Runs kept as the user "nobody" (uid 65534), for what only a user other than root meets: files and folders
// it may not read or write. The checkout may sit in a folder nobody cannot enter (a 0700 home or temp
// folder), so the child runs a copy of kept's code, with a copy of the npm packages in Deno's cache.

import assert from "node:assert/strict";
import { exists } from "./exists.ts";

export const NOBODY = 65534;

/** Makes `path` and everything below it belong to `uid`. */
export async function chownTree(path: string, uid: number): Promise<void> {
  const result = await new Deno.Command("chown", { args: ["-R", `${uid}:${uid}`, path] }).output();
  assert.ok(result.success, new TextDecoder().decode(result.stderr));
}

/**
 * Runs `kept ARGS` as nobody from a copy of the code and of Deno's npm packages made below `root` (once per
 * root), with `root` (made 0755) as its home and working folder. The caller gives nobody what it must own.
 */
export async function runKeptAsNobody(
  root: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  Deno.chmodSync(root, 0o755);
  const code = `${root}/nobody-code`;
  const denoDir = `${root}/nobody-deno-dir`;
  if (!exists(code)) await copyCode(code);
  if (!exists(denoDir)) await copyNpmCache(denoDir);
  const child = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", `${code}/main.ts`, ...args],
    uid: NOBODY,
    gid: NOBODY,
    env: { KEPT_KDF_N: "1024", NO_COLOR: "1", DENO_DIR: denoDir, HOME: root, TZ: "UTC" },
    cwd: root,
    stdin: "null",
  }).output();
  const text = new TextDecoder();
  return { code: child.code, stdout: text.decode(child.stdout), stderr: text.decode(child.stderr) };
}

async function copyCode(to: string): Promise<void> {
  const root = new URL("../../", import.meta.url).pathname;
  Deno.mkdirSync(to, { mode: 0o755 });
  const parts = ["main.ts", "deno.json", "deno.lock", "lib"].map((part) => `${root}${part}`);
  const copy = await new Deno.Command("cp", { args: ["-r", ...parts, to] }).output();
  assert.ok(copy.success, new TextDecoder().decode(copy.stderr));
  await new Deno.Command("chmod", { args: ["-R", "a+rX", to] }).output();
}

/** The npm packages of Deno's cache, for nobody: the rest (transpiled code) it makes again. */
async function copyNpmCache(to: string): Promise<void> {
  const info = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"] }).output();
  const from = JSON.parse(new TextDecoder().decode(info.stdout)).denoDir as string;
  Deno.mkdirSync(to, { mode: 0o755 });
  const copy = await new Deno.Command("cp", { args: ["-a", `${from}/npm`, to] }).output();
  assert.ok(copy.success, new TextDecoder().decode(copy.stderr));
  await chownTree(to, NOBODY);
}
