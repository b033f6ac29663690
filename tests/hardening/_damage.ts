// Small ways to damage a repository's files on disk, for tests of what kept does with them.

import { createHash } from "node:crypto";

/** Flips one bit of the byte at `offset` (from the end when negative). */
export function flipByte(path: string, offset: number): void {
  const bytes = Deno.readFileSync(path);
  const at = offset < 0 ? bytes.length + offset : offset;
  bytes[at]! ^= 0x01;
  Deno.writeFileSync(path, bytes);
}

/** The names of the files in `repo/kind`, sorted (hidden temporary files left out). */
export function filesOf(repo: string, kind: string): string[] {
  return [...Deno.readDirSync(`${repo}/${kind}`)].filter((e) => !e.name.startsWith(".")).map((e) => e.name)
    .sort();
}

/** The names `after` has and `before` has not. */
export function added(before: readonly string[], after: readonly string[]): string[] {
  const old = new Set(before);
  return after.filter((name) => !old.has(name));
}

/** Stores `bytes` in `repo/kind` under their SHA-256, as kept names files; returns the name. */
export function writeNamedFile(repo: string, kind: string, bytes: Uint8Array): string {
  const name = createHash("sha256").update(bytes).digest("hex");
  Deno.writeFileSync(`${repo}/${kind}/${name}`, bytes);
  return name;
}
