/**
 * NUL-terminated copies of paths and attribute names for C calls, written into a reused buffer so that
 * a stat per file allocates nothing for its path.
 *
 * @module
 */

import { makeError } from "./_errors.ts";
import { pathBytes } from "./_paths.ts";
import type { PathLike } from "./_types.ts";

const encoder = new TextEncoder();

/** A reusable buffer holding one C string at a time: each `of()` overwrites the last. */
export class CString {
  #buffer: Uint8Array;

  constructor(capacity: number) {
    this.#buffer = new Uint8Array(capacity);
  }

  /**
   * `value` as a C string, valid until the next call. Throws a `TypeError` naming `call` when the value
   * cannot be one: it contains a NUL byte, or it is a string with a lone surrogate that stands for no byte
   * (U+DC80-U+DCFF stand for the bytes 0x80-0xFF: see `nameText()`).
   */
  of(value: PathLike, call: string): Uint8Array {
    if (typeof value === "string") return this.#ofString(value, call);
    if (value.includes(0)) throw invalid(call, value, "it contains a NUL byte");
    if (value.length + 1 > this.#buffer.length) this.#buffer = new Uint8Array(value.length * 2 + 1);
    this.#buffer.set(value);
    this.#buffer[value.length] = 0;
    return this.#buffer;
  }

  #ofString(value: string, call: string): Uint8Array {
    if (value.includes("\0")) throw invalid(call, value, "it contains a NUL byte");
    if (!value.isWellFormed()) return this.of(escapedPathBytes(value, call), call);
    let result = encoder.encodeInto(value, this.#buffer);
    if (result.read < value.length || result.written + 1 > this.#buffer.length) {
      this.#buffer = new Uint8Array(value.length * 3 + 1);
      result = encoder.encodeInto(value, this.#buffer);
    }
    this.#buffer[result.written] = 0;
    return this.#buffer;
  }
}

/** A string carrying escaped bytes (see `nameText()`), as those bytes. */
function escapedPathBytes(value: string, call: string): Uint8Array {
  try {
    return pathBytes(value);
  } catch {
    throw invalid(call, value, "it holds a lone surrogate that stands for no byte");
  }
}

function invalid(call: string, value: PathLike, reason: string): Error {
  return makeError({ call, path: value, reason, errorClass: TypeError });
}
