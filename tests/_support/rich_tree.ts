// Writes a source tree with everything a backup must carry over unchanged: odd names, symlinks, hard
// links, empty files and folders, a sparse file, chunk-boundary sizes, every permission mode, owners,
// and times before 1970 and after 2100.

import * as fs from "node:fs";
import { writeRandomFile } from "./random_bytes.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

/** Paths (relative to the tree's root) that tests look at individually. */
export const RICH = {
  sparse: "sparse/one-gib.img",
  /** Offset of the only non-zero bytes of the sparse file. */
  sparseDataAt: 512 * MiB + 12345,
  sparseSize: 1024 * MiB,
  hardLinks: ["hard/first", "hard/second", "hard/sub/third"],
  longName: "long/" + "n".repeat(255),
};

/** Millisecond times used for files, folders and symlinks. */
export const TIMES = {
  before1970: -1_234_567_890_123, // 1930-11-18T00:28:29.877Z
  justBefore1970: -1, // 1969-12-31T23:59:59.999Z
  after2100: 4_102_444_800_123, // 2100-01-01T00:00:00.123Z
  year2200: 7_258_118_400_456, // 2200-01-01T00:00:00.456Z
};

/** Creates the tree below `root` (which must exist and be empty). */
export function writeRichTree(root: string): void {
  const at = (path: string) => `${root}/${path}`;
  const dir = (path: string) => Deno.mkdirSync(at(path), { recursive: true });
  const text = (path: string, content: string) => Deno.writeTextFileSync(at(path), content);

  // Names: unicode (NFC and NFD spellings of one word side by side), 255 bytes, newline, backslash.
  dir("names");
  for (
    const name of [
      "日本語のファイル.txt",
      "émoji 🎉 party.md",
      "caf\u00e9", // NFC
      "cafe\u0301", // NFD: a different name on Linux
      "new\nline",
      "carriage\rreturn",
      "back\\slash",
      "\\",
      "tab\tand space ",
      " leading space",
      "-leading-dash",
      ".hidden",
      "quote\"and'apostrophe",
      "glob*?[chars]",
      "colon:semicolon;",
      "percent%20encoded",
    ]
  ) {
    text(`names/${name}`, `content of ${JSON.stringify(name)}\n`);
  }
  dir("long");
  text(RICH.longName, "a 255-byte ASCII name\n");
  const wide = "é".repeat(127) + "x"; // 255 bytes of UTF-8
  text(`long/${wide}`, "a 255-byte UTF-8 name\n");
  const longDir = `long/${"d".repeat(255)}`;
  dir(longDir);
  text(`${longDir}/${"f".repeat(255)}`, "a 255-byte name in a 255-byte folder\n");

  // Symlinks: relative, absolute, dangling, to a folder, to itself, a long target.
  dir("links");
  Deno.symlinkSync("../names/日本語のファイル.txt", at("links/relative"));
  Deno.symlinkSync(at("names/.hidden"), at("links/absolute"));
  Deno.symlinkSync("does/not/exist", at("links/dangling"));
  Deno.symlinkSync("../names", at("links/to-folder"));
  Deno.symlinkSync("self", at("links/self"));
  Deno.symlinkSync("x/".repeat(1500) + "end", at("links/long-target"));
  Deno.symlinkSync("new\nline target", at("links/odd\ntarget"));

  // A hard-link group of three across two folders, and a second pair.
  dir("hard/sub");
  text(RICH.hardLinks[0]!, "one inode, three names\n");
  Deno.linkSync(at(RICH.hardLinks[0]!), at(RICH.hardLinks[1]!));
  Deno.linkSync(at(RICH.hardLinks[0]!), at(RICH.hardLinks[2]!));
  text("hard/pair-a", "two names\n");
  Deno.linkSync(at("hard/pair-a"), at("hard/sub/pair-b"));

  // Empty things.
  dir("empty/folder");
  dir("empty/nested/deeper/deepest");
  text("empty/file", "");

  // A 1 GiB sparse file with a few bytes in the middle.
  dir("sparse");
  const sparse = Deno.openSync(at(RICH.sparse), { write: true, create: true });
  sparse.truncateSync(RICH.sparseSize);
  sparse.seekSync(RICH.sparseDataAt, Deno.SeekMode.Start);
  sparse.writeSync(new TextEncoder().encode("the only data in a gibibyte of holes"));
  sparse.close();

  // Sizes around the chunker's limits (min 256 KiB, max 8 MiB), random so that nothing compresses.
  dir("sizes");
  const sizes: [string, number][] = [
    ["0", 0],
    ["1", 1],
    ["256KiB-1", 256 * KiB - 1],
    ["256KiB", 256 * KiB],
    ["256KiB+1", 256 * KiB + 1],
    ["8MiB-1", 8 * MiB - 1],
    ["8MiB", 8 * MiB],
    ["8MiB+1", 8 * MiB + 1],
  ];
  for (const [name, size] of sizes) writeRandomFile(at(`sizes/${name}`), size, size + 17);
  // Zeros cut at the same places every time (no content-defined boundaries): max-size chunks.
  Deno.writeFileSync(at("sizes/zeros-16MiB+3"), new Uint8Array(16 * MiB + 3));
  text("sizes/text", "All work and no play makes Jack a dull boy.\n".repeat(50_000));

  // Every permission mode 000-777, plus setuid, setgid and sticky.
  dir("modes");
  for (let mode = 0; mode < 0o1000; mode++) {
    const path = at(`modes/m${mode.toString(8).padStart(3, "0")}`);
    Deno.writeTextFileSync(path, `mode ${mode.toString(8)}\n`);
    Deno.chmodSync(path, mode);
  }
  text("modes/setuid", "#!/bin/sh\n");
  Deno.chmodSync(at("modes/setuid"), 0o4755);
  text("modes/setgid", "#!/bin/sh\n");
  Deno.chmodSync(at("modes/setgid"), 0o2750);
  dir("modes/sticky-folder");
  Deno.chmodSync(at("modes/sticky-folder"), 0o1777);
  dir("modes/closed-folder");
  text("modes/closed-folder/inside", "behind mode 000\n");
  Deno.chmodSync(at("modes/closed-folder"), 0o000);
  dir("modes/read-only-folder");
  text("modes/read-only-folder/inside", "behind mode 555\n");
  Deno.chmodSync(at("modes/read-only-folder"), 0o555);

  // Owners other than the one running the test (restored when running as root).
  dir("owners");
  text("owners/nobody", "owned by 65534\n");
  Deno.chownSync(at("owners/nobody"), 65534, 65534);
  text("owners/numeric", "owned by ids no user has\n");
  Deno.chownSync(at("owners/numeric"), 123456, 654321);
  Deno.symlinkSync("numeric", at("owners/link"));
  fs.lchownSync(at("owners/link"), 4242, 2424);

  // Times before 1970 and after 2100, on files, folders and symlinks.
  dir("times/old-folder");
  const times: [string, number][] = [
    ["times/1930", TIMES.before1970],
    ["times/1969", TIMES.justBefore1970],
    ["times/2100", TIMES.after2100],
    ["times/2200", TIMES.year2200],
  ];
  for (const [path, ms] of times) {
    text(path, `${new Date(ms).toISOString()}\n`);
    Deno.utimeSync(at(path), new Date(ms), new Date(ms));
  }
  Deno.symlinkSync("1930", at("times/link-1930"));
  Deno.symlinkSync("2100", at("times/link-2100"));
  setSymlinkTime(at("times/link-1930"), TIMES.before1970);
  setSymlinkTime(at("times/link-2100"), TIMES.after2100);

  // Folder times last, deepest first, so that creating children does not change them afterwards.
  let n = 0;
  const folderTimes = (path: string): void => {
    for (const entry of Deno.readDirSync(path)) {
      if (entry.isDirectory && !entry.isSymlink) folderTimes(`${path}/${entry.name}`);
    }
    const ms = path.endsWith("/old-folder") ? TIMES.before1970 : 1_500_000_000_000 + 1_001 * n++;
    Deno.utimeSync(path, new Date(ms), new Date(ms));
  };
  folderTimes(root);
}

/** Sets a symlink's own modification time (any time, also before 1970). */
export function setSymlinkTime(path: string, ms: number): void {
  // touch reads "@-1.5" as minus one and a half seconds.
  const abs = Math.abs(ms);
  const seconds = `${ms < 0 ? "-" : ""}${Math.floor(abs / 1000)}.${String(abs % 1000).padStart(3, "0")}`;
  const out = new Deno.Command("touch", { args: ["-h", "-d", `@${seconds}`, path] }).outputSync();
  if (!out.success) throw new Error(`touch -h failed: ${new TextDecoder().decode(out.stderr)}`);
}
