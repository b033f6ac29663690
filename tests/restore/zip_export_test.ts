// `kept restore SNAPSHOT --zip FILE`: the snapshot as one zip archive, read back by Python's zipfile (an
// independent reader that checks every CRC-32) — names as bytes, modes, owners, times, contents; what a
// zip cannot hold left out and said; a damaged blob or an interruption leaves no zip behind.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { makeFixture } from "../_support/fixture.ts";
import { randomBytes } from "../_support/random_bytes.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { hex, python } from "../platform/_python.ts";
import { ZipWriter } from "../../lib/restore/_zip_writer.ts";
import { LocalBackend } from "../../lib/backends/mod.ts";
import { exportZip } from "../../lib/restore/mod.ts";
import { SnapshotCrafter } from "../_support/craft.ts";
import { testRepository } from "../_support/repository.ts";

/** One entry as Python's zipfile reads it. */
interface ZipListing {
  /** The name's bytes, as hex. */
  name: string;
  mode: number;
  size: number;
  sha256: string;
  /** Seconds of Info-ZIP's "UT" field; the owner of its "ux" field. */
  mtime: number | null;
  owner: [number, number] | null;
  method: number;
  utf8: boolean;
  compressed: number;
  /** Sizes and CRC-32 in a data descriptor after the data (general purpose flag bit 3). */
  descriptor: boolean;
}

/** Reads the archive at `path` with Python's zipfile, every entry's content too (which checks its CRC-32). */
function readZip(path: string): ZipListing[] {
  return python<ZipListing[]>(
    `
import zipfile, hashlib, struct
out = []
with zipfile.ZipFile(args) as z:
    for i in z.infolist():
        ut = None; ux = None; extra = i.extra; pos = 0
        while pos + 4 <= len(extra):
            tag, size = struct.unpack_from('<HH', extra, pos); body = extra[pos + 4:pos + 4 + size]
            if tag == 0x5455: ut = struct.unpack_from('<I', body, 1)[0]
            if tag == 0x7875: ux = [struct.unpack_from('<I', body, 2)[0], struct.unpack_from('<I', body, 7)[0]]
            pos += 4 + size
        utf8 = bool(i.flag_bits & 0x800)
        name = i.orig_filename.encode('utf-8' if utf8 else 'cp437')
        data = z.read(i)
        out.append({"name": name.hex(), "mode": i.external_attr >> 16, "size": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(), "mtime": ut, "owner": ux,
                    "method": i.compress_type, "utf8": utf8, "compressed": i.compress_size,
                    "descriptor": bool(i.flag_bits & 0x8)})
print(json.dumps(out))
`,
    path,
  );
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The listing by name (as text), for lookups. */
function byName(listing: ZipListing[]): Map<string, ZipListing> {
  return new Map(listing.map((entry) => [new TextDecoder().decode(hexBytes(entry.name)), entry]));
}

function hexBytes(text: string): Uint8Array {
  return Uint8Array.from(text.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

/** A source tree with the cases a zip must carry: sizes, modes, links, an old time, a FIFO. */
function writeSource(src: string): Record<string, Uint8Array> {
  const contents: Record<string, Uint8Array> = {
    "a.txt": new TextEncoder().encode("alpha\n"),
    "empty": new Uint8Array(0),
    "bin/tool": new TextEncoder().encode("#!/bin/sh\necho tool\n"),
    // Several blobs: random (stored, deflate gains nothing) and repetitive (deflated piece by piece).
    "data/random.bin": randomBytes(5 * 1024 * 1024, 7),
    "data/text.log": new TextEncoder().encode("line of a log that repeats\n".repeat(300_000)),
    "hard/first": new TextEncoder().encode("linked\n"),
  };
  for (const [path, bytes] of Object.entries(contents)) {
    Deno.mkdirSync(`${src}/${path}`.replace(/\/[^/]*$/, ""), { recursive: true });
    Deno.writeFileSync(`${src}/${path}`, bytes);
  }
  Deno.chmodSync(`${src}/bin/tool`, 0o755);
  Deno.chmodSync(`${src}/a.txt`, 0o640);
  Deno.linkSync(`${src}/hard/first`, `${src}/hard/second`);
  Deno.symlinkSync("../a.txt", `${src}/bin/link`);
  Deno.utimeSync(`${src}/a.txt`, new Date(0), new Date(Date.UTC(1975, 5, 1, 12, 0, 7)));
  Deno.utimeSync(`${src}/hard/first`, new Date(0), new Date(Date.UTC(2040, 0, 1, 0, 0, 1))); // past 2^31 s
  Deno.utimeSync(`${src}/empty`, new Date(0), new Date(Date.UTC(1960, 0, 1, 0, 0, 0))); // before 1970
  new Deno.Command("mkfifo", { args: [`${src}/pipe`] }).outputSync();
  return { ...contents, "hard/second": contents["hard/first"]! };
}

Deno.test("a zip export holds every entry with its name, mode, owner, time and content", async () => {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  try {
    const src = `${fixture.root}/src`;
    const contents = writeSource(src);
    await fixture.backup("p");
    const zip = `${fixture.root}/out.zip`;
    const result = await fixture.keptOk(["restore", "latest", "--zip", zip]);
    assert.match(result.stdout, /^zipped snapshot [0-9a-f]{12} into .*out\.zip: 8 files, \d+ folders, /m);
    assert.match(result.stderr, /^note: 1 FIFOs and device nodes left out: a zip archive cannot hold them/m);
    const entries = byName(readZip(zip));
    const prefix = src.slice(1);
    for (const [path, bytes] of Object.entries(contents)) {
      const entry = entries.get(`${prefix}/${path}`);
      assert.ok(entry, `${path} is not in the zip`);
      assert.equal(entry.sha256, sha256(bytes), path);
      const info = Deno.lstatSync(`${src}/${path}`);
      assert.equal(entry.mode, info.mode, path);
      // Info-ZIP's UT field is read as unsigned: a time before 1970 is left to the DOS time.
      const seconds = Math.floor(info.mtime!.getTime() / 1000);
      assert.equal(entry.mtime, seconds >= 0 ? seconds : null, path);
      assert.deepEqual(entry.owner, [info.uid, info.gid], path);
    }
    assert.equal(entries.get(`${prefix}/a.txt`)!.mtime, Date.UTC(1975, 5, 1, 12, 0, 7) / 1000);
    const random = entries.get(`${prefix}/data/random.bin`)!;
    assert.ok(random.compressed >= random.size, "random data should be stored (deflate level 0)");
    const log = entries.get(`${prefix}/data/text.log`)!;
    assert.ok(log.compressed < log.size / 10, "a log should be deflated");
    assert.equal(entries.get(`${prefix}/hard/second`)!.mtime, Date.UTC(2040, 0, 1, 0, 0, 1) / 1000);
    // A reader of a stream (Java's ZipInputStream) takes a data descriptor only after deflated data.
    for (const [name, entry] of entries) {
      assert.ok(!entry.descriptor || entry.method === 8, `${name}: a data descriptor after stored data`);
      if (name.endsWith("/") || name.endsWith("/link")) assert.equal(entry.descriptor, false, name);
    }
    const link = entries.get(`${prefix}/bin/link`)!;
    assert.equal(link.mode, 0o120000 | (Deno.lstatSync(`${src}/bin/link`).mode! & 0o7777));
    assert.equal(link.sha256, sha256(new TextEncoder().encode("../a.txt")));
    const folder = entries.get(`${prefix}/bin/`)!;
    assert.equal(folder.mode, Deno.statSync(`${src}/bin`).mode);
    // The folders leading to the source come first, as a restore creates them.
    assert.equal([...entries.keys()][0], `${prefix.split("/")[0]}/`);
    assert.ok(!entries.has(`${prefix}/pipe`));
    const json = await fixture.keptOk(["restore", "latest", "--zip", zip, "--overwrite", "--json"]);
    const lines = json.stdout.trim().split("\n").map((line) => JSON.parse(line));
    assert.deepEqual(lines[0], { message_type: "entry", action: "omit", path: `${src}/pipe`, type: "fifo" });
    assert.deepEqual(
      { ...lines[1], snapshot_id: undefined, dirs: undefined },
      {
        message_type: "summary",
        dry_run: false,
        snapshot_id: undefined,
        zip,
        files: 8,
        dirs: undefined,
        bytes: Object.values(contents).reduce((sum, bytes) => sum + bytes.length, 0) + 0,
        left_out: 1,
        problems: 0,
      },
    );
    assert.deepEqual(
      Deno.readDirSync(fixture.root).filter((entry) => entry.name.includes("partial")).toArray(),
      [],
    );
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("a name that is not UTF-8 goes into the zip as its bytes, not flagged as UTF-8", async () => {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  try {
    const src = `${fixture.root}/src`;
    Deno.mkdirSync(src);
    python(`open(os.path.join(os.fsencode(args), b'caf\\xe9.txt'), 'wb').write(b'latin-1\\n')`, src);
    Deno.writeTextFileSync(`${src}/naïve.txt`, "utf-8\n");
    await fixture.backup("p");
    const zip = `${fixture.root}/out.zip`;
    await fixture.keptOk(["restore", "latest", "--zip", zip]);
    const listing = readZip(zip);
    const latin = listing.find((entry) => entry.name.endsWith(hex("caf") + "e9" + hex(".txt")))!;
    assert.ok(latin, `no entry with the byte name: ${listing.map((entry) => entry.name).join(", ")}`);
    assert.equal(latin.utf8, false);
    assert.equal(latin.sha256, sha256(new TextEncoder().encode("latin-1\n")));
    const utf8 = listing.find((entry) => entry.name.endsWith(hex("naïve.txt")))!;
    assert.equal(utf8.utf8, true);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("--zip - writes the same archive to stdout; --path and --include choose entries as a restore does", async () => {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  try {
    const src = `${fixture.root}/src`;
    writeSource(src);
    await fixture.backup("p");
    const file = `${fixture.root}/file.zip`;
    await fixture.keptOk(["restore", "latest", "--zip", file, "--path", `${src}/bin`]);
    const piped = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", "main.ts", "--config", fixture.config, "restore", "latest", "--zip", "-"]
        .concat(["--path", `${src}/bin`]),
      env: { KEPT_KDF_N: "1024", NO_COLOR: "1" },
      stdin: "null",
    }).output();
    assert.equal(piped.code, 0, new TextDecoder().decode(piped.stderr));
    assert.deepEqual(piped.stdout, Deno.readFileSync(file));
    assert.match(new TextDecoder().decode(piped.stderr), /^zipped snapshot [0-9a-f]{12} to stdout: 2 files/m);
    const names = readZip(file).map((entry) => new TextDecoder().decode(hexBytes(entry.name)));
    const prefix = src.slice(1);
    assert.deepEqual(names.filter((name) => name.startsWith(prefix)), [
      `${prefix}/`,
      `${prefix}/bin/`,
      `${prefix}/bin/link`,
      `${prefix}/bin/tool`,
    ]);
    const included = `${fixture.root}/included.zip`;
    await fixture.keptOk(["restore", "latest", "--zip", included, "--include", "*.log"]);
    assert.deepEqual(
      readZip(included).map((entry) => new TextDecoder().decode(hexBytes(entry.name))).filter((name) =>
        !name.endsWith("/")
      ),
      [`${prefix}/data/text.log`],
    );
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("an existing file is replaced by --zip only with --overwrite", async () => {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  try {
    Deno.mkdirSync(`${fixture.root}/src`);
    Deno.writeTextFileSync(`${fixture.root}/src/a`, "a\n");
    await fixture.backup("p");
    const zip = `${fixture.root}/out.zip`;
    Deno.writeTextFileSync(zip, "precious\n");
    const refused = await fixture.kept(["restore", "latest", "--zip", zip]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /Not replacing .*out\.zip: it exists/);
    assert.match(refused.stderr, /--overwrite/);
    assert.equal(Deno.readTextFileSync(zip), "precious\n");
    await fixture.keptOk(["restore", "latest", "--zip", zip, "--overwrite", "--zip-level", "0"]);
    assert.equal(readZip(zip).filter((entry) => !entry.name.endsWith(hex("/"))).length, 1);
    // A symbolic link is not written through (nor replaced), dangling or not.
    for (const target of [zip, `${fixture.root}/nowhere/x.zip`]) {
      const link = `${fixture.root}/link.zip`;
      try {
        Deno.removeSync(link);
      } catch { /* not there yet */ }
      Deno.symlinkSync(target, link);
      const refused = await fixture.kept(["restore", "latest", "--zip", link, "--overwrite"]);
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(refused.stderr, /it is a symbolic link/);
      assert.ok(Deno.lstatSync(link).isSymlink);
    }
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("a damaged blob stops the export: the error names the file, and no zip is left", async () => {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  try {
    Deno.mkdirSync(`${fixture.root}/src`);
    Deno.writeTextFileSync(`${fixture.root}/src/victim.txt`, "soon damaged\n".repeat(100));
    await fixture.backup("p");
    // A byte of the file's one blob flipped in its pack.
    const repository = await fixture.open();
    await repository.loadIndex();
    const { snapshot } = await repository.findSnapshot("latest");
    let tree = await repository.loadTree(snapshot.tree);
    for (const name of `${fixture.root}/src`.split("/").slice(1)) {
      tree = await repository.loadTree(tree.nodes.find((node) => node.name === name)!.subtree!);
    }
    const victim = tree.nodes.find((node) => node.name === "victim.txt")!;
    const location = repository.index.lookup(victim.content![0]!)!;
    const pack = repository.packs.localPath(location.pack)!;
    const bytes = Deno.readFileSync(pack);
    bytes[location.offset + 20]! ^= 1;
    Deno.writeFileSync(pack, bytes);
    const zip = `${fixture.root}/out.zip`;
    const result = await fixture.kept(["restore", "latest", "--zip", zip]);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    assert.match(result.stderr, /victim\.txt: .*damaged/);
    assert.throws(() => Deno.lstatSync(zip), Deno.errors.NotFound);
    assert.deepEqual(
      Deno.readDirSync(fixture.root).filter((entry) => entry.name.includes("partial")).toArray(),
      [],
    );
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("flags that cannot go with --zip are usage errors, before any repository is opened", async () => {
  const fixture = await makeFixture(() => ({}), { init: false });
  try {
    const cases: [string[], RegExp][] = [
      [["--zip", "x.zip", "--target", "out"], /--target DIR or --zip FILE, not both/],
      [["--zip", "x.zip", "--dry-run"], /does not go with --zip/],
      [["--zip", ""], /Invalid --zip ""/],
      [["--zip", "-", "--json"], /--json prints to stdout/],
      [["--zip", "x.zip", "--zip-level", "10"], /Invalid --zip-level "10"/],
      [["--zip", "new/"], /Invalid --zip "new\/": give a file, not a folder/],
      [[], /Give --target DIR to restore into, or --zip FILE/],
    ];
    for (const [flags, message] of cases) {
      const result = await fixture.kept(["restore", "latest", ...flags]);
      assert.equal(result.code, 2, `${flags.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    }
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("an export interrupted by Ctrl-C removes its partial file; killed, it leaves no zip under the name", async () => {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  try {
    Deno.mkdirSync(`${fixture.root}/src`);
    for (let i = 0; i < 8; i++) {
      Deno.writeFileSync(`${fixture.root}/src/f${i}`, randomBytes(8 * 1024 * 1024, i + 1));
    }
    await fixture.backup("p");
    for (const signal of ["SIGINT", "SIGKILL"] as const) {
      const zip = `${fixture.root}/out-${signal}.zip`;
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--quiet", "main.ts", "--config", fixture.config, "restore", "latest"]
          .concat(["--zip", zip, "--zip-level", "9"]),
        env: { KEPT_KDF_N: "1024", NO_COLOR: "1" },
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const partial = () =>
        Deno.readDirSync(fixture.root).filter((entry) =>
          entry.name.includes(`out-${signal}.zip.kept-partial`)
        )
          .toArray();
      const deadline = Date.now() + 30_000;
      while (partial().length === 0 || Deno.statSync(`${fixture.root}/${partial()[0]!.name}`).size === 0) {
        assert.ok(Date.now() < deadline, "no partial file appeared");
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      child.kill(signal);
      const { code, stderr } = await child.output();
      assert.throws(() => Deno.lstatSync(zip), Deno.errors.NotFound);
      if (signal === "SIGINT") {
        assert.equal(code, 130, new TextDecoder().decode(stderr));
        assert.match(new TextDecoder().decode(stderr), /no zip archive is left at/);
        assert.deepEqual(partial(), []);
      }
    }
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("the zip writer switches to Zip64 for more than 65,535 entries and for a file declared over 4 GiB", async () => {
  using dir = tempDir("kept-zip64-");
  const path = `${dir.path}/many.zip`;
  const file = await Deno.open(path, { write: true, createNew: true });
  const writer = new ZipWriter(file.writable);
  const info = (name: string) => ({
    name: new TextEncoder().encode(name),
    unixMode: 0o040755,
    mtimeMs: 0,
    uid: 0,
    gid: 0,
  });
  for (let i = 0; i < 70_000; i++) await writer.addFolder(info(`d${i}/`));
  const content = new TextEncoder().encode("small, but declared huge\n");
  await writer.addFile(
    { ...info("big"), unixMode: 0o100644 },
    (async function* () {
      yield content;
    })(),
    0xfff0_0000,
    6,
  );
  await writer.close();
  const listing = python<{ count: number; big: string; zip64: boolean }>(
    `
import zipfile, hashlib
with zipfile.ZipFile(args) as z:
    infos = z.infolist()
    big = z.read('big')
    raw = open(args, 'rb').read()
    print(json.dumps({"count": len(infos), "big": hashlib.sha256(big).hexdigest(), "zip64": b'PK\\x06\\x06' in raw[-200:]}))
`,
    path,
  );
  assert.deepEqual(listing, { count: 70_001, big: sha256(content), zip64: true });
});

Deno.test("exportZip names a tree it cannot read and aborts the stream", async () => {
  using dir = tempDir("kept-zip-tree-");
  const repository = await testRepository(await LocalBackend.create(`${dir.path}/repo`));
  const craft = new SnapshotCrafter(repository);
  const id = await craft.snapshot([craft.dir("gone", [craft.file("f", "f\n")]), craft.file("a", "a\n")]);
  const { snapshot } = await repository.findSnapshot(id);
  await repository.loadIndex();
  const tree = await repository.loadTree(snapshot.tree);
  const gone = tree.nodes.find((node) => node.name === "gone")!;
  const source = {
    loadTree: (treeId: string) =>
      treeId === gone.subtree ? Promise.reject(new Error("never")) : repository.loadTree(treeId as never),
    loadBlob: (blobId: string) => repository.loadBlob(blobId as never),
  };
  let aborted: unknown;
  const out = new WritableStream<Uint8Array>({ abort: (reason) => void (aborted = reason) });
  const error = await exportZip(source, out, { tree: snapshot.tree }).then(() => undefined, (e) => e);
  assert.ok(error instanceof Error);
  assert.equal(aborted, error);
});

Deno.test("--zip - into a pipe closed early ends with one line and exit code 1, not as a bug", async () => {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  try {
    Deno.mkdirSync(`${fixture.root}/src`);
    Deno.writeFileSync(`${fixture.root}/src/big`, randomBytes(8 * 1024 * 1024, 3));
    await fixture.backup("p");
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        "main.ts",
        "--config",
        fixture.config,
        "restore",
        "latest",
        "--zip",
        "-",
      ],
      env: { KEPT_KDF_N: "1024", NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reader = child.stdout.getReader();
    await reader.read(); // the first bytes, then the reader goes away: as `| head -c 100` does
    await reader.cancel();
    const [{ code }, text] = await Promise.all([child.status, new Response(child.stderr).text()]);
    assert.equal(code, 1, text);
    assert.equal(text, "kept: stdout was closed before the zip archive was complete\n");
  } finally {
    await fixture.cleanup();
  }
});
