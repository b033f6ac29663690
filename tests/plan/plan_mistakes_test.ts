// Plan mistakes that used to validate and then did something else than the file says: a limit of 0 bytes,
// hook variables read too early, file names that never match, YAML tags and merge keys the parser read its
// own way, a `__proto__` plan that vanished, a destination listed twice, and settings nothing reads.

import assert from "node:assert/strict";
import { join } from "node:path";
import { formatProblem, loadConfig, type LoadResult } from "../../lib/plan/mod.ts";
import { tempDir } from "../_support/temp_dir.ts";

const ENV: Record<string, string> = { HOME: "/home/alice" };
const env = (name: string) => ENV[name];

/** Loads `files` (name → text) from a fresh temp dir; problems are `name:line:col: severity: message`. */
async function load(
  files: Record<string, string>,
  options: { env?: (name: string) => string | undefined; requireEnv?: boolean } = {},
): Promise<{ result: LoadResult; problems: string[] }> {
  using dir = tempDir("kept-mistakes-");
  for (const [name, text] of Object.entries(files)) await Deno.writeTextFile(join(dir.path, name), text);
  const result = await loadConfig([dir.path], { env, ...options });
  const problems = result.problems.map((problem) => formatProblem(problem).replace(`${dir.path}/`, ""));
  return { result, problems };
}

/** A file with destination `r` and plan `web`, whose plan has `extra` (lines indented 4) at line 8. */
function plan(extra: string): string {
  return `version: 1
destinations:
  r:
    url: /srv/repo
plans:
  web:
    sources: [/srv/www]
${extra}`;
}

Deno.test("loadConfig() refuses an exclude_larger_than below 1 byte or a fraction of a byte", async () => {
  const cases: Record<string, string> = {
    "0": "size must be at least 1 byte, found 0",
    '"0B"': 'size must be at least 1 byte, found "0B"',
    '"0.0001K"': 'size must be at least 1 byte, found "0.0001K"',
    "0.4": "invalid size 0.4: write a whole number of bytes",
    '"0.4"': 'invalid size "0.4": write a whole number of bytes',
    '"1.5B"': 'invalid size "1.5B": write a whole number of bytes',
  };
  for (const [size, message] of Object.entries(cases)) {
    const { result, problems } = await load({
      "a.yaml": plan(`    destinations: [r]\n    exclude_larger_than: ${size}\n`),
    });
    assert.equal(result.config, undefined, size);
    assert.equal(problems.length, 1, size);
    assert.ok(problems[0]!.startsWith(`a.yaml:9:26: error: "exclude_larger_than": ${message}`), problems[0]);
  }
  const { result } = await load({
    "a.yaml": plan(`    destinations: [r]\n    exclude_larger_than: 1.1K\n`),
  });
  assert.equal(result.config?.plans.get("web")?.excludeLargerThan, 1126, "a fraction of a unit rounds down");
});

Deno.test("loadConfig() leaves every variable of a hook command to the shell, and only there", async () => {
  const hooks = `    destinations: [r]
    tags: ["\${KEPT_PLAN:-none}"]
    hooks:
      before: ["echo \${KEPT_PLAN} \${KEPT_DESTINATION} \${HOME}"]
      after: ["echo \${KEPT_SNAPSHOT} \${KEPT_RESULT:-none} $\${KEPT_ERROR} \${#HOME} \${X%%.*}"]
      on_failure: ["echo \${KEPT_ERROR} >&2"]
`;
  // A stale value in kept's own environment must not be baked in either.
  const stale = (name: string) => name === "KEPT_SNAPSHOT" ? "stale" : ENV[name];
  const { result, problems } = await load({ "a.yaml": plan(hooks) }, { env: stale });
  assert.deepEqual(problems, []);
  const web = result.config?.plans.get("web");
  assert.deepEqual(web?.hooks.before, ["echo ${KEPT_PLAN} ${KEPT_DESTINATION} ${HOME}"], "not HOME's value");
  assert.deepEqual(web?.hooks.after, [
    "echo ${KEPT_SNAPSHOT} ${KEPT_RESULT:-none} $${KEPT_ERROR} ${#HOME} ${X%%.*}",
  ]);
  assert.deepEqual(web?.hooks.onFailure, ["echo ${KEPT_ERROR} >&2"]);
  assert.deepEqual(web?.tags, ["none"], "outside hooks, KEPT_PLAN is an ordinary variable");

  // As `kept backup` loads it: the variables are not kept's to require.
  const strict = await load({ "a.yaml": plan(hooks) }, { requireEnv: true });
  assert.deepEqual(strict.problems, []);
});

Deno.test("loadConfig() requires plain file names in exclude_if_present and ignore_files", async () => {
  const { result, problems } = await load({
    "a.yaml": plan(`    destinations: [r]
    exclude_if_present: [.nobackup, sub/.nobackup, "", ., .., "CACHEDIR.TAG:Signature: 8a477f59"]
    ignore_files: [.gitignore, /etc/ignore]
`),
  });
  assert.equal(result.config, undefined);
  assert.deepEqual(problems, [
    'a.yaml:9:37: error: plans.web.exclude_if_present[1]: file name "sub/.nobackup" contains "/": write the name of a file in the folder ' +
    'itself, like ".nobackup"',
    "a.yaml:9:52: error: plans.web.exclude_if_present[2]: file name is empty: write the name of a file, like .nobackup",
    'a.yaml:9:56: error: plans.web.exclude_if_present[3]: file name is ".", which names a folder, not a file in it',
    'a.yaml:9:59: error: plans.web.exclude_if_present[4]: file name is "..", which names a folder, not a file in it',
    'a.yaml:9:63: error: plans.web.exclude_if_present[5]: file name "CACHEDIR.TAG:Signature: 8a477f59" contains ":", as in restic\'s ' +
    'NAME:HEADER form, which kept does not read: kept matches the file name alone; write "CACHEDIR.TAG"',
    'a.yaml:10:32: error: plans.web.ignore_files[1]: file name "/etc/ignore" contains "/": write the name of a file in the folder ' +
    'itself, like "ignore"',
  ]);
});

Deno.test("loadConfig() refuses YAML tags it cannot read, at the tag", async () => {
  const cases: Record<string, string> = {
    "    destinations: !include dests.yaml\n":
      'a.yaml:8:19: error: unknown tag "!include": plan files take ' +
      "no tags such as !include or !env; write the value itself (${NAME} reads an environment variable)",
    "    destinations: [r]\n    tags: [!env TAG]\n": 'a.yaml:9:12: error: unknown tag "!env"',
    "    destinations: !!str [r]\n": 'a.yaml:8:19: error: the tag "!!str" does not fit this value: remove it',
  };
  for (const [extra, message] of Object.entries(cases)) {
    const { result, problems } = await load({ "a.yaml": plan(extra) });
    assert.equal(result.config, undefined, extra);
    assert.equal(problems.length, 1, extra);
    assert.ok(problems[0]!.startsWith(message), problems[0]);
  }
});

Deno.test("loadConfig() refuses ordered maps, sets, binary data and timestamps", async () => {
  const cases: Record<string, string> = {
    "plans: !!omap\n  - web: { sources: [/srv], destinations: [r] }\n":
      "a.yaml:5:1: error: this value is an ordered mapping (!!omap or !!pairs), which a plan file cannot " +
      "hold: remove the tag and write a plain mapping, list or text",
    "plans:\n  web:\n    sources: !!set { ? /srv }\n    destinations: [r]\n": "a.yaml:7:20: error: this " +
      "value is a set (!!set)",
    "state: !!binary aGVsbG8=\n": "a.yaml:5:17: error: this value is binary data (!!binary)",
    "state: !!timestamp 2024-01-01\n": "a.yaml:5:20: error: this value is a timestamp (!!timestamp)",
  };
  for (const [text, message] of Object.entries(cases)) {
    const { result, problems } = await load({
      "a.yaml": `version: 1\ndestinations:\n  r:\n    url: /srv/repo\n${text}`,
    });
    assert.equal(result.config, undefined, text);
    assert.equal(problems.length, 1, text);
    assert.ok(problems[0]!.startsWith(message), problems[0]);
  }
});

Deno.test("loadConfig() refuses a __proto__ key instead of losing what it holds", async () => {
  const { result, problems } = await load({
    "a.yaml": `version: 1
destinations:
  r:
    url: /srv/repo
plans:
  __proto__:
    sources: [/srv]
    destinations: [r]
`,
  });
  assert.equal(result.config, undefined);
  assert.deepEqual(problems, ['a.yaml:6:3: error: "__proto__" cannot be used as a key or a name']);
  // Names that are only properties of every object are fine.
  const fine = await load({
    "a.yaml": plan("    destinations: [r]\n").replace("web:", "constructor:"),
  });
  assert.deepEqual(fine.problems, []);
  assert.ok(fine.result.config?.plans.has("constructor"));
});

Deno.test("loadConfig() points at a merge key whose value is no mapping", async () => {
  const base = `version: 1
destinations:
  r: &r
    url: /srv/repo
list: &list [1]
plans:
  web:
    sources: [/srv]
    destinations: [r]
`;
  const usage = `"<<" merges a mapping into this one: write "<<: *name" with an anchor "&name" on a mapping`;
  const cases: Record<string, string> = {
    "    <<: *nope\n":
      `a.yaml:10:9: error: "<<: *nope" names no anchor: no "&nope" is defined above it; ${usage}`,
    "    <<: 5\n": `a.yaml:10:9: error: "<<" is given a number value, not a mapping; ${usage}`,
    "    <<: *list\n":
      `a.yaml:10:9: error: "<<: *list" names a list, and not all of its items are mappings; ${usage}`,
    "    <<: [*r, 5]\n": `a.yaml:10:14: error: "<<" is given a number value, not a mapping; ${usage}`,
  };
  for (const [line, message] of Object.entries(cases)) {
    const { problems } = await load({ "a.yaml": base + line });
    assert.deepEqual(problems, [message], line);
  }
});

Deno.test("loadConfig() names a key indented more than the key with a value above it", async () => {
  const { problems } = await load({
    "a.yaml": plan("    destinations: [r]   # a comment\n     tags: [web]\n"),
  });
  assert.deepEqual(problems, [
    'a.yaml:9:6: error: key "tags" is indented 5 spaces: indent it 4, like "destinations" on line 8, ' +
    'to put it beside "destinations"',
  ]);
});

Deno.test("loadConfig() refuses a destination listed twice in a plan, and warns about two names for one repository", async () => {
  const twice = await load({ "a.yaml": plan("    destinations: [r, r]\n") });
  assert.equal(twice.result.config, undefined);
  assert.deepEqual(twice.problems, [
    'a.yaml:8:23: error: plans.web.destinations[1]: destination "r" is listed twice (first at destinations[0]): remove one',
  ]);

  const same = await load({
    "a.yaml": plan("    destinations: [r, again]\n").replace(
      "plans:",
      "  again:\n    url: /srv/./repo/\nplans:",
    ),
  });
  assert.ok(same.result.config);
  assert.deepEqual(same.problems, [
    'a.yaml:10:23: warning: destinations "r" and "again" are the same repository (/srv/repo): plan "web" ' +
    "would back up to it twice",
  ]);
});

Deno.test("loadConfig() compares state paths as the files they name", async () => {
  const destinations = "destinations:\n  r:\n    url: /srv/repo\n";
  const same = await load({
    "a.yaml": `version: 1\nstate: state.db\n${destinations}`,
    "b.yaml": `version: 1\nstate: ./state.db\nplans: { web: { sources: [/srv], destinations: [r] } }\n`,
  });
  assert.deepEqual(same.problems, []);
  assert.ok(same.result.config?.statePath.endsWith("/state.db"));

  const different = await load({
    "a.yaml": `version: 1\nstate: state.db\n${destinations}`,
    "b.yaml": `version: 1\nstate: ../state.db\nplans: { web: { sources: [/srv], destinations: [r] } }\n`,
  });
  assert.equal(different.problems.length, 1);
  assert.match(different.problems[0]!, /^b\.yaml:2:8: error: "state" is already set to "state\.db" at /);
});

Deno.test("loadConfig() warns about S3 settings on a local destination", async () => {
  const { result, problems } = await load({
    "a.yaml": `version: 1
destinations:
  r:
    url: /srv/repo
    password: x
    region: eu-west-1
    ca_file: ca.pem
    connections: 4
    path_style: false
  s3:
    url: s3://s3.example.com/bucket
    region: eu-west-1
plans:
  web:
    sources: [/srv]
    destinations: [r, s3]
`,
  });
  assert.ok(result.config, "warnings only");
  const ignored = (line: number, key: string) =>
    `a.yaml:${line}:5: warning: "${key}" is an S3 setting, ignored for the local folder "/srv/repo"`;
  assert.deepEqual(problems, [
    ignored(6, "region"),
    ignored(7, "ca_file"),
    ignored(8, "connections"),
    ignored(9, "path_style"),
  ]);
});

Deno.test("loadConfig() refuses an empty password, password_file or password_command, not an unset variable", async () => {
  const { problems } = await load({
    "a.yaml": `version: 1
destinations:
  e1: { url: /r1, password: "" }
  e2: { url: /r2, password_file: "  " }
  e3: { url: /r3, password_command: "" }
  e4: { url: /r4, password: "\${NOT_SET_HERE}" }
plans: {}
`,
  });
  assert.deepEqual(problems, [
    "a.yaml:3:29: error: password is empty: give one, or remove the key (then KEPT_PASSWORD or the terminal gives it)",
    "a.yaml:4:34: error: password_file is empty: give one, or remove the key (then KEPT_PASSWORD or the terminal gives it)",
    "a.yaml:5:37: error: password_command is empty: give one, or remove the key (then KEPT_PASSWORD or the terminal gives it)",
    "a.yaml:6:29: warning: environment variable NOT_SET_HERE is not set (used in destinations.e4.password)",
  ]);
});

Deno.test("loadConfig() refuses a %YAML 1.1 directive, which would read yes and no as booleans", async () => {
  const { problems } = await load({ "a.yaml": "%YAML 1.1\n---\nversion: 1\nplans: {}\n" });
  assert.deepEqual(problems, [
    'a.yaml:1:1: error: "%YAML 1.1": plan files are read as YAML 1.2; remove the directive',
  ]);
  const { problems: fine } = await load({ "b.yaml": "%YAML 1.2\n---\nversion: 1\nplans: {}\n" });
  assert.deepEqual(fine, []);
});

Deno.test("validate warns about a source below a symlink, which a backup does not follow, naming where it leads", async () => {
  using dir = tempDir("kept-source-link-");
  Deno.mkdirSync(`${dir.path}/real`);
  Deno.writeTextFileSync(`${dir.path}/real/f`, "f\n");
  Deno.symlinkSync(`${dir.path}/real`, `${dir.path}/link`);
  const file = `${dir.path}/a.yaml`;
  Deno.writeTextFileSync(
    file,
    `version: 1\ndestinations:\n  r: { url: /srv/repo }\nplans:\n  p: { sources: ["${dir.path}/link/f", "${dir.path}/real/f"], destinations: [r] }\n`,
  );
  const result = await loadConfig([file], { env, checkSources: true });
  const warnings = result.problems.map((problem) => problem.message);
  assert.deepEqual(warnings, [
    `source "${dir.path}/link/f" is below the symlink "${dir.path}/link", which a backup does not follow: ` +
    `name the path it leads to ("${dir.path}/real/f")`,
  ]);
});
