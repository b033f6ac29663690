// scanDir(): a folder's entries with each one's lstat, read relative to the folder that was listed (FFI)
// or by path (fallback): the same answers as lstat, names that are not UTF-8 exact, and a symlink in the
// folder's place refused, never followed.

import assert from "node:assert/strict";
import { compactStat, fallbackPlatform, nameText, platform } from "../../lib/platform/mod.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { hex, python } from "./_python.ts";

const ffi = platform();
const fallback = fallbackPlatform();

for (const fs of [ffi, fallback]) {
  Deno.test(`${fs.kind}: scanDir() gives every entry the lstat it has, a symlink's own`, () => {
    assert.equal(ffi.kind, "ffi", ffi.warning);
    using dir = tempDir("kept-platform-scan-");
    Deno.writeTextFileSync(`${dir.path}/file.txt`, "twelve bytes");
    Deno.mkdirSync(`${dir.path}/folder`);
    Deno.symlinkSync("folder", `${dir.path}/link`);
    fs.mkfifo(`${dir.path}/fifo`, 0o600);
    fs.setTimes(`${dir.path}/file.txt`, { mtimeNs: 1_700_000_000_123_456_789n });
    fs.setTimes(`${dir.path}/folder`, { mtimeNs: -1_000_000_001n }); // before 1970: floored

    const listing = fs.scanDir(dir.path);
    // All but the access time, which listing the folder moved.
    assert.deepEqual(compactStat(listing.stat), compactStat(fs.lstat(dir.path)), "the folder itself");
    const entries = listing.entries.toSorted((a, b) => a.name < b.name ? -1 : 1);
    assert.deepEqual(entries.map((entry) => entry.name), ["fifo", "file.txt", "folder", "link"]);
    for (const entry of entries) {
      assert.equal(entry.error, undefined);
      assert.equal(entry.lossyName, false);
      // Every field, the times' nanoseconds included (those of the fallback are whole milliseconds).
      assert.deepEqual(entry.stat, compactStat(fs.lstat(`${dir.path}/${entry.name}`)), entry.name);
    }
    assert.deepEqual(entries.map((entry) => entry.stat?.type), ["fifo", "file", "dir", "symlink"]);
    assert.equal(entries[1]!.stat?.size, 12);
  });

  Deno.test(`${fs.kind}: scanDir() refuses a symlink in the folder's place, never following it`, () => {
    using dir = tempDir("kept-platform-scan-");
    Deno.mkdirSync(`${dir.path}/outside`);
    Deno.writeTextFileSync(`${dir.path}/outside/secret`, "");
    Deno.symlinkSync("outside", `${dir.path}/folder`);
    assert.throws(() => fs.scanDir(`${dir.path}/folder`), Deno.errors.FilesystemLoop);
    assert.throws(() => fs.scanDir(`${dir.path}/missing`), Deno.errors.NotFound);
  });
}

Deno.test("ffi: scanDir() names an entry that is not UTF-8 exactly, escaped, and states it", () => {
  using dir = tempDir("kept-platform-scan-");
  python(`open(bytes.fromhex(args) + b"/caf\\xe9", "wb").write(b"abc")`, hex(dir.path));
  Deno.writeTextFileSync(`${dir.path}/caf\u00e9`, "the UTF-8 one");
  Deno.writeTextFileSync(`${dir.path}/${"n".repeat(255)}`, "");
  const entries = ffi.scanDir(dir.path).entries.toSorted((a, b) => a.name < b.name ? -1 : 1);
  const escaped = nameText(Uint8Array.of(0x63, 0x61, 0x66, 0xe9));
  assert.equal(escaped, "caf\udce9");
  assert.deepEqual(entries.map((entry) => entry.name), ["caf\u00e9", escaped, "n".repeat(255)]);
  assert.deepEqual(entries.map((entry) => entry.stat?.size), [13, 3, 0]);
});

Deno.test("ffi: scanDir() gives an entry it cannot lstat the error, and lists the rest", {
  ignore: Deno.uid() === 0, // root searches any folder
}, () => {
  using dir = tempDir("kept-platform-scan-");
  Deno.mkdirSync(`${dir.path}/listable`);
  Deno.writeTextFileSync(`${dir.path}/listable/file`, "");
  Deno.chmodSync(`${dir.path}/listable`, 0o600); // readable, not searchable: listed, not stated
  try {
    const [entry, ...rest] = ffi.scanDir(`${dir.path}/listable`).entries;
    assert.deepEqual(rest, []);
    assert.equal(entry?.name, "file");
    assert.equal(entry?.stat, undefined);
    assert.ok(entry?.error instanceof Deno.errors.PermissionDenied);
    assert.match(entry.error.message, /listable\/file/);
  } finally {
    Deno.chmodSync(`${dir.path}/listable`, 0o700);
  }
});

Deno.test("ffi: scanDir()'s plain numbers are compactStat() of lstat's bigints, before 1970 included", () => {
  using dir = tempDir("kept-platform-scan-");
  const times = [
    -1_000_000_001n,
    -1n,
    0n,
    999_999n,
    1_000_000n,
    1_700_000_000_123_456_789n,
    4_102_444_800_999_999_999n,
  ];
  times.forEach((mtimeNs, i) => {
    Deno.writeTextFileSync(`${dir.path}/${i}`, "x".repeat(i));
    ffi.setTimes(`${dir.path}/${i}`, { mtimeNs });
  });
  const entries = ffi.scanDir(dir.path).entries;
  assert.equal(entries.length, times.length);
  for (const entry of entries) {
    const expected = compactStat(ffi.lstat(`${dir.path}/${entry.name}`));
    assert.deepEqual(entry.stat, expected, entry.name);
    const mtimeNs = times[Number(entry.name)]!;
    assert.equal(BigInt(expected.mtime) * 1_000_000n + BigInt(expected.mtimeNs), mtimeNs);
    assert.ok(expected.mtimeNs >= 0 && expected.mtimeNs < 1_000_000);
  }
});

for (const fs of [ffi, fallback]) {
  Deno.test(`${fs.kind}: a listing packed on one thread unpacks on another to what scanDir() gives`, () => {
    using dir = tempDir("kept-platform-pack-");
    // Names long enough that the packed listing outgrows its first buffer (64 KiB).
    for (let i = 0; i < 400; i++) Deno.writeTextFileSync(`${dir.path}/${String(i).padStart(200, "x")}`, "a");
    Deno.mkdirSync(`${dir.path}/folder`);
    Deno.symlinkSync("folder", `${dir.path}/link`);
    const packed = fs.packDir(dir.path);
    const moved = structuredClone(packed, { transfer: [packed.buffer] });
    assert.equal(packed.byteLength, 0, "handed over, not copied");
    const sorted = (listing: ReturnType<typeof fs.scanDir>) => ({
      stat: compactStat(listing.stat),
      entries: listing.entries.toSorted((a, b) => a.name < b.name ? -1 : 1),
    });
    assert.deepEqual(sorted(fs.unpackDir(moved, dir.path)), sorted(fs.scanDir(dir.path)));
    assert.equal(fs.unpackDir(moved, dir.path).entries.length, 402);
  });

  Deno.test(`${fs.kind}: a folder packDir() cannot read is read by unpackDir(), which throws scanDir()'s error`, () => {
    using dir = tempDir("kept-platform-pack-");
    const missing = `${dir.path}/missing`;
    const packed = fs.packDir(missing);
    assert.throws(() => fs.unpackDir(packed, missing), (error: Error) => {
      assert.ok(error instanceof Deno.errors.NotFound);
      assert.throws(() => fs.scanDir(missing), { message: error.message });
      return true;
    });
    // Created since: read now, as the walk would.
    Deno.mkdirSync(missing);
    Deno.writeTextFileSync(`${missing}/late`, "");
    assert.deepEqual(fs.unpackDir(packed, missing).entries.map((entry) => entry.name), ["late"]);
  });
}
