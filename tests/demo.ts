// `deno task demo`: a real backup and restore of this project's docs against a local repository in
// .kept-demo/, using plans/example.yaml, driven through the CLI exactly as a user would type it.

const root = new URL("../", import.meta.url).pathname;
const demo = `${root}.kept-demo`;

async function kept(...args: string[]): Promise<void> {
  console.log(`\n$ kept ${args.join(" ")}`);
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", `${root}main.ts`, "--config", `${root}plans/example.yaml`, ...args],
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) {
    console.error(`demo: "kept ${args.join(" ")}" failed with exit code ${code}`);
    Deno.exit(1);
  }
}

await kept("validate");
try {
  await Deno.stat(`${demo}/repo/config`);
} catch {
  await kept("init", "local");
}
await kept("backup", "docs");
await kept("backup", "docs"); // nothing changed: nothing is read again
await kept("snapshots", "--plan", "docs");
const target = `${demo}/restore-${Date.now()}`;
await kept("restore", "latest", "--target", target);
await kept("check", "--read-data");

// The restore keeps absolute paths below the target: compare what came back with the originals.
const same = await new Deno.Command("diff", { args: ["-r", `${root}docs`, `${target}${root}docs`] }).output();
if (!same.success) {
  console.error(new TextDecoder().decode(same.stdout));
  console.error("demo: the restored docs differ from the originals");
  Deno.exit(1);
}
console.log(`\ndemo: restored ${target}${root}docs matches ${root}docs`);
