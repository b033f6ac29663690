// kept against the real S3 server, driven through the CLI as a user would: init, backup, snapshots,
// restore, check --read-data; and a wrong secret key fails with one line.

import assert from "node:assert/strict";
import { join } from "node:path";
import { runKept } from "../_support/run_cli.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { assertSameTree } from "../_support/tree_differ.ts";
import { seededBytes } from "../backends/_content.ts";
import { backendOptions, type S3Server, s3Server, uniqueBucket } from "./_server.ts";
import { S3Backend } from "../../lib/backends/mod.ts";
import { s3Environment, s3Url, writeS3Config } from "./_cli_config.ts";
import { hex, python } from "../platform/_python.ts";

/** A config of `bucket` on `server` backing up `source` (see writeS3Config). */
function writeConfig(dir: string, server: S3Server, bucket: string, source: string, extra = ""): string {
  return writeS3Config(dir, server, { url: s3Url(server, bucket), source, extra });
}

function ok(result: { code: number; stdout: string; stderr: string }, what: string): string {
  assert.equal(result.code, 0, `${what} failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

Deno.test("backup, snapshots, ls, restore, forget, prune and check --read-data work against a real S3 server", async () => {
  const server = await s3Server();
  using dir = tempDir("kept-s3-cli-");
  const source = join(dir.path, "source");
  Deno.mkdirSync(join(source, "sub/deeper"), { recursive: true });
  Deno.writeFileSync(join(source, "big.bin"), seededBytes("big", 3 << 20));
  Deno.writeTextFileSync(join(source, "sub/hello.txt"), "hello over S3\n");
  Deno.writeFileSync(join(source, "sub/deeper/empty"), new Uint8Array(0));
  const config = writeConfig(dir.path, server, uniqueBucket("kept-cli"), source);
  const env = s3Environment(server, dir.path);
  const kept = (...args: string[]) => runKept(["--config", config, ...args], { env });

  ok(await kept("init", "cloud"), "init");
  ok(await kept("backup", "files"), "backup");
  // The second backup no longer has the first's big file: once the first is forgotten, prune frees it.
  Deno.writeFileSync(join(source, "big.bin"), seededBytes("big, second", 2 << 20));
  ok(await kept("backup", "files"), "a second backup");
  const snapshots = ok(await kept("snapshots", "--json"), "snapshots");
  const listed = JSON.parse(snapshots) as {
    id: string;
    plan: string;
    destination: string;
    parent: string | null;
  }[];
  assert.deepEqual(listed.map((snapshot) => [snapshot.plan, snapshot.destination]), [
    ["files", "cloud"],
    ["files", "cloud"],
  ]);
  assert.ok(listed.some((snapshot) => snapshot.parent !== null), "the second backup has a parent");
  assert.match(ok(await kept("ls", "latest", join(source, "sub")), "ls"), /hello\.txt/);
  const target = join(dir.path, "restored");
  ok(await kept("restore", "latest", "--target", target), "restore");
  assertSameTree(source, join(target, source));
  // The same snapshot as a zip archive, its packs read whole from the bucket.
  const zip = join(dir.path, "files.zip");
  ok(await kept("restore", "latest", "--zip", zip), "restore --zip");
  const zipped = python<Record<string, string>>(
    `import zipfile\nwith zipfile.ZipFile(args) as z: print(json.dumps({i.filename: z.read(i).hex() for i in z.infolist() if not i.is_dir()}))`,
    zip,
  );
  const inZip = (path: string) => zipped[join(source, path).slice(1)];
  assert.equal(inZip("big.bin"), hex(Deno.readFileSync(join(source, "big.bin"))));
  assert.equal(inZip("sub/hello.txt"), hex("hello over S3\n"));
  assert.equal(inZip("sub/deeper/empty"), "");

  ok(await kept("forget", "--snapshot", listed[0]!.id), "forget");
  const pruned = ok(await kept("prune"), "prune");
  assert.match(pruned, /cloud: freed (?!0 B)[^:]+: removed [1-9]\d* packs?,/, pruned);
  ok(await kept("check", "--read-data"), "check --read-data after prune");
  const again = join(dir.path, "restored-after-prune");
  ok(await kept("restore", "latest", "--target", again), "restore after prune");
  assertSameTree(source, join(again, source));
});

Deno.test("kept with a wrong S3 secret key fails with one line naming the key and the server's code", async () => {
  const server = await s3Server();
  using dir = tempDir("kept-s3-cli-");
  const config = writeConfig(dir.path, server, uniqueBucket("kept-cli"), dir.path);
  const result = await runKept(["--config", config, "init", "cloud"], {
    env: s3Environment(server, dir.path, "not-the-secret"),
  });
  assert.notEqual(result.code, 0);
  assert.ok(!result.stderr.includes("not-the-secret"), "the secret is never printed");
  assert.match(result.stderr, /SignatureDoesNotMatch/);
  assert.ok(result.stderr.includes(`access key "${server.accessKey}"`), result.stderr);
  assert.ok(!/\n\s+at /.test(result.stderr), `no stack trace:\n${result.stderr}`);
});

Deno.test("a bucket that does not exist holds no repository: exit 10, kept plan says init, kept apply creates it", async () => {
  const server = await s3Server();
  using dir = tempDir("kept-s3-cli-");
  const source = join(dir.path, "source");
  Deno.mkdirSync(source);
  Deno.writeTextFileSync(join(source, "note.txt"), "first day\n");
  const config = writeConfig(dir.path, server, uniqueBucket("kept-nobucket"), source);
  const env = s3Environment(server, dir.path);
  const kept = (...args: string[]) => runKept(["--config", config, ...args], { env });

  const snapshots = await kept("snapshots");
  assert.equal(snapshots.code, 10, snapshots.stderr);
  assert.match(snapshots.stderr, /No kept repository at s3/);
  assert.match(snapshots.stderr, /kept init/);
  const planned = await kept("plan", "--json");
  assert.equal(planned.code, 0, planned.stderr);
  assert.match(planned.stdout, /"init"/);
  ok(await kept("apply"), "apply");
  const listed = JSON.parse(ok(await kept("snapshots", "--json"), "snapshots after apply")) as unknown[];
  assert.equal(listed.length, 1, "apply created the bucket and the repository, then backed up");
});

Deno.test("check reads what the bucket holds, not the local cache: damage done since the last run is found", async () => {
  const server = await s3Server();
  using dir = tempDir("kept-s3-cli-");
  const source = join(dir.path, "source");
  Deno.mkdirSync(source);
  Deno.writeTextFileSync(join(source, "note.txt"), "checked\n");
  const bucket = uniqueBucket("kept-check");
  const config = writeConfig(dir.path, server, bucket, source);
  const env = s3Environment(server, dir.path);
  const kept = (...args: string[]) => runKept(["--config", config, ...args], { env });
  ok(await kept("init", "cloud"), "init");
  ok(await kept("backup", "files"), "backup"); // the snapshot is in the local cache now
  ok(await kept("check"), "check");

  // Another machine, or the storage, damages the snapshot in the bucket.
  const backend = await S3Backend.open(backendOptions(server, bucket, "repo"));
  try {
    const [snapshot] = await Array.fromAsync(backend.list("snapshots"));
    const handle = { kind: "snapshots" as const, name: snapshot!.name };
    const bytes = await backend.get(handle);
    bytes[bytes.length >> 1]! ^= 0x01;
    await backend.delete(handle);
    await backend.put(handle, bytes);
  } finally {
    await backend.close();
  }
  const damaged = await kept("check");
  assert.equal(damaged.code, 1, damaged.stdout + damaged.stderr);
  assert.match(damaged.stdout + damaged.stderr, /snapshot/);
  assert.doesNotMatch(damaged.stdout, /no errors/);
});

Deno.test("S3 metadata is cached per repository; --no-cache reads around the cache; cache clean empties it", async () => {
  const server = await s3Server();
  using dir = tempDir("kept-s3-cache-");
  const source = join(dir.path, "source");
  Deno.mkdirSync(join(source, "sub"), { recursive: true });
  Deno.writeTextFileSync(join(source, "sub/a.txt"), "cached\n");
  const config = writeConfig(dir.path, server, uniqueBucket("kept-cache"), source);
  const env = s3Environment(server, dir.path);
  const kept = (...args: string[]) => runKept(["--config", config, ...args], { env });
  const cacheRoot = join(dir.path, "cache", "kept");
  const cachedFiles = (kind: string) => {
    // Beside the repositories' folders, "locations" remembers which key opened each.
    const repository = [...Deno.readDirSync(cacheRoot)].find((entry) => /^[0-9a-f]{32}$/.test(entry.name));
    try {
      return [...Deno.readDirSync(join(cacheRoot, repository!.name, kind))].length;
    } catch {
      return 0;
    }
  };

  ok(await kept("init", "cloud"), "init");
  ok(await kept("backup", "files"), "backup");
  assert.equal(cachedFiles("snapshots"), 1, "the snapshot a backup writes is cached");
  assert.equal(cachedFiles("index"), 1);
  assert.equal(cachedFiles("data"), 1, "so is the pack of its trees (one pack: a folder of its own)");
  const shown = JSON.parse(ok(await kept("cache", "--json"), "cache")) as {
    root: string;
    repositories: { id: string; files: number }[];
  };
  assert.equal(shown.root, cacheRoot);
  assert.equal(shown.repositories.length, 1);
  // The backup's command line is remembered with the bucket it opened (lib/destinations/warm_unlock.ts).
  const [record] = [...Deno.readDirSync(join(cacheRoot, "warm"))];
  const location = JSON.parse(Deno.readTextFileSync(join(cacheRoot, "warm", record!.name))).location;
  assert.match(location, /^s3\+http:\/\/127\.0\.0\.1:\d+\/kept-cache-[^/]*\/repo$/);

  assert.match(ok(await kept("cache", "clean"), "cache clean"), /removed the cache of 1 repository/);
  assert.deepEqual([...Deno.readDirSync(cacheRoot)], []);
  ok(await kept("--no-cache", "snapshots"), "snapshots --no-cache");
  assert.deepEqual([...Deno.readDirSync(cacheRoot)], [], "--no-cache writes no cache");
  ok(await kept("snapshots"), "snapshots");
  assert.equal(cachedFiles("snapshots"), 1, "without --no-cache the listing fills the cache again");
});
