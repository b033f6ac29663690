// Python's view of the same files, the independent witness the platform layer is compared with:
// os.stat(..., follow_symlinks=False) (os.lstat takes no such argument: it never follows), os.listdir and os.listxattr/os.getxattr on bytes paths.
// Paths and values cross the process boundary as hex, 64-bit numbers as decimal strings (JSON would
// round them).

import assert from "node:assert/strict";

/** Hex of bytes or of a string's UTF-8. */
export function hex(value: Uint8Array | string): string {
  const bytes = typeof value === "string" ? new TextEncoder().encode(value) : value;
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Bytes from hex. */
export function unhex(text: string): Uint8Array {
  return Uint8Array.from(text.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

/** Runs `script` with `args` (JSON, as the variable `args`) and returns what it prints as JSON. */
export function python<T>(script: string, args: unknown = null): T {
  const output = new Deno.Command("python3", {
    args: [
      "-c",
      `import json, os, stat, sys\nargs = json.loads(sys.argv[1])\n${script}`,
      JSON.stringify(args),
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  assert.ok(output.success, `python3 failed: ${new TextDecoder().decode(output.stderr)}`);
  const text = new TextDecoder().decode(output.stdout).trim();
  return (text === "" ? undefined : JSON.parse(text)) as T;
}

/** What Python's os.stat(..., follow_symlinks=False) says, with the 64-bit numbers as bigint. */
export interface PythonStat {
  mode: number;
  ino: bigint;
  dev: number;
  nlink: number;
  uid: number;
  gid: number;
  size: number;
  rdev: number;
  blocks: number;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  major: number;
  minor: number;
}

/** `os.stat(path, follow_symlinks=False)` in Python, the same as `os.lstat(path)`. */
export function pythonLstat(path: Uint8Array | string): PythonStat {
  return pythonLstats([path])[0]!;
}

/** `pythonLstat()` of many paths in one Python process. */
export function pythonLstats(paths: ReadonlyArray<Uint8Array | string>): PythonStat[] {
  const raws = python<Record<string, string>[]>(
    `def lstat(path):
  s = os.stat(bytes.fromhex(path), follow_symlinks=False)
  fields = ["mode", "ino", "dev", "nlink", "uid", "gid", "size", "rdev", "blocks", "atime_ns", "mtime_ns", "ctime_ns"]
  return {k: str(getattr(s, "st_" + k)) for k in fields} | {"major": str(os.major(s.st_rdev)), "minor": str(os.minor(s.st_rdev))}
print(json.dumps([lstat(path) for path in args]))`,
    paths.map((path) => hex(path)),
  );
  return raws.map((raw) => {
    const number = (key: string) => Number(raw[key]);
    return {
      mode: number("mode"),
      ino: BigInt(raw.ino!),
      dev: number("dev"),
      nlink: number("nlink"),
      uid: number("uid"),
      gid: number("gid"),
      size: number("size"),
      rdev: number("rdev"),
      blocks: number("blocks"),
      atimeNs: BigInt(raw.atime_ns!),
      mtimeNs: BigInt(raw.mtime_ns!),
      ctimeNs: BigInt(raw.ctime_ns!),
      major: number("major"),
      minor: number("minor"),
    };
  });
}

/** `os.listdir(path)` in Python, as hex names, sorted. */
export function pythonListdir(path: Uint8Array | string): string[] {
  return python<string[]>(
    `print(json.dumps(sorted(n.hex() for n in os.listdir(bytes.fromhex(args)))))`,
    hex(path),
  );
}

/** The extended attributes Python sees on `path` itself: hex name → hex value. */
export function pythonXattrs(path: Uint8Array | string): Record<string, string> {
  return python<Record<string, string>>(
    `p = bytes.fromhex(args)
print(json.dumps({os.fsencode(n).hex(): os.getxattr(p, n, follow_symlinks=False).hex()
  for n in os.listxattr(p, follow_symlinks=False)}))`,
    hex(path),
  );
}
