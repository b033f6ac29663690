// Values from files no key authenticates are bounded (docs/format.md#bounds): chunker sizes in `config`,
// scrypt costs in key files, and the size of any config, key, snapshot or index file (issue 16, item 6).

import assert from "node:assert/strict";
import { LocalBackend } from "../../lib/backends/local.ts";
import type { ByteRange, Handle } from "../../lib/backends/mod.ts";
import { assertOneLineError, inProcessFixture } from "./_in_process.ts";
import { filesOf, writeNamedFile } from "./_damage.ts";

function editConfig(repo: string, change: (config: Record<string, unknown>) => void): void {
  const config = JSON.parse(Deno.readTextFileSync(`${repo}/config`));
  change(config);
  Deno.writeTextFileSync(`${repo}/config`, JSON.stringify(config));
}

Deno.test("chunker sizes outside the bounds are refused in one line before a backup starts", async (t) => {
  using f = await inProcessFixture();
  Deno.writeTextFileSync(`${f.data}/a.txt`, "some data");
  const original = Deno.readTextFileSync(`${f.repo}/config`);
  const cases: [string, Record<string, number>, RegExp][] = [
    [
      "tiny chunks",
      { minSize: 64, avgSize: 64, maxSize: 128 },
      /"chunker\.minSize" must be an integer from 65536/,
    ],
    [
      "an average that is no power of two",
      { minSize: 262144, avgSize: 1000000, maxSize: 8388608 },
      /"chunker\.avgSize" must be a power of two/,
    ],
    [
      "huge chunks",
      { minSize: 262144, avgSize: 1048576, maxSize: 2 ** 30 },
      /"chunker\.maxSize" must be an integer from 1048576 to 67108864/,
    ],
    [
      "sizes out of order",
      { minSize: 4194304, avgSize: 1048576, maxSize: 8388608 },
      /minSize <= avgSize <= maxSize/,
    ],
  ];
  for (const [name, chunker, message] of cases) {
    await t.step(name, async () => {
      editConfig(f.repo, (config) => config.chunker = chunker);
      assertOneLineError(await f.kept(["backup", "p"]), message);
      assert.deepEqual(filesOf(f.repo, "snapshots"), []);
      Deno.writeTextFileSync(`${f.repo}/config`, original);
    });
  }
  await f.keptOk(["backup", "p"]);
});

Deno.test("a key file asking for a huge scrypt cost is left out with a warning, and costs nothing", async () => {
  using f = await inProcessFixture();
  const [real] = filesOf(f.repo, "keys");
  const file = JSON.parse(Deno.readTextFileSync(`${f.repo}/keys/${real}`));
  // Older than the real key, so that it would be tried first.
  const costly = {
    ...file,
    created: "2000-01-01T00:00:00.000Z",
    kdf: { ...file.kdf, N: 2 ** 30, r: 8, p: 1 },
  };
  const name = writeNamedFile(f.repo, "keys", new TextEncoder().encode(JSON.stringify(costly)));
  const started = Date.now();
  const result = await f.keptOk(["snapshots"]);
  assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
  assert.match(
    result.stderr,
    new RegExp(
      `^warning: ${f.repo}: Key file "${name}" .*"kdf\\.N" must be a power of two from 1024 to 262144, found 1073741824: left out$`,
      "m",
    ),
  );
  const heavy = { ...file, kdf: { ...file.kdf, N: 2 ** 16, r: 32, p: 16 } };
  const heavyName = writeNamedFile(f.repo, "keys", new TextEncoder().encode(JSON.stringify(heavy)));
  const second = await f.keptOk(["snapshots"]);
  assert.match(
    second.stderr,
    new RegExp(
      `^warning: ${f.repo}: Key file "${heavyName}" .*scrypt cost N·r·p must be at most 2097152`,
      "m",
    ),
  );
});

Deno.test("oversized config, key, snapshot and index files are refused by their size, never read", async () => {
  using f = await inProcessFixture();
  Deno.writeTextFileSync(`${f.data}/a.txt`, "some data");
  await f.keptOk(["backup", "p"]);
  const hex = (c: string) => c.repeat(64);
  const huge: [string, number][] = [
    [`keys/${hex("a")}`, 65 * 1024],
    [`snapshots/${hex("b")}`, 17 * 1024 * 1024],
    [`index/${hex("c")}`, 513 * 1024 * 1024],
  ];
  for (const [path, size] of huge) {
    using file = Deno.openSync(`${f.repo}/${path}`, { write: true, create: true });
    file.truncateSync(size); // sparse: no disk space
  }
  const get = LocalBackend.prototype.get;
  let largest = 0;
  LocalBackend.prototype.get = async function (this: LocalBackend, handle: Handle, range?: ByteRange) {
    const bytes = await get.call(this, handle, range);
    largest = Math.max(largest, bytes.length);
    return bytes;
  };
  try {
    const check = await f.kept(["check"]);
    assert.equal(check.code, 1, check.stdout + check.stderr);
    for (const [path, size] of huge) {
      const name = path.slice(path.indexOf("/") + 1);
      assert.match(
        `${check.stderr}${check.stdout}`,
        new RegExp(`"${name}" is damaged: ${size} bytes, above the limit of`),
      );
    }
    const target = `${f.root}/restored`;
    await f.keptOk(["restore", "latest", "--target", target]);
    assert.ok(largest < 1024 * 1024, `read a file of ${largest} bytes`);

    Deno.truncateSync(`${f.repo}/config`, 1024 * 1024);
    assertOneLineError(
      await f.kept(["snapshots"]),
      /The config file of .* is damaged: 1048576 bytes, above the limit of 65536$/,
    );
    assert.ok(largest < 1024 * 1024, `read a file of ${largest} bytes`);
  } finally {
    LocalBackend.prototype.get = get;
  }
});
