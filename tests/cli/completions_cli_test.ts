// `kept completions`: bash runs the printed script with COMP_WORDS set, as it does on Tab, and gets the
// commands, options, and plan and destination names of the config; `complete()` is tested without a shell.

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Command } from "@commander-js/extra-typings";
import { complete } from "../../lib/cli/_complete.ts";
import { runKept } from "../_support/run_cli.ts";
import { tempDir } from "../_support/temp_dir.ts";

const MAIN = fileURLToPath(new URL("../../main.ts", import.meta.url));

/** A folder with `bin/kept` (running this clone's main.ts), `plans/` and `other.yaml`. */
async function workspace(dir: string): Promise<void> {
  await Deno.mkdir(`${dir}/bin`);
  await Deno.writeTextFile(
    `${dir}/bin/kept`,
    `#!/bin/sh\nexec "${Deno.execPath()}" run -A --quiet "${MAIN}" "$@"\n`,
  );
  await Deno.chmod(`${dir}/bin/kept`, 0o755);
  await Deno.mkdir(`${dir}/plans`);
  await Deno.writeTextFile(
    `${dir}/plans/p.yaml`,
    "version: 1\ndestinations:\n  nas: {url: /srv/nas}\n  usb: {url: /mnt/usb}\n" +
      "plans:\n  web: {sources: [/etc], destinations: [nas]}\n  db: {sources: [/var], destinations: [usb]}\n",
  );
  await Deno.writeTextFile(
    `${dir}/other.yaml`,
    "version: 1\ndestinations:\n  offsite: {url: /srv/offsite}\nplans:\n  mail: {sources: [/m], destinations: [offsite]}\n",
  );
  await Deno.mkdir(`${dir}/restored`);
}

/**
 * COMP_WORDS as bash sets them on Tab for `line` (the cursor at its end): words split at blanks and also at
 * the characters of COMP_WORDBREAKS, of which `=` and `:` matter here: a run of them is a word of its own
 * (`--config=a:b` is `--config`, `=`, `a`, `:`, `b`). An interactive bash on a terminal splits so.
 */
function compWords(line: string): string[] {
  const words = line.split(" ").filter((word) => word !== "").flatMap((word) => word.match(/[=:]+|[^=:]+/g)!);
  if (line.endsWith(" ")) words.push("");
  return words;
}

/** What bash's Tab offers for `line` (the cursor at its end), from the script `kept completions bash` prints. */
async function bashComplete(dir: string, line: string): Promise<string[]> {
  const script = 'source <(kept completions bash)\nmapfile -t COMP_WORDS <<< "$WORDS"\n' +
    'COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n_kept\nprintf "%s\\n" "${COMPREPLY[@]}"\n';
  const words = compWords(line).join("\n");
  const { code, stdout, stderr } = await new Deno.Command("bash", {
    args: ["-c", script],
    cwd: dir,
    env: { PATH: `${dir}/bin:${Deno.env.get("PATH")}`, WORDS: words, HOME: dir, KEPT_CONFIG: "" },
    stdin: "null",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  return new TextDecoder().decode(stdout).split("\n").filter((word) => word !== "");
}

Deno.test("bash completes commands, options, plans, destinations and paths through `kept __complete`", async () => {
  using temp = tempDir("kept-completions-");
  const dir = temp.path;
  await workspace(dir);
  const cases: [string, string[]][] = [
    ["kept ba", ["backup"]],
    ["kept backup ", ["db", "web"]],
    ["kept backup w", ["web"]],
    ["kept snapshots --destination ", ["nas", "usb"]],
    ["kept --config other.yaml snapshots --destination ", ["offsite"]],
    ["kept --config other.yaml backup ", ["mail"]],
    ["kept init u", ["usb"]],
    ["kept restore --d", ["--destination", "--dry-run"]],
    ["kept key ", ["add", "list", "passwd", "remove"]],
    ["kept completions ", ["bash", "fish", "zsh"]],
    ["kept restore latest --target res", ["restored"]],
    ["kept backup web ", []],
    ["kept validate oth", ["other.yaml"]],
    // bash splits at `=` (COMP_WORDBREAKS): `--config=other.yaml` is three words, and after `=` only what
    // follows it is replaced.
    ["kept --config=other.yaml backup ", ["mail"]],
    ["kept --config=other.yaml snapshots --destination=", ["offsite"]],
    ["kept backup --destination=", ["nas", "usb"]],
    ["kept backup --destination=u", ["usb"]],
    ["kept ls --plan=w", ["web"]],
    ["kept backup --destination= ", ["db", "web"]],
    ["kept backup --destination=nas ", ["db", "web"]],
    ["kept backup --dry-run=", []],
    ["kept validate --config=oth", ["other.yaml"]],
  ];
  // Each run starts kept once: run them two at a time.
  const results: string[][] = [];
  for (let index = 0; index < cases.length; index += 2) {
    results.push(
      ...await Promise.all(cases.slice(index, index + 2).map(([line]) => bashComplete(dir, line))),
    );
  }
  for (const [index, [line, expected]] of cases.entries()) assert.deepEqual(results[index], expected, line);
  // Nothing typed after `=` yet: the files of the folder, not the names that start with "=" (none).
  const afterEquals = await bashComplete(dir, "kept validate --config=");
  assert.ok(afterEquals.includes("other.yaml"), `offered ${JSON.stringify(afterEquals)}`);
});

/** True when `shell` is on PATH (zsh and fish are not on every machine the tests run on). */
function has(shell: string): boolean {
  try {
    return new Deno.Command(shell, { args: ["-c", "exit 0"], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}

/**
 * What zsh's Tab would offer for `line`: the printed script's `_kept` runs in a real zsh with `words` and
 * `CURRENT` set as the completion system sets them, and `compadd`/`_files` standing in for its builtins.
 */
async function zshComplete(dir: string, line: string): Promise<string[]> {
  const script = 'compdef() { :; }\ncompadd() { [[ "$1" == -- ]] && shift; print -l -- "$@"; }\n' +
    '_files() { print -- ":files $*"; }\nsource <(kept completions zsh)\n' +
    'words=(${(z)LINE}); [[ "$LINE" == *" " ]] && words+=(""); CURRENT=${#words}\n_kept\n';
  return await shellOutput("zsh", ["-f", "-c", script], dir, line);
}

/** What fish's Tab would offer for `line`: fish's own `complete -C` with the printed script loaded. */
async function fishComplete(dir: string, line: string): Promise<string[]> {
  const script = 'kept completions fish | source\ncomplete -C "$LINE"';
  return (await shellOutput("fish", ["--no-config", "-c", script], dir, line)).map((word) =>
    word.split("\t")[0]!
  );
}

async function shellOutput(shell: string, args: string[], dir: string, line: string): Promise<string[]> {
  const { code, stdout, stderr } = await new Deno.Command(shell, {
    args,
    cwd: dir,
    env: { PATH: `${dir}/bin:${Deno.env.get("PATH")}`, LINE: line, HOME: dir, KEPT_CONFIG: "" },
    stdin: "null",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  return new TextDecoder().decode(stdout).split("\n").filter((word) => word !== "");
}

const SHELL_CASES: [string, string[]][] = [
  ["kept ba", ["backup"]],
  ["kept backup ", ["db", "web"]],
  ["kept snapshots --destination ", ["nas", "usb"]],
  ["kept --config other.yaml backup ", ["mail"]],
];

Deno.test({
  name: "zsh runs the printed script: commands, plans and destinations come from `kept __complete`",
  ignore: !has("zsh"),
  fn: async () => {
    using temp = tempDir("kept-completions-zsh-");
    await workspace(temp.path);
    for (const [line, expected] of SHELL_CASES) {
      assert.deepEqual(await zshComplete(temp.path, line), expected, line);
    }
    assert.deepEqual(await zshComplete(temp.path, "kept restore latest --target res"), [":files -/"]);
  },
});

Deno.test({
  name: "fish completes commands, plans and destinations through the printed script",
  ignore: !has("fish"),
  fn: async () => {
    using temp = tempDir("kept-completions-fish-");
    await workspace(temp.path);
    for (const [line, expected] of SHELL_CASES) {
      assert.deepEqual((await fishComplete(temp.path, line)).sort(), expected, line);
    }
    assert.deepEqual(await fishComplete(temp.path, "kept restore latest --target res"), ["restored/"]);
  },
});

Deno.test("`kept completions` prints a zsh and a fish script that ask `kept __complete`", async () => {
  for (const shell of ["zsh", "fish"]) {
    const result = await runKept(["completions", shell]);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /kept __complete -- /);
  }
  assert.equal((await runKept(["completions", "tcsh"])).code, 2);
});

Deno.test("complete() offers the options of the command and the global ones, and nothing past the last argument", async () => {
  const program = new Command().name("kept").option("--config <path>").option("-q, --quiet");
  program.command("backup").argument("<plan>").option("--destination <name>").option("--dry-run");
  program.command("forget").argument("[plans...]");
  const names = { plans: () => Promise.resolve(["web", "db"]), destinations: () => Promise.resolve(["nas"]) };
  assert.deepEqual(await complete(program, ["backup", "--"], names), [
    "--config",
    "--destination",
    "--dry-run",
    "--help",
    "--quiet",
  ]);
  assert.deepEqual(await complete(program, ["-q", "backup", "--destination", ""], names), ["nas"]);
  assert.deepEqual(await complete(program, ["backup", "web", ""], names), []);
  assert.deepEqual(await complete(program, ["forget", "web", ""], names), ["db", "web"]);
  assert.deepEqual(await complete(program, ["--config", ""], names), [":files"]);
  // A word `--option=value` whole, as zsh and fish pass it: the candidates are whole words too.
  assert.deepEqual(await complete(program, ["backup", "--destination="], names), ["--destination=nas"]);
  assert.deepEqual(await complete(program, ["backup", "--destination=x"], names), []);
  assert.deepEqual(await complete(program, ["--config=/p", "backup", ""], names), ["db", "web"]);
  assert.deepEqual(await complete(program, ["--config=/p"], names), [":files"]);
});
