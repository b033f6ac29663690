// A restore as root cannot be raced into writing outside its target (issue 16, item 1). Folders are made,
// filled, and given their owner and mode last; a local user who can write inside the target could swap a
// folder for a symlink between those steps, and a restore that worked by path would then write files into,
// and chown, whatever the symlink points at. Here a swapper process does that, as fast as it can, to every
// folder of a real `kept restore` run as root: nothing outside the target may be created or changed, and
// every entry is either restored right or reported.

import assert from "node:assert/strict";
import { basename } from "node:path";
import { type Fixture, makeFixture } from "../_support/fixture.ts";
import { scanTree } from "../_support/tree_differ.ts";

const RUNNING_AS_ROOT = Deno.uid() === 0;
const SWAPPER = new URL("./_race_swapper.ts", import.meta.url).pathname;
/** Owner of everything in the snapshot: not root, so each folder and file is chowned by the restore. */
const OWNER = { uid: 4242, gid: 4243 };

if (!RUNNING_AS_ROOT) {
  console.warn(
    "restore_race_test.ts: skipped: it needs root (a root restore sets owners; that is the attack)",
  );
}

/** Folders (relative, in the order a restore makes them) and files of the source tree. */
interface Source {
  folders: string[];
  files: string[];
}

/** 8 × 6 folders with 2 folders each below them, 768 files, owned by OWNER; a few files large enough to take a while. */
function writeSource(root: string): Source {
  const source: Source = { folders: [], files: [] };
  const folder = (path: string) => {
    Deno.mkdirSync(`${root}/${path}`, { mode: 0o750 });
    Deno.chownSync(`${root}/${path}`, OWNER.uid, OWNER.gid);
    source.folders.push(path);
  };
  const file = (path: string, size: number) => {
    const bytes = new Uint8Array(size).map((_, i) => (i * 31 + path.length) & 0xff);
    Deno.writeFileSync(`${root}/${path}`, bytes);
    Deno.chownSync(`${root}/${path}`, OWNER.uid, OWNER.gid);
    Deno.chmodSync(`${root}/${path}`, 0o640);
    source.files.push(path);
  };
  for (let t = 0; t < 8; t++) {
    folder(`t${t}`);
    for (let s = 0; s < 6; s++) {
      folder(`t${t}/s${s}`);
      for (let f = 0; f < 8; f++) file(`t${t}/s${s}/f${f}`, f === 0 && s % 3 === 0 ? 300_000 : 2_000 + f);
      for (let u = 0; u < 2; u++) {
        folder(`t${t}/s${s}/u${u}`);
        for (let f = 0; f < 4; f++) file(`t${t}/s${s}/u${u}/f${f}`, 1_000 + f);
      }
    }
  }
  // Depth-first, as the restore walks (names sort the same as the numbers here).
  source.folders.sort();
  return source;
}

/** Everything about a tree that a write, chmod, chown or utime would change; ctime included. */
function stateOf(root: string): Record<string, string> {
  const state: Record<string, string> = {};
  for (const [path, entry] of scanTree(root)) {
    const ctime = Deno.lstatSync(path === "." ? root : `${root}/${path}`).ctime?.getTime();
    state[path] = JSON.stringify({ ...entry, ctime });
  }
  return state;
}

/** An outside folder worth stealing: a file, a subfolder with a file, and folders named like the target's. */
function writeOutside(outside: string): void {
  Deno.mkdirSync(`${outside}/inner`, { recursive: true });
  Deno.mkdirSync(`${outside}/s0`);
  Deno.writeTextFileSync(`${outside}/secret.txt`, "root's own\n");
  Deno.writeTextFileSync(`${outside}/inner/config`, "setting = 1\n");
  for (const path of ["", "/inner", "/s0", "/secret.txt", "/inner/config"]) {
    Deno.chmodSync(`${outside}${path}`, path.endsWith("t") || path.endsWith("g") ? 0o600 : 0o700);
    Deno.utimeSync(`${outside}${path}`, 1_000_000, 1_000_000);
  }
}

/** What a raced restore needs. */
interface Race {
  fixture: Fixture;
  src: string;
  source: Source;
  outside: string;
  control: string;
  target: string;
}

/** Restores into `target` while the swapper races it; asserts what the test promises. */
async function racedRestore({ fixture, src, source, outside, control, target }: Race): Promise<void> {
  const restored = `${target}${src}`;
  // The folders leading to the source are made by the restore too: swap them as well.
  const leading = src.split("/").slice(1).map((_, i, parts) =>
    `${target}/${parts.slice(0, i + 1).join("/")}`
  );
  const folders = [...leading, ...source.folders.map((path) => `${restored}/${path}`)];
  Deno.writeTextFileSync(`${control}/folders.json`, JSON.stringify(folders));
  const outsideBefore = stateOf(outside);
  const sourceBefore = stateOf(src);
  const namesBefore = [...Deno.readDirSync(fixture.root)].map((entry) => entry.name).sort();

  Deno.removeSync(`${control}/stop`, { recursive: true }); // the round before's
  const swapper = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      SWAPPER,
      outside,
      `${control}/stop`,
      `${control}/folders.json`,
      String(leading.length),
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let result;
  try {
    result = await fixture.kept(["restore", "latest", "--target", target, "--json"]);
  } finally {
    Deno.writeTextFileSync(`${control}/stop`, "");
  }
  const swapped = await swapper.output();
  assert.equal(swapped.code, 0, new TextDecoder().decode(swapped.stderr));
  const { swaps } = JSON.parse(new TextDecoder().decode(swapped.stdout)) as { swaps: number };

  // Nothing outside the target was created or changed: names, contents, modes, owners, times.
  assert.deepEqual(stateOf(outside), outsideBefore, "the restore wrote outside its target");
  assert.deepEqual(stateOf(src), sourceBefore);
  assert.deepEqual(
    [...Deno.readDirSync(fixture.root)].map((entry) => entry.name).sort(),
    [...namesBefore, basename(target)].sort(),
  );

  // No crash: done (0) or done with problems (1), each an io problem of a swapped entry.
  assert.ok(result.code === 0 || result.code === 1, `exit code ${result.code}:\n${result.stderr}`);
  const lines = result.stdout.trim().split("\n").map((line) => JSON.parse(line) as EntryLine);
  const problems = lines.filter((line) => line.message_type === "entry");
  for (const problem of problems) {
    assert.equal(problem.error?.kind, "io", JSON.stringify(problem));
    assert.match(
      problem.error.message,
      /was replaced (by a symlink )?during the restore|No such file or directory/,
    );
  }
  // Every file is restored right, unless it or a folder above it was reported.
  const reported = problems.map((problem) => problem.path!);
  const isReported = (path: string) => reported.some((p) => path === p || path.startsWith(`${p}/`));
  let checked = 0;
  for (const file of source.files) {
    if (isReported(`${src}/${file}`)) continue;
    const info = Deno.lstatSync(`${restored}/${file}`);
    assert.deepEqual([info.uid, info.gid, info.mode! & 0o7777], [OWNER.uid, OWNER.gid, 0o640], file);
    assert.deepEqual(Deno.readFileSync(`${restored}/${file}`), Deno.readFileSync(`${src}/${file}`), file);
    checked++;
  }
  for (const folder of source.folders) {
    if (isReported(`${src}/${folder}`)) continue;
    const info = Deno.lstatSync(`${restored}/${folder}`);
    assert.deepEqual([info.uid, info.gid, info.mode! & 0o7777], [OWNER.uid, OWNER.gid, 0o750], folder);
  }
  assert.ok(swaps > 0, "the swapper never swapped a folder: the test proved nothing");
  const reasons = new Set(problems.map((problem) => problem.error!.message.replace(/^.*" /, "")));
  console.log(
    `${swaps} swaps; ${problems.length} entries reported (${
      [...reasons].join("; ")
    }); ${checked} files checked`,
  );
}

interface EntryLine {
  message_type: string;
  action?: string;
  path?: string;
  error?: { kind: string; message: string };
}

Deno.test({
  name:
    "a root restore raced by a process swapping its folders for symlinks changes nothing outside its target",
  ignore: !RUNNING_AS_ROOT,
  async fn() {
    const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
    const control = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "kept-race-control-" }));
    try {
      const src = `${fixture.root}/src`;
      Deno.mkdirSync(src);
      const source = writeSource(src);
      await fixture.backup("p");

      const outside = `${fixture.root}/outside`;
      writeOutside(outside);
      Deno.writeTextFileSync(`${control}/stop`, "");
      // Two rounds: each swap lands somewhere else in the restore's steps.
      for (const round of [1, 2]) {
        await racedRestore({
          fixture,
          src,
          source,
          outside,
          control,
          target: `${fixture.root}/target${round}`,
        });
      }
    } finally {
      Deno.removeSync(control, { recursive: true });
      await fixture.cleanup();
    }
  },
});
