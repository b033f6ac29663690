// A run that opened a repository lets the next run of the same command line start deriving its key before
// the plan is read (lib/destinations/warm_unlock.ts). A run that unlocks with the record reads no key file
// of its own, so a damaged key file put beside the good one goes unmentioned then, where every other run
// warns that it is left out: that is how these tests see which way a run unlocked.

import assert from "node:assert/strict";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { runKept } from "../_support/run_cli.ts";
import { tempDir } from "../_support/temp_dir.ts";

const DAMAGED = "is left out|does not match";

interface Setup {
  dir: string;
  config: string;
  repo: string;
  env: Record<string, string>;
  records: string;
}

/** A repository "usb" at `<dir>/repo` with one snapshot; the password as `password` says. */
async function setUp(dir: string, password: Record<string, string> = {}): Promise<Setup> {
  const source = join(dir, "source");
  Deno.mkdirSync(source);
  Deno.writeTextFileSync(join(source, "a.txt"), "a\n");
  const repo = join(dir, "repo");
  const config = join(dir, "kept.yaml");
  writeConfig(config, repo, source, password);
  const env = {
    KEPT_KDF_N: "1024",
    KEPT_PASSWORD: "warm-password-1",
    XDG_STATE_HOME: join(dir, "state"),
    XDG_CACHE_HOME: join(dir, "cache"),
  };
  for (const args of [["init", "usb"], ["backup", "files"]]) {
    const result = await runKept(["--config", config, ...args], { env });
    assert.equal(result.code, 0, `${args[0]}: ${result.stderr}`);
  }
  // The backup recorded its own command line: each test starts with none.
  const records = join(dir, "cache", "kept", "warm");
  Deno.removeSync(records, { recursive: true });
  return { dir, config, repo, env, records };
}

function writeConfig(path: string, repo: string, source: string, password: Record<string, string>): void {
  Deno.writeTextFileSync(
    path,
    JSON.stringify({
      version: 1,
      destinations: { usb: { url: repo, ...password } },
      plans: { files: { sources: [source], destinations: ["usb"] } },
    }),
  );
}

/** Puts a key file that does not match its name beside the repository's good one. */
function addDamagedKey(repo: string): void {
  const name = createHash("sha256").update("another key").digest("hex");
  Deno.writeTextFileSync(join(repo, "keys", name), "{}");
}

function records(folder: string): string[] {
  try {
    return [...Deno.readDirSync(folder)].map((entry) => join(folder, entry.name));
  } catch {
    return [];
  }
}

Deno.test("the next run of a command line unlocks with the key file the last one used, from a record that holds no password", async () => {
  using dir = tempDir("kept-warm-");
  const setup = await setUp(dir.path);
  const list = ["--config", setup.config, "snapshots"];
  const first = await runKept(list, { env: setup.env });
  assert.equal(first.code, 0, first.stderr);
  const [record, ...more] = records(setup.records);
  assert.ok(record !== undefined && more.length === 0, "one record, for `snapshots`");
  assert.equal(Deno.statSync(record).mode! & 0o777, 0o600);
  assert.equal(Deno.statSync(setup.records).mode! & 0o777, 0o700);
  const text = Deno.readTextFileSync(record);
  assert.deepEqual(JSON.parse(text).password, { env: "KEPT_PASSWORD" });
  assert.ok(!text.includes("warm-password-1"), "the password is not written");

  addDamagedKey(setup.repo);
  const warm = await runKept(list, { env: setup.env });
  assert.equal(warm.code, 0, warm.stderr);
  assert.doesNotMatch(warm.stderr, new RegExp(DAMAGED), "unlocked with the recorded key file");
  // Another command line has no record of its own yet: it lists the key files.
  const other = await runKept([...list, "--json"], { env: setup.env });
  assert.equal(other.code, 0, other.stderr);
  assert.match(other.stderr, new RegExp(DAMAGED));
});

Deno.test("a record opens nothing with another password, another repository or when damaged; init drops it", async () => {
  using dir = tempDir("kept-warm-");
  const setup = await setUp(dir.path);
  const list = ["--config", setup.config, "snapshots", "--json"];
  assert.equal((await runKept(list, { env: setup.env })).code, 0);
  const [record] = records(setup.records);
  assert.ok(record !== undefined);

  const wrong = await runKept(list, { env: { ...setup.env, KEPT_PASSWORD: "another" } });
  assert.equal(wrong.code, 12, wrong.stderr);
  assert.match(wrong.stderr, /wrong password/);

  // Damaged: the run unlocks as without a record, and writes it anew.
  Deno.writeTextFileSync(record, "{not json");
  addDamagedKey(setup.repo);
  const damaged = await runKept(list, { env: setup.env });
  assert.equal(damaged.code, 0, damaged.stderr);
  assert.match(damaged.stderr, new RegExp(DAMAGED), "key files listed: the record was not used");
  const rewritten = JSON.parse(Deno.readTextFileSync(record));
  assert.equal(rewritten.location, `local:${setup.repo}`);

  // The same command line, now for another repository: its own key opens it, and the record follows.
  const other = join(dir.path, "other");
  writeConfig(setup.config, other, join(dir.path, "source"), {});
  assert.equal((await runKept(["--config", setup.config, "init", "usb"], { env: setup.env })).code, 0);
  const moved = await runKept(list, { env: setup.env });
  assert.equal(moved.code, 0, moved.stderr);
  assert.deepEqual(JSON.parse(moved.stdout), [], "the new repository's snapshots: none");
  assert.equal(JSON.parse(Deno.readTextFileSync(record)).location, `local:${other}`);

  // A repository created where the record's was: that one is gone, and so is the record.
  Deno.removeSync(other, { recursive: true });
  assert.equal((await runKept(["--config", setup.config, "init", "usb"], { env: setup.env })).code, 0);
  assert.deepEqual(records(setup.records), [], "init drops the records of its location");
});

Deno.test("a password file is recorded by its path; a password command is not recorded, and removes a record", async () => {
  using dir = tempDir("kept-warm-");
  const passwordFile = join(dir.path, "password");
  Deno.writeTextFileSync(passwordFile, "from-a-file\n", { mode: 0o600 });
  const setup = await setUp(dir.path, { password_file: passwordFile });
  const list = ["--config", setup.config, "snapshots"];
  assert.equal((await runKept(list, { env: setup.env })).code, 0);
  const [record] = records(setup.records);
  assert.ok(record !== undefined);
  assert.deepEqual(JSON.parse(Deno.readTextFileSync(record)).password, { file: passwordFile });
  addDamagedKey(setup.repo);
  const warm = await runKept(list, { env: setup.env });
  assert.equal(warm.code, 0, warm.stderr);
  assert.doesNotMatch(warm.stderr, new RegExp(DAMAGED), "unlocked with the recorded key file");

  writeConfig(setup.config, setup.repo, join(dir.path, "source"), { password_command: "echo from-a-file" });
  const command = await runKept(list, { env: setup.env });
  assert.equal(command.code, 0, command.stderr);
  assert.deepEqual(records(setup.records), [], "a command's password is not looked up before the plan asks");
});

Deno.test("a password the plan takes from a variable is recorded by the variable's name; --no-cache records nothing; cache shows and clean removes records", async () => {
  using dir = tempDir("kept-warm-");
  const setup = await setUp(dir.path);
  writeConfig(setup.config, setup.repo, join(dir.path, "source"), { password: "${BACKUP_SECRET}" });
  const env = { ...setup.env, BACKUP_SECRET: "warm-password-1", KEPT_PASSWORD: "" };
  const list = ["--config", setup.config, "snapshots"];
  assert.equal((await runKept(list, { env })).code, 0);
  const [record] = records(setup.records);
  assert.ok(record !== undefined);
  assert.deepEqual(JSON.parse(Deno.readTextFileSync(record)).password, { env: "BACKUP_SECRET" });

  const uncached = await runKept(["--config", setup.config, "--no-cache", "snapshots"], { env });
  assert.equal(uncached.code, 0, uncached.stderr);
  assert.equal(records(setup.records).length, 1, "--no-cache records nothing");

  const shown = await runKept(["cache"], { env });
  assert.match(
    shown.stdout + shown.stderr,
    /1 unlock record \(the key file each command line last opened with\)/,
  );
  const json = JSON.parse((await runKept(["cache", "--json"], { env })).stdout);
  assert.equal(json.unlock_records, 1);

  const clean = await runKept(["cache", "clean"], { env });
  assert.equal(clean.code, 0, clean.stderr);
  assert.deepEqual(records(setup.records), []);
});

Deno.test("a record opens nothing once its key file is damaged, and key passwd drops the copies of the old key", async () => {
  using dir = tempDir("kept-warm-");
  const setup = await setUp(dir.path);
  const list = ["--config", setup.config, "snapshots"];
  assert.equal((await runKept(list, { env: setup.env })).code, 0);
  const [key] = [...Deno.readDirSync(join(setup.repo, "keys"))].map((entry) => entry.name);
  assert.ok(key !== undefined);
  assert.ok(Deno.readTextFileSync(records(setup.records)[0]!).includes(key));

  const passwd = await runKept(["--config", setup.config, "key", "passwd"], {
    env: { ...setup.env, KEPT_NEW_PASSWORD: "warm-password-2" },
  });
  assert.equal(passwd.code, 0, passwd.stderr);
  const holdingOldKey = records(setup.records).filter((path) => Deno.readTextFileSync(path).includes(key));
  assert.deepEqual(holdingOldKey, [], "no copy of the removed key is left in the cache");

  const env = { ...setup.env, KEPT_PASSWORD: "warm-password-2" };
  assert.equal((await runKept(list, { env })).code, 0, "recorded again with the new key");
  // The key file damaged in storage: the record's intact copy must not hide it.
  const [newKey] = [...Deno.readDirSync(join(setup.repo, "keys"))].map((entry) => entry.name);
  Deno.writeTextFileSync(join(setup.repo, "keys", newKey!), '{"version":1}');
  const damaged = await runKept(list, { env });
  assert.equal(damaged.code, 1, damaged.stderr);
  assert.match(damaged.stderr, /no usable key files/);
});

Deno.test("a record used is kept the longest; a record that cannot be replaced leaves no temporary file", async () => {
  using dir = tempDir("kept-warm-");
  const setup = await setUp(dir.path);
  const list = ["--config", setup.config, "snapshots"];
  assert.equal((await runKept(list, { env: setup.env })).code, 0);
  const [record] = records(setup.records);
  const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600 * 1000);
  Deno.utimeSync(record!, twoDaysAgo, twoDaysAgo);
  assert.equal((await runKept(list, { env: setup.env })).code, 0);
  assert.ok(Deno.statSync(record!).mtime!.getTime() > Date.now() - 3600 * 1000, "used: its time is now");

  // A folder where the record of another command line would go: the run goes on, and cleans up after itself.
  const other = [...list, "--json"];
  assert.equal((await runKept(other, { env: setup.env })).code, 0);
  const otherRecord = records(setup.records).find((path) => path !== record)!;
  Deno.removeSync(otherRecord);
  Deno.mkdirSync(otherRecord);
  const blocked = await runKept(other, { env: setup.env });
  assert.equal(blocked.code, 0, blocked.stderr);
  assert.deepEqual(records(setup.records).filter((path) => path.endsWith(".tmp")), []);
});
