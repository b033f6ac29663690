import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig, type LoadResult } from "../../lib/plan/mod.ts";
import { tempDir } from "../_support/temp_dir.ts";

/** Writes `files` (name → text) into a fresh temp dir and passes its path to `fn`. */
async function withPlans(files: Record<string, string>, fn: (dir: string) => Promise<void>): Promise<void> {
  using temp = tempDir("kept-load-");
  const dir = temp.path;
  for (const [name, text] of Object.entries(files)) {
    await Deno.mkdir(join(dir, name, ".."), { recursive: true });
    await Deno.writeTextFile(join(dir, name), text);
  }
  await fn(dir);
}

const ENV: Record<string, string> = { HOME: "/home/alice", KEPT_PASSWORD: "s3cret" };
const env = (name: string) => ENV[name];

function configOf(result: LoadResult) {
  assert.deepEqual(result.problems.filter((p) => p.severity === "error"), []);
  assert.ok(result.config);
  return result.config;
}

const NAS = `
destinations:
  nas:
    url: repo
    password_file: secrets/nas.pass
`;

Deno.test("loadConfig() resolves relative sources against the plan file's folder and ~/ against HOME", async () => {
  await withPlans({
    "conf/web.yaml": `version: 1\n${NAS}plans:
  web:
    sources: [site, ../shared/assets, ~/docs, "~", /srv/www/../www, ./a/./b/]
    destinations: [nas]
`,
  }, async (dir) => {
    const config = configOf(await loadConfig([join(dir, "conf")], { env }));
    assert.deepEqual(config.plans.get("web")?.sources, [
      join(dir, "conf/site"),
      join(dir, "shared/assets"),
      "/home/alice/docs",
      "/home/alice",
      "/srv/www",
      join(dir, "conf/a/b"),
    ]);
  });
});

Deno.test("loadConfig() resolves a local destination, its password file and the state path against the file", async () => {
  await withPlans({
    "plans/main.yaml": `version: 1\nstate: ../var/state.db\n${NAS}
  offsite:
    url: s3://s3.example.com:9000/backups/kept
    password: \${KEPT_PASSWORD}
    access_key_id: AKID
  far:
    url: file:///mnt/far%20away
    password_command: pass show kept
plans:
  web:
    sources: [/srv]
    destinations: [nas, offsite, far]
`,
  }, async (dir) => {
    const config = configOf(await loadConfig([join(dir, "plans/main.yaml")], { env }));
    assert.equal(config.statePath, join(dir, "var/state.db"));
    const nas = config.destinations.get("nas");
    assert.deepEqual(nas?.location, { kind: "local", path: join(dir, "plans/repo") });
    assert.deepEqual(nas?.password, { kind: "file", path: join(dir, "plans/secrets/nas.pass") });
    assert.equal(nas?.definedIn, join(dir, "plans/main.yaml"));
    const offsite = config.destinations.get("offsite");
    assert.deepEqual(offsite?.location, {
      kind: "s3",
      endpoint: "https://s3.example.com:9000",
      bucket: "backups",
      prefix: "kept",
    });
    assert.deepEqual(offsite?.password, { kind: "value", value: "s3cret" });
    assert.deepEqual(offsite?.s3, {
      region: "us-east-1",
      accessKeyId: "AKID",
      secretAccessKey: undefined,
      sessionToken: undefined,
      profile: undefined,
      pathStyle: undefined,
      caFile: undefined,
      connections: 8,
    });
    const far = config.destinations.get("far");
    assert.deepEqual(far?.location, { kind: "local", path: "/mnt/far away" });
    assert.deepEqual(far?.password, { kind: "command", command: "pass show kept" });
  });
});

Deno.test("loadConfig() puts the state file under XDG_STATE_HOME, else ~/.local/state", async () => {
  await withPlans(
    { "a.yaml": `version: 1\n${NAS}plans: { p: { sources: [/x], destinations: [nas] } }\n` },
    async (dir) => {
      const withXdg = configOf(
        await loadConfig([dir], { env: (n) => ({ ...ENV, XDG_STATE_HOME: "/state" })[n] }),
      );
      assert.equal(withXdg.statePath, "/state/kept/state.db");
      const withoutXdg = configOf(await loadConfig([dir], { env }));
      assert.equal(withoutXdg.statePath, "/home/alice/.local/state/kept/state.db");
    },
  );
});

Deno.test("loadConfig() fills in defaults and parses units", async () => {
  await withPlans({
    "a.yaml": `version: 1\n${NAS}plans:
  bare:
    sources: [/x]
    destinations: [nas]
  full:
    sources: [/y]
    excludes: ["*.tmp"]
    exclude_if_present: [.nobackup]
    ignore_files: [.keptignore]
    exclude_larger_than: 2GiB
    one_file_system: true
    schedule: " 0 3 * * * "
    timezone: Europe/Berlin
    destinations: [nas]
    retention: { keep_daily: 7, keep_monthly: -1, keep_within: 1y2mo, keep_tags: [keep] }
    hooks: { before: [echo hi], timeout: 90s }
    tags: [web]
`,
  }, async (dir) => {
    const config = configOf(await loadConfig([dir], { env }));
    const bare = config.plans.get("bare")!;
    assert.equal(bare.retention, undefined, "no retention: keep everything");
    assert.deepEqual(bare.hooks, { before: [], after: [], onFailure: [], timeoutMs: 600_000 });
    assert.equal(bare.excludeLargerThan, undefined);
    assert.equal(bare.oneFileSystem, false);
    assert.equal(bare.schedule, undefined);
    assert.deepEqual([bare.excludes, bare.excludeIfPresent, bare.ignoreFiles, bare.tags], [[], [], [], []]);

    const full = config.plans.get("full")!;
    assert.equal(full.excludeLargerThan, 2 * 1024 ** 3);
    assert.equal(full.schedule, "0 3 * * *");
    assert.equal(full.timezone, "Europe/Berlin");
    assert.deepEqual(full.retention, {
      last: 0,
      hourly: 0,
      daily: 7,
      weekly: 0,
      monthly: -1,
      yearly: 0,
      within: { years: 1, months: 2, days: 0, hours: 0 },
      tags: ["keep"],
    });
    assert.equal(full.hooks.timeoutMs, 90_000);
    assert.deepEqual(full.hooks.before, ["echo hi"]);
    assert.deepEqual(full.excludes, ["*.tmp"]);
  });
});

Deno.test("loadConfig() reads a folder's *.yaml and *.yml files in order, not its subfolders", async () => {
  await withPlans({
    "b.yml": `version: 1\nplans: { web: { sources: [/srv], destinations: [nas] } }\n`,
    "a.yaml": `version: 1\n${NAS}`,
    "notes.txt": "not yaml: [",
    "old/broken.yaml": "not: [valid",
  }, async (dir) => {
    const result = await loadConfig([dir], { env });
    const config = configOf(result);
    assert.deepEqual(result.files, [join(dir, "a.yaml"), join(dir, "b.yml")]);
    assert.equal(config.plans.get("web")?.definedIn, join(dir, "b.yml"));
    assert.deepEqual([...config.destinations.keys()], ["nas"]);
  });
});

Deno.test("loadConfig() accepts the same state path set in two files", async () => {
  await withPlans({
    "a.yaml": `version: 1\nstate: /var/lib/kept/state.db\n${NAS}`,
    "b.yaml":
      `version: 1\nstate: /var/lib/kept/state.db\nplans: { web: { sources: [/srv], destinations: [nas] } }\n`,
  }, async (dir) => {
    assert.equal(configOf(await loadConfig([dir], { env })).statePath, "/var/lib/kept/state.db");
  });
});

Deno.test("loadConfig() warns, but still loads, when no plans are defined or a variable is unset", async () => {
  await withPlans({ "a.yaml": `version: 1\n${NAS}` }, async (dir) => {
    const result = await loadConfig([dir], { env });
    assert.ok(result.config);
    assert.deepEqual(result.problems.map((p) => [p.severity, p.message]), [[
      "warning",
      "no plans are defined",
    ]]);
  });
  await withPlans({
    "a.yaml":
      `version: 1\n${NAS}  s3:\n    url: s3://h.example/bucket\n    password: \${KEPT_UNSET_VARIABLE}\n`,
  }, async (dir) => {
    const result = await loadConfig([dir], { env });
    assert.ok(result.config);
    assert.deepEqual(result.config.destinations.get("s3")?.password, { kind: "value", value: "" });
    assert.ok(result.problems.some((p) => p.severity === "warning" && /KEPT_UNSET_VARIABLE/.test(p.message)));

    const strict = await loadConfig([dir], { env, requireEnv: true });
    assert.equal(strict.config, undefined);
    assert.deepEqual(strict.problems.map((p) => [p.line, p.column, p.severity]), [[9, 15, "error"]]);
  });
});

Deno.test("loadConfig() checks destinations across files even when a file has other problems", async () => {
  await withPlans({
    "a.yaml": `version: 1\n${NAS}`,
    "b.yaml":
      `version: 1\nplans:\n  web:\n    sources: [/srv]\n    destinations: [nas, nass]\n    tags: oops\n`,
  }, async (dir) => {
    const result = await loadConfig([dir], { env });
    assert.deepEqual(result.problems.map((p) => [p.line, p.column, p.message]), [
      [5, 25, `plan "web" names destination "nass", which is not defined; did you mean "nas"?`],
      [6, 11, `"tags" must be a list, found the string "oops"; write ["oops"] for a list of one`],
    ]);
  });
});

Deno.test("loadConfig() does not guess at references when another file cannot be parsed", async () => {
  await withPlans({
    "a.yaml": `version: 1\ndestinations: [\n`,
    "b.yaml": `version: 1\nplans: { web: { sources: [/srv], destinations: [nas] } }\n`,
  }, async (dir) => {
    const result = await loadConfig([dir], { env });
    assert.equal(result.problems.length, 1);
    assert.equal(result.problems[0]!.file, join(dir, "a.yaml"));
  });
});

Deno.test("loadConfig() points at the key of a mapping that lacks a required key", async () => {
  await withPlans({ "a.yaml": `version: 1\n${NAS}plans:\n  web:\n    sources: [/srv]\n` }, async (dir) => {
    const result = await loadConfig([dir], { env });
    assert.deepEqual(result.problems.map((p) => [p.line, p.column, p.path, p.message]), [
      [8, 3, ["plans", "web", "destinations"], `missing required key "destinations" in plans.web`],
    ]);
  });
});

Deno.test("loadConfig() keeps messages on one line when keys contain line breaks", async () => {
  await withPlans({ "a.yaml": `version: 1\n"bad\\nkey": 1\n` }, async (dir) => {
    const result = await loadConfig([dir], { env });
    assert.deepEqual(result.problems.map((p) => p.message), [`unknown key "bad\\nkey"`]);
  });
});

Deno.test("loadConfig() reads the S3 keys path_style, ca_file (resolved against the file), session_token, profile and connections", async () => {
  await withPlans({
    "plans/main.yaml": `version: 1
destinations:
  minio:
    url: s3://minio.internal/backups/kept
    password: x
    region: eu-west-3
    session_token: TOKEN
    profile: work
    path_style: true
    ca_file: certs/ca.pem
    connections: 3
plans:
  web:
    sources: [/srv]
    destinations: [minio]
`,
  }, async (dir) => {
    const config = configOf(await loadConfig([join(dir, "plans/main.yaml")], { env }));
    assert.deepEqual(config.destinations.get("minio")?.s3, {
      region: "eu-west-3",
      accessKeyId: undefined,
      secretAccessKey: undefined,
      sessionToken: "TOKEN",
      profile: "work",
      pathStyle: true,
      caFile: join(dir, "plans/certs/ca.pem"),
      connections: 3,
    });
  });
});

Deno.test("loadConfig() rejects S3 connections that are not a positive whole number, and a path_style that is no boolean", async () => {
  await withPlans({
    "plans/main.yaml": `version: 1
destinations:
  minio:
    url: s3://minio.internal/backups/kept
    password: x
    path_style: "yes"
    connections: 0
plans:
  web:
    sources: [/srv]
    destinations: [minio]
`,
  }, async (dir) => {
    const result = await loadConfig([join(dir, "plans/main.yaml")], { env });
    const paths = result.problems.filter((problem) => problem.severity === "error").map((problem) =>
      problem.path.join(".")
    ).sort();
    assert.deepEqual(paths, ["destinations.minio.connections", "destinations.minio.path_style"]);
  });
});
