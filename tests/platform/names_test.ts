// Names that are not valid UTF-8 are listed, opened and created byte for byte; Python's os.listdir on
// bytes paths is the witness. The fallback's side of this is in fallback_test.ts.

import assert from "node:assert/strict";
import {
  describePath,
  fallbackPlatform,
  hasEscapedBytes,
  joinPath,
  nameText,
  pathBytes,
  pathText,
  platform,
} from "../../lib/platform/mod.ts";
import { RandomBytes } from "../_support/random_bytes.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { hex, python, pythonListdir, pythonLstat } from "./_python.ts";

const fs = platform();
const bytes = (...values: number[]) => new Uint8Array(values);
const text = (value: string) => new TextEncoder().encode(value);

/** A folder made by Python with bytes names: Latin-1, stray bytes, a real U+FFFD, backslash, newline. */
function makeAwkwardTree(root: string): void {
  python(
    `root = bytes.fromhex(args)
open(root + b"/caf\\xe9.txt", "wb").write(b"latin-1 content")
os.mkdir(root + b"/\\xff\\xfe-folder")
open(root + b"/\\xff\\xfe-folder/inner\\x80", "wb").write(b"inner")
os.symlink(b"\\xe9t\\xe9", root + b"/link-\\x80")
open(root + b"/\\xef\\xbf\\xbd-real-replacement-char", "wb").close()
open(root + b"/back\\\\slash", "wb").close()
open(root + b"/new\\nline", "wb").close()
open(root + b"/plain.txt", "wb").close()`,
    hex(root),
  );
}

Deno.test("readDir() lists names that are not valid UTF-8 byte for byte, as Python does", () => {
  assert.equal(fs.kind, "ffi", fs.warning);
  using dir = tempDir("kept-platform-names-");
  makeAwkwardTree(dir.path);
  const entries = fs.readDir(dir.path);
  assert.deepEqual(entries.map((entry) => hex(entry.name)).sort(), pythonListdir(dir.path));
  const types = Object.fromEntries(entries.map((entry) => [describePath(entry.name), entry.type]));
  assert.deepEqual(types, {
    "caf\\xe9.txt": "file",
    "\\xff\\xfe-folder": "dir",
    "link-\\x80": "symlink",
    "\uFFFD-real-replacement-char": "file",
    "back\\\\slash": "file",
    "new\\nline": "file",
    "plain.txt": "file",
  });
  assert.ok(entries.every((entry) => !entry.lossyName));
  const inner = fs.readDir(joinPath(dir.path, bytes(0xff, 0xfe, ...text("-folder"))));
  assert.deepEqual(inner.map((entry) => hex(entry.name)), [hex(bytes(...text("inner"), 0x80))]);
});

Deno.test("a byte path that is not valid UTF-8 can be stat'ed, opened, read and given times", () => {
  using dir = tempDir("kept-platform-names-");
  makeAwkwardTree(dir.path);
  const file = joinPath(dir.path, bytes(...text("caf"), 0xe9, ...text(".txt")));
  assert.equal(fs.lstat(file).size, 15);
  using opened = fs.openFile(file, { noFollow: true });
  const buffer = new Uint8Array(64);
  assert.equal(new TextDecoder().decode(buffer.subarray(0, opened.read(buffer, 0))), "latin-1 content");
  fs.setTimes(file, { mtimeNs: -123_456_789n });
  assert.equal(pythonLstat(file).mtimeNs, -123_456_789n);
  const link = joinPath(dir.path, bytes(...text("link-"), 0x80));
  assert.equal(fs.lstat(link).type, "symlink");
  assert.equal(fs.lstat(link).size, 3, "the link's target is the 3 bytes e9 74 e9");
});

Deno.test("the layer creates entries with names that are not valid UTF-8", () => {
  using dir = tempDir("kept-platform-names-");
  const name = bytes(0x66, 0x69, 0x66, 0x6f, 0xff, 0xc3); // "fifo", a stray byte, a cut-off sequence
  fs.mkfifo(joinPath(dir.path, name), 0o600);
  assert.deepEqual(pythonListdir(dir.path), [hex(name)]);
  assert.equal(pythonLstat(joinPath(dir.path, name)).mode, 0o010600);
});

Deno.test("describePath() escapes what is not valid UTF-8 and what would break a line", () => {
  assert.equal(describePath(bytes(0x2f, 0x61, 0xe9, 0x62)), "/a\\xe9b");
  assert.equal(describePath("tab\there\\"), "tab\\there\\\\");
  assert.equal(describePath(text("ünïcödé ✓ 😀")), "ünïcödé ✓ 😀");
  // Overlong encodings, UTF-16 surrogates and cut-off sequences are not UTF-8 either.
  assert.equal(
    describePath(bytes(0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xe2, 0x82)),
    "\\xc0\\xaf\\xed\\xa0\\x80\\xe2\\x82",
  );
  assert.equal(describePath(bytes(0xf4, 0x90, 0x80, 0x80)), "\\xf4\\x90\\x80\\x80");
});

Deno.test("nameText() and pathBytes() give any bytes back exactly, escaping only what is not UTF-8", () => {
  assert.equal(nameText(text("plain ünïcödé 😀")), "plain ünïcödé 😀");
  assert.equal(nameText(bytes(0x63, 0x61, 0x66, 0xe9)), "caf\udce9");
  // A real U+FFFD is itself; a cut-off sequence is each of its bytes.
  assert.equal(nameText(bytes(0xef, 0xbf, 0xbd, 0xe2, 0x82)), "\uFFFD\udce2\udc82");
  assert.equal(hasEscapedBytes("caf\udce9"), true);
  assert.equal(hasEscapedBytes("café"), false);
  assert.deepEqual(pathBytes("caf\udce9"), bytes(0x63, 0x61, 0x66, 0xe9));
  assert.throws(() => pathBytes("\ud800"), TypeError, "a lone surrogate that stands for no byte");
  const random = new RandomBytes(14);
  for (let round = 0; round < 2000; round++) {
    const length = 1 + (round % 40);
    const name = random.fill(new Uint8Array(length + 4)).subarray(0, length);
    const escaped = nameText(name);
    assert.deepEqual(pathBytes(escaped), name, hex(name));
    // The same string through JSON (as a tree stores it) still stands for the same bytes.
    assert.deepEqual(pathBytes(JSON.parse(JSON.stringify(escaped))), name);
    assert.equal(hasEscapedBytes(escaped), pathText(name) === undefined);
  }
});

Deno.test("a path carrying escaped bytes reaches the same file as its bytes", () => {
  using dir = tempDir("kept-platform-names-");
  const name = bytes(0x78, 0x80, 0xff, 0x79);
  using folder = fs.openDir(dir.path);
  using created = folder.createFile(name, 0o644);
  created.write(text("via bytes"), 0);
  const path = `${dir.path}/${nameText(name)}`;
  assert.equal(fs.lstat(path).size, 9);
  using opened = fs.openFile(path, { noFollow: true });
  const buffer = new Uint8Array(16);
  assert.equal(new TextDecoder().decode(buffer.subarray(0, opened.read(buffer, 0))), "via bytes");
  assert.deepEqual(fs.readDir(dir.path).map((entry) => nameText(entry.name)), [nameText(name)]);
});

Deno.test("a name that starts with a byte-order mark keeps it, through text and back", () => {
  const bytes = new Uint8Array([0xef, 0xbb, 0xbf, 0x78]);
  assert.equal(nameText(bytes), "\ufeffx");
  assert.equal(pathText(bytes), "\ufeffx");
  assert.deepEqual(pathBytes(nameText(bytes)), bytes);
});

Deno.test("the fallback refuses a path carrying escaped bytes instead of writing U+FFFD in their place", () => {
  using dir = tempDir("kept-names-");
  const escaped = `${dir.path}/${nameText(new Uint8Array([0x61, 0xe9]))}`;
  assert.equal(pathText(escaped), undefined);
  assert.throws(() => fallbackPlatform().mkfifo(escaped, 0o600), Deno.errors.NotSupported);
  assert.deepEqual([...Deno.readDirSync(dir.path)], []);
});
