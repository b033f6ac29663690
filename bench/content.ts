/**
 * Deterministic byte sources for the benchmark corpus: a seeded PRNG and streams of source-like text,
 * log lines, fixed-size records and incompressible random bytes. The same seed always yields the same
 * bytes, however the output is split into `fill` calls (a copy of a file shifted by a few bytes must
 * really contain the original's bytes).
 *
 * @module
 */

/** Mixes two 32-bit numbers into a well-spread seed (murmur3's finaliser). */
export function mixSeed(a: number, b: number): number {
  let h = (a ^ Math.imul(b + 0x9e3779b9, 0x85ebca6b)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Marsaglia's xorshift128 over four 32-bit words: fast, seedable, and incompressible enough for zstd. */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    this.#a = mixSeed(seed, 1) | 1;
    this.#b = mixSeed(seed, 2);
    this.#c = mixSeed(seed, 3);
    this.#d = mixSeed(seed, 4);
  }

  /** The next 32-bit unsigned integer. */
  nextU32(): number {
    let t = this.#d;
    const s = this.#a;
    this.#d = this.#c;
    this.#c = this.#b;
    this.#b = s;
    t ^= t << 11;
    t ^= t >>> 8;
    this.#a = (t ^ s ^ (s >>> 19)) >>> 0;
    return this.#a;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** An integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** One element of `items`, uniformly. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Fills `out` with random bytes, four at a time (the hot loop keeps the state in locals). */
  fill(out: Uint8Array): void {
    let a = this.#a, b = this.#b, c = this.#c, d = this.#d;
    const words = out.byteOffset % 4 === 0
      ? new Uint32Array(out.buffer, out.byteOffset, out.length >>> 2)
      : null;
    const wordCount = out.length >>> 2;
    for (let i = 0; i < wordCount; i++) {
      let t = d;
      d = c;
      c = b;
      b = a;
      t ^= t << 11;
      t ^= t >>> 8;
      a = (t ^ b ^ (b >>> 19)) >>> 0;
      if (words) {
        words[i] = a;
      } else {
        out[i * 4] = a & 0xff;
        out[i * 4 + 1] = (a >>> 8) & 0xff;
        out[i * 4 + 2] = (a >>> 16) & 0xff;
        out[i * 4 + 3] = a >>> 24;
      }
    }
    this.#a = a;
    this.#b = b;
    this.#c = c;
    this.#d = d;
    for (let i = wordCount * 4; i < out.length; i++) out[i] = this.nextU32() & 0xff;
  }
}

/** Something that produces an endless, deterministic stream of bytes. */
export interface ByteSource {
  /** Fills all of `out` with the next bytes of the stream. */
  fill(out: Uint8Array): void;
}

/** A stream built from variable-length records (lines); subclasses write one record at a time. */
abstract class RecordSource implements ByteSource {
  #scratch = new Uint8Array(4096);
  #start = 0;
  #end = 0;
  protected readonly rng: Rng;

  constructor(seed: number) {
    this.rng = new Rng(seed);
  }

  /** Writes one record at the start of `scratch` (at most 4 KiB) and returns its length. */
  protected abstract emit(scratch: Uint8Array): number;

  fill(out: Uint8Array): void {
    let pos = 0;
    while (pos < out.length) {
      if (this.#start === this.#end) {
        this.#end = this.emit(this.#scratch);
        this.#start = 0;
      }
      const n = Math.min(this.#end - this.#start, out.length - pos);
      out.set(this.#scratch.subarray(this.#start, this.#start + n), pos);
      pos += n;
      this.#start += n;
    }
  }
}

/** Incompressible bytes (photos, videos, encrypted archives, disk images of such). */
export class RandomSource extends RecordSource {
  protected emit(scratch: Uint8Array): number {
    this.rng.fill(scratch);
    return scratch.length;
  }
}

const SYLLABLES = [
  "ka",
  "lo",
  "mi",
  "ter",
  "sun",
  "ar",
  "ex",
  "on",
  "ra",
  "vi",
  "del",
  "pro",
  "con",
  "in",
  "un",
  "ble",
  "ing",
  "st",
  "ch",
  "qu",
  "ze",
  "po",
  "li",
  "ma",
  "re",
  "get",
  "set",
  "er",
  "ion",
  "val",
  "buf",
  "ptr",
  "len",
  "map",
];

/** A fixed vocabulary of pseudo-words, most frequent first. */
export class Vocabulary {
  readonly words: string[];
  readonly bytes: Uint8Array[];

  constructor(seed: number, size = 4096) {
    const rng = new Rng(seed);
    const seen = new Set<string>();
    this.words = [];
    while (this.words.length < size) {
      let word = "";
      const syllables = rng.int(1, 4);
      for (let i = 0; i < syllables; i++) word += rng.pick(SYLLABLES);
      if (seen.has(word)) continue;
      seen.add(word);
      this.words.push(word);
    }
    const encoder = new TextEncoder();
    this.bytes = this.words.map((word) => encoder.encode(word));
  }

  /** An index skewed towards frequent words (roughly Zipf-like), so text compresses like real text. */
  skewedIndex(rng: Rng): number {
    const r = rng.next();
    return Math.floor(r * r * r * this.words.length);
  }
}

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);
const SEPARATORS = [" ", " ", " ", ".", "(", ", ", " = ", "_", " + ", "->"].map(ascii);
const LINE_ENDS = [";", " {", "", ")", "}", ");", ","].map(ascii);
const COMMENT = ascii("// ");
const SPACE = 32;
const NEWLINE = 10;

/** Source-code-like text: indented lines of pseudo-words, punctuation, comments and blank lines. */
export class SourceTextSource extends RecordSource {
  #vocabulary: Vocabulary;
  #depth = 0;

  constructor(seed: number, vocabulary: Vocabulary) {
    super(seed);
    this.#vocabulary = vocabulary;
  }

  protected emit(out: Uint8Array): number {
    const rng = this.rng;
    const roll = rng.next();
    if (roll < 0.1) {
      out[0] = NEWLINE;
      return 1;
    }
    this.#depth = Math.max(0, Math.min(4, this.#depth + rng.int(-1, 1)));
    let pos = 0;
    for (let i = 0; i < this.#depth * 2; i++) out[pos++] = SPACE;
    const comment = roll < 0.2;
    if (comment) {
      out.set(COMMENT, pos);
      pos += COMMENT.length;
    }
    const words = rng.int(2, 9);
    for (let i = 0; i < words; i++) {
      if (i > 0) pos = put(out, pos, comment ? SEPARATORS[0]! : rng.pick(SEPARATORS));
      pos = put(out, pos, this.#vocabulary.bytes[this.#vocabulary.skewedIndex(rng)]!);
    }
    if (!comment) pos = put(out, pos, rng.pick(LINE_ENDS));
    out[pos++] = NEWLINE;
    return pos;
  }
}

function put(out: Uint8Array, pos: number, bytes: Uint8Array): number {
  out.set(bytes, pos);
  return pos + bytes.length;
}

const LEVELS = ["INFO", "INFO", "INFO", "INFO", "DEBUG", "DEBUG", "WARN", "ERROR"];
const COMPONENTS = ["http", "worker", "db", "cache", "auth", "scheduler"];
const METHODS = ["GET", "GET", "GET", "POST", "PUT", "DELETE"];
const STATUSES = [200, 200, 200, 200, 201, 204, 304, 404, 500];

/** Application-log-like text: timestamped lines from a handful of templates (compresses about 5-10x). */
export class LogSource extends RecordSource {
  #vocabulary: Vocabulary;
  #clock: number;
  #encoder = new TextEncoder();

  constructor(seed: number, vocabulary: Vocabulary) {
    super(seed);
    this.#vocabulary = vocabulary;
    this.#clock = Date.UTC(2024, 0, 1) + (seed % 86_400_000);
  }

  protected emit(out: Uint8Array): number {
    const rng = this.rng;
    this.#clock += rng.int(0, 40);
    const head = `${new Date(this.#clock).toISOString()} ${rng.pick(LEVELS)} [${rng.pick(COMPONENTS)}-${
      rng.int(0, 7)
    }] `;
    const line = head + this.#message(rng) + "\n";
    return this.#encoder.encodeInto(line, out).written;
  }

  #message(rng: Rng): string {
    const word = () => this.#vocabulary.words[this.#vocabulary.skewedIndex(rng)]!;
    switch (rng.int(0, 4)) {
      case 0:
        return `${rng.pick(METHODS)} /api/v1/${word()}/${rng.int(1, 99999)} status=${rng.pick(STATUSES)} ` +
          `bytes=${rng.int(100, 90000)} duration_ms=${rng.int(1, 900)} req=${rng.nextU32().toString(16)}`;
      case 1:
        return `user ${word()}${rng.int(1, 500)} logged in from 10.${rng.int(0, 255)}.${rng.int(0, 255)}.${
          rng.int(1, 254)
        }`;
      case 2:
        return `cache miss key=${word()}:${rng.int(1, 99999)} ttl=${rng.int(10, 3600)}s`;
      case 3:
        return `processed ${rng.int(1, 500)} jobs from queue ${word()} in ${rng.int(1, 5000)} ms`;
      default:
        return `failed to connect to db-${rng.int(1, 4)}.internal:5432: connection reset by peer ` +
          `(attempt ${rng.int(1, 5)}/5)`;
    }
  }
}

/** Database-like binary: 64-byte records with an increasing id, small ints, names and random fields. */
export class RecordsSource extends RecordSource {
  #vocabulary: Vocabulary;
  #id: number;

  constructor(seed: number, vocabulary: Vocabulary) {
    super(seed);
    this.#vocabulary = vocabulary;
    this.#id = seed % 100_000;
  }

  protected emit(out: Uint8Array): number {
    const rng = this.rng;
    const record = out.subarray(0, 64);
    record.fill(0);
    const view = new DataView(record.buffer, record.byteOffset, 64);
    view.setUint32(0, this.#id++, true);
    view.setUint32(8, rng.int(0, 999), true);
    const name = this.#vocabulary.bytes[this.#vocabulary.skewedIndex(rng)]!;
    record.set(name.subarray(0, 16), 12);
    rng.fill(record.subarray(28, 44));
    view.setUint32(44, rng.int(0, 3), true);
    return 64;
  }
}

/** `prefix` bytes of one source, then another source: a copy of a file with bytes inserted at the start. */
export class PrefixedSource implements ByteSource {
  #remaining: number;
  #prefix: ByteSource;
  #rest: ByteSource;

  constructor(prefixLength: number, prefix: ByteSource, rest: ByteSource) {
    this.#remaining = prefixLength;
    this.#prefix = prefix;
    this.#rest = rest;
  }

  fill(out: Uint8Array): void {
    const n = Math.min(this.#remaining, out.length);
    if (n > 0) {
      this.#prefix.fill(out.subarray(0, n));
      this.#remaining -= n;
    }
    if (n < out.length) this.#rest.fill(out.subarray(n));
  }
}
