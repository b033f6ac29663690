/**
 * Paths as bytes: converting, joining, and writing them into messages when they are not valid UTF-8.
 *
 * @module
 */

import type { PathLike } from "./_types.ts";

const encoder = new TextEncoder();
// ignoreBOM: a name may start with U+FEFF (bytes EF BB BF), and it is part of the name.
const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * The bytes of a path: a string's UTF-8 encoding, or the bytes themselves (not copied). A string may
 * carry bytes that are not UTF-8 as lone surrogates U+DC80-U+DCFF (see {@link nameText}); each becomes its
 * byte again. Throws a `TypeError` for any other lone surrogate: no bytes stand for it.
 */
export function pathBytes(path: PathLike): Uint8Array {
  if (typeof path !== "string") return path;
  return path.isWellFormed() ? encoder.encode(path) : escapedBytes(path);
}

/**
 * A name or path read from the file system as a string that stands for its bytes exactly: valid UTF-8 as
 * itself, and each byte that is not part of valid UTF-8 as the lone surrogate U+DC00 + byte (U+DC80-U+DCFF,
 * as Python's "surrogateescape" does). No valid UTF-8 name holds a lone surrogate, so two different byte
 * names never give the same string; {@link pathBytes} gives the bytes back, and JSON keeps such a string
 * (as `\udcNN` escapes), so a tree stores it as any other name (docs/format.md#names).
 */
export function nameText(bytes: Uint8Array): string {
  const text = pathText(bytes);
  if (text !== undefined) return text;
  let out = "";
  let i = 0;
  while (i < bytes.length) {
    const length = utf8SequenceLength(bytes, i);
    if (length === 0) {
      out += String.fromCharCode(0xdc00 + bytes[i]!);
      i += 1;
    } else {
      out += strictDecoder.decode(bytes.subarray(i, i + length));
      i += length;
    }
  }
  return out;
}

/** True when `name` stands for bytes that are not valid UTF-8 (it holds an escaped byte). */
export function hasEscapedBytes(name: string): boolean {
  return !name.isWellFormed();
}

function escapedBytes(path: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < path.length;) {
    const code = path.codePointAt(i)!;
    if (code >= 0xdc80 && code <= 0xdcff) {
      out.push(code - 0xdc00);
      i += 1;
      continue;
    }
    if (code >= 0xd800 && code <= 0xdfff) {
      throw new TypeError(`the path ${JSON.stringify(path)} holds a lone surrogate that stands for no byte`);
    }
    const char = String.fromCodePoint(code);
    for (const byte of encoder.encode(char)) out.push(byte);
    i += char.length;
  }
  return Uint8Array.from(out);
}

/** `parent/name` as bytes (no second slash when `parent` ends with one). */
export function joinPath(parent: PathLike, name: PathLike): Uint8Array {
  const head = pathBytes(parent);
  const tail = pathBytes(name);
  const slash = head.length > 0 && head[head.length - 1] !== 0x2f ? 1 : 0;
  const joined = new Uint8Array(head.length + slash + tail.length);
  joined.set(head, 0);
  if (slash) joined[head.length] = 0x2f;
  joined.set(tail, head.length + slash);
  return joined;
}

/**
 * The path as a string when it is valid UTF-8, undefined otherwise: for bytes that are not, and for a
 * string that carries such bytes as escapes (see {@link nameText}), which Deno's own calls cannot reach.
 */
export function pathText(path: PathLike): string | undefined {
  if (typeof path === "string") return path.isWellFormed() ? path : undefined;
  try {
    return strictDecoder.decode(path);
  } catch {
    return undefined;
  }
}

/**
 * A path for a message or a line of text output: valid UTF-8 as itself, each byte that is not part of
 * valid UTF-8 as `\xNN`, and backslashes and control characters escaped the way `ls -b` writes them
 * (the same escapes kept's CLI uses for names), so that two different paths never look alike.
 */
export function describePath(path: PathLike): string {
  // deno-lint-ignore no-control-regex
  if (typeof path === "string" && path.isWellFormed()) return path.replace(/[\\\x00-\x1f\x7f]/g, escapeChar);
  let bytes: Uint8Array;
  try {
    bytes = pathBytes(path);
  } catch {
    // A lone surrogate that stands for no byte: not a name kept reads, but say what it is.
    return JSON.stringify(path).slice(1, -1);
  }
  let out = "";
  let i = 0;
  while (i < bytes.length) {
    const length = utf8SequenceLength(bytes, i);
    if (length === 0) {
      out += `\\x${bytes[i]!.toString(16).padStart(2, "0")}`;
      i += 1;
      continue;
    }
    const char = strictDecoder.decode(bytes.subarray(i, i + length));
    out += escapeChar(char);
    i += length;
  }
  return out;
}

function escapeChar(char: string): string {
  switch (char) {
    case "\\":
      return "\\\\";
    case "\n":
      return "\\n";
    case "\t":
      return "\\t";
    case "\r":
      return "\\r";
  }
  const code = char.charCodeAt(0);
  return code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, "0")}` : char;
}

/** Length of the valid UTF-8 sequence starting at `i` (1 to 4), or 0 when the byte there starts none. */
function utf8SequenceLength(bytes: Uint8Array, i: number): number {
  const lead = bytes[i]!;
  if (lead < 0x80) return 1;
  let length: number;
  let low = 0x80;
  let high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) length = 2;
  else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead === 0xe0) low = 0xa0; // overlong
    if (lead === 0xed) high = 0x9f; // surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead === 0xf0) low = 0x90; // overlong
    if (lead === 0xf4) high = 0x8f; // above U+10FFFF
  } else return 0;
  if (i + length > bytes.length) return 0;
  const second = bytes[i + 1]!;
  if (second < low || second > high) return 0;
  for (let k = 2; k < length; k++) {
    const next = bytes[i + k]!;
    if (next < 0x80 || next > 0xbf) return 0;
  }
  return length;
}
