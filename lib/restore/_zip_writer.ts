// A streaming zip writer (PKWARE's APPNOTE 6.3): each entry goes out as it is added, with its CRC-32 and
// sizes in a data descriptor after the data, so a file is read once and the output is never seeked back
// into (a pipe will do); Zip64 where a size, an offset or the number of entries needs it. What stays in
// memory until the end is the central directory, as packed bytes (70 bytes and the name, an entry).
//
// Written here rather than taken from a library: zip.js (the one tried) kept ~10 KB of heap per entry
// until the archive closed and spent ~250 µs an entry, which a snapshot of a million files cannot afford.

import { constants, crc32, deflateRawSync } from "node:zlib";
import { pathText } from "../platform/mod.ts";

/** An entry's CRC-32, and its sizes as stored and as read back. */
interface Sizes {
  crc: number;
  compressed: number;
  size: number;
}

/** What an entry's headers say besides its name. */
export interface ZipEntryInfo {
  /** The name's bytes: a relative path with `/` separators, a folder's ending in `/`. */
  name: Uint8Array;
  /** The file type and permission bits, as `st_mode` has them. */
  unixMode: number;
  /** Modification time, milliseconds since the epoch. */
  mtimeMs: number;
  uid: number;
  gid: number;
}

/** Deflate packs a file only when it saves at least this share of its first piece; otherwise level 0 stores it. */
const WORTH_DEFLATING = 0.97;
/**
 * Files this large get Zip64 sizes in their data descriptor: their size is known ahead, but deflate may
 * add a little (5 bytes a 64 KiB stored block, ~330 KB at 4 GiB, and a few bytes a piece for its flush), so
 * the limit leaves 1 MiB below 4 GiB. No lower: a stream reader (Java's before 21) takes 8-byte sizes in a
 * data descriptor only for data over 4 GiB.
 */
const ZIP64_FROM = 0xfff0_0000;
const MAX_32 = 0xffff_ffff;
const MAX_16 = 0xffff;
/** Output is gathered into writes of this size: headers alone would be a write each. */
const BUFFER_BYTES = 1 << 20;

/** Record signatures. */
const Signature = {
  localHeader: 0x04034b50,
  dataDescriptor: 0x08074b50,
  centralHeader: 0x02014b50,
  zip64End: 0x06064b50,
  zip64Locator: 0x07064b50,
  end: 0x06054b50,
} as const;

const STORED = 0;
const DEFLATED = 8;
/** General purpose flags: sizes and CRC-32 in a data descriptor; the name is UTF-8. */
const DATA_DESCRIPTOR = 1 << 3;
const UTF8_NAME = 1 << 11;

/** "Version made by": Unix (3), spec 6.3. */
const MADE_BY = (3 << 8) | 63;

/** Writes one zip archive to a stream. Entries are added one at a time, in the order they are to be listed. */
export class ZipWriter {
  readonly #out: WritableStreamDefaultWriter<Uint8Array>;
  /** Bytes handed to `#out` so far, and waiting in `#buffer`. */
  #offset = 0;
  #buffer = new Uint8Array(BUFFER_BYTES);
  #buffered = 0;
  /** The central directory's records so far, packed. */
  #central = new Uint8Array(64 * 1024);
  #centralLength = 0;
  #entries = 0;

  constructor(out: WritableStream<Uint8Array>) {
    this.#out = out.getWriter();
  }

  /** Adds a folder; its name ends in `/`. */
  async addFolder(info: ZipEntryInfo): Promise<void> {
    await this.#addKnown(info, new Uint8Array(0));
  }

  /** Adds a symlink: an entry holding its target, as Info-ZIP stores one. */
  async addLink(info: ZipEntryInfo, target: Uint8Array): Promise<void> {
    await this.#addKnown(info, target);
  }

  /**
   * Adds a file whose content `pieces` yields, `size` bytes in all, deflated at `level`, or at level 0
   * (stored blocks) when its first piece shows deflate gains nothing. Always deflate, with the CRC-32 and
   * sizes after the data: readers of a stream (Java's) take a data descriptor only after deflated data.
   * Throws when `pieces` throws; the archive is then unusable.
   */
  async addFile(info: ZipEntryInfo, pieces: AsyncIterable<Uint8Array>, size: number, level: number) {
    const iterator = pieces[Symbol.asyncIterator]();
    const first = await iterator.next();
    const firstPiece = first.done ? new Uint8Array(0) : first.value;
    let next = first.done ? first : await iterator.next();
    let packed = deflatePiece(firstPiece, level, next.done === true);
    if (level > 0 && packed.length >= firstPiece.length * WORTH_DEFLATING) {
      level = 0;
      packed = deflatePiece(firstPiece, 0, next.done === true);
    }
    await this.#addEntry(info, { method: DEFLATED, zip64: size >= ZIP64_FROM }, async () => {
      let crc = 0;
      let compressed = 0;
      let total = 0;
      let piece = firstPiece;
      let out = packed;
      for (;;) {
        crc = crc32(piece, crc);
        total += piece.length;
        compressed += out.length;
        await this.#write(out);
        if (next.done) break;
        piece = next.value;
        next = await iterator.next();
        out = deflatePiece(piece, level, next.done === true);
      }
      return { crc, compressed, size: total };
    });
  }

  /** Adds an entry whose few bytes are at hand: stored, with its CRC-32 and size in its header. */
  async #addKnown(info: ZipEntryInfo, data: Uint8Array): Promise<void> {
    const known = { crc: crc32(data), compressed: data.length, size: data.length };
    await this.#addEntry(info, { method: STORED, zip64: false, known }, async () => {
      await this.#write(data);
      return known;
    });
  }

  /** Writes the central directory and the end records, and closes the stream. */
  async close(): Promise<void> {
    const start = this.#offset + this.#buffered;
    await this.#write(this.#central.subarray(0, this.#centralLength));
    const length = this.#centralLength;
    const zip64 = this.#entries >= MAX_16 || start >= MAX_32 || length >= MAX_32;
    if (zip64) {
      const end64 = start + length;
      await this.#write(fields([
        [4, Signature.zip64End],
        [8, 44], // size of the rest of this record
        [2, MADE_BY],
        [2, 45],
        [4, 0], // this disk
        [4, 0], // the disk where the central directory starts
        [8, this.#entries],
        [8, this.#entries],
        [8, length],
        [8, start],
      ]));
      await this.#write(fields([[4, Signature.zip64Locator], [4, 0], [8, end64], [4, 1]]));
    }
    await this.#write(fields([
      [4, Signature.end],
      [2, 0],
      [2, 0],
      [2, Math.min(this.#entries, MAX_16)],
      [2, Math.min(this.#entries, MAX_16)],
      [4, Math.min(length, MAX_32)],
      [4, Math.min(start, MAX_32)],
      [2, 0], // comment length
    ]));
    await this.#flush();
    await this.#out.close();
  }

  /** Aborts the stream, with `reason`. */
  async abort(reason: unknown): Promise<void> {
    await this.#out.abort(reason);
  }

  /**
   * Writes one entry: its local header, what `writeData` writes (which returns the CRC-32 and sizes), its
   * data descriptor; then records it for the central directory.
   */
  async #addEntry(
    info: ZipEntryInfo,
    how: { method: number; zip64: boolean; known?: Sizes },
    writeData: () => Promise<Sizes>,
  ): Promise<void> {
    const { method, zip64, known } = how;
    const headerOffset = this.#offset + this.#buffered;
    const flags = (known ? 0 : DATA_DESCRIPTOR) | (isUtf8BeyondAscii(info.name) ? UTF8_NAME : 0);
    const needed = zip64 ? 45 : method === DEFLATED || isFolder(info) ? 20 : 10;
    const time = dosTime(info.mtimeMs);
    const extra = concat([
      // Zip64 sizes: zero here, as the data descriptor follows (their presence says its sizes are 8 bytes).
      ...(zip64 ? [fields([[2, 0x0001], [2, 16], [8, 0], [8, 0]])] : []),
      ...unixExtras(info),
    ]);
    await this.#write(fields([
      [4, Signature.localHeader],
      [2, needed],
      [2, flags],
      [2, method],
      [2, time.time],
      [2, time.date],
      // CRC-32 and sizes: here when known, else in the data descriptor.
      [4, known?.crc ?? 0],
      [4, known?.compressed ?? (zip64 ? MAX_32 : 0)],
      [4, known?.size ?? (zip64 ? MAX_32 : 0)],
      [2, info.name.length],
      [2, extra.length],
    ]));
    await this.#write(info.name);
    await this.#write(extra);
    const { crc, compressed, size } = await writeData();
    if (!zip64 && (compressed >= MAX_32 || size >= MAX_32)) {
      throw new RangeError(`zip entry of ${size} bytes was declared as under 4 GiB`);
    }
    if (!known) {
      const width = zip64 ? 8 : 4;
      await this.#write(
        fields([[4, Signature.dataDescriptor], [4, crc], [width, compressed], [width, size]]),
      );
    }
    this.#record(info, { method, flags, needed, time, crc, compressed, size, headerOffset });
  }

  /** Appends the entry's central directory record. */
  #record(
    info: ZipEntryInfo,
    entry: {
      method: number;
      flags: number;
      needed: number;
      time: { time: number; date: number };
      crc: number;
      compressed: number;
      size: number;
      headerOffset: number;
    },
  ): void {
    // Zip64 fields are present only for the values that do not fit, in this order.
    const large = [entry.size, entry.compressed, entry.headerOffset].filter((value) => value >= MAX_32);
    const zip64 = large.length > 0
      ? [fields([[2, 0x0001], [2, 8 * large.length], ...large.map((value): Field => [8, value])])]
      : [];
    const extra = concat([...zip64, ...unixExtras(info)]);
    const header = fields([
      [4, Signature.centralHeader],
      [2, MADE_BY],
      [2, Math.max(entry.needed, zip64.length > 0 ? 45 : 0)],
      [2, entry.flags],
      [2, entry.method],
      [2, entry.time.time],
      [2, entry.time.date],
      [4, entry.crc],
      [4, Math.min(entry.compressed, MAX_32)],
      [4, Math.min(entry.size, MAX_32)],
      [2, info.name.length],
      [2, extra.length],
      [2, 0], // comment length
      [2, 0], // disk number
      [2, 0], // internal attributes
      [4, ((info.unixMode << 16) | (isFolder(info) ? 0x10 : 0)) >>> 0],
      [4, Math.min(entry.headerOffset, MAX_32)],
    ]);
    const bytes = header.length + info.name.length + extra.length;
    if (this.#centralLength + bytes > this.#central.length) {
      const grown = new Uint8Array(Math.max(this.#central.length * 2, this.#centralLength + bytes));
      grown.set(this.#central.subarray(0, this.#centralLength));
      this.#central = grown;
    }
    for (const part of [header, info.name, extra]) {
      this.#central.set(part, this.#centralLength);
      this.#centralLength += part.length;
    }
    this.#entries++;
  }

  async #write(bytes: Uint8Array): Promise<void> {
    const large = bytes.length >= this.#buffer.length / 4;
    if (large || this.#buffered + bytes.length > this.#buffer.length) await this.#flush();
    if (large) {
      await this.#out.write(bytes);
      this.#offset += bytes.length;
      return;
    }
    this.#buffer.set(bytes, this.#buffered);
    this.#buffered += bytes.length;
  }

  async #flush(): Promise<void> {
    if (this.#buffered === 0) return;
    // A copy: the stream may hold on to what it is given after the write resolves.
    await this.#out.write(this.#buffer.slice(0, this.#buffered));
    this.#offset += this.#buffered;
    this.#buffered = 0;
  }
}

/**
 * One piece of a deflate stream: each piece is deflated on its own (as pigz does) and ends on a byte
 * boundary with a sync flush, the last one with the final block, so the pieces read as one stream.
 */
function deflatePiece(piece: Uint8Array, level: number, last: boolean): Uint8Array {
  return deflateRawSync(piece, {
    level,
    finishFlush: last ? constants.Z_FINISH : constants.Z_SYNC_FLUSH,
  });
}

/**
 * The extra fields every entry carries: the modification time in seconds as Info-ZIP's "UT" field (from 1970
 * to 2106: otherwise only the DOS time, to two seconds, says it), and the owner as its "ux" field.
 */
function unixExtras(info: ZipEntryInfo): Uint8Array[] {
  // Readers take the field as unsigned (unzip after 2038 by the DOS year, libarchive and Go always): a time
  // before 1970 would read as one after 2100, so it is left to the DOS time, as Info-ZIP's zip does.
  const seconds = Math.floor(info.mtimeMs / 1000);
  const time = seconds >= 0 && seconds < 2 ** 32 ? [fields([[2, 0x5455], [2, 5], [1, 1], [4, seconds]])] : [];
  const owner = fields([[2, 0x7875], [2, 11], [1, 1], [1, 4], [4, info.uid >>> 0], [1, 4], [
    4,
    info.gid >>> 0,
  ]]);
  return [...time, owner];
}

/** MS-DOS date and time fields (local time, two-second steps), held to the years they can say: 1980-2107. */
function dosTime(ms: number): { time: number; date: number } {
  const when = new Date(ms);
  const year = when.getFullYear();
  if (Number.isNaN(year) || year < 1980) return { time: 0, date: (1 << 5) | 1 }; // 1980-01-01 00:00
  if (year > 2107) return { time: (23 << 11) | (59 << 5) | 29, date: (127 << 9) | (12 << 5) | 31 };
  return {
    time: (when.getHours() << 11) | (when.getMinutes() << 5) | (when.getSeconds() >> 1),
    date: ((year - 1980) << 9) | ((when.getMonth() + 1) << 5) | when.getDate(),
  };
}

function isFolder(info: ZipEntryInfo): boolean {
  return info.name[info.name.length - 1] === 0x2f; // "/"
}

/** True when the name is UTF-8 and not all ASCII: the flag that says so is then set (readers decode it). */
function isUtf8BeyondAscii(name: Uint8Array): boolean {
  return !name.every((byte) => byte < 0x80) && pathText(name) !== undefined;
}

/** A little-endian field: its width in bytes and its value. */
type Field = [1 | 2 | 4 | 8, number];

function fields(list: Field[]): Uint8Array {
  const bytes = new Uint8Array(list.reduce((sum, [width]) => sum + width, 0));
  const view = new DataView(bytes.buffer);
  let at = 0;
  for (const [width, value] of list) {
    if (width === 1) view.setUint8(at, value);
    else if (width === 2) view.setUint16(at, value, true);
    else if (width === 4) view.setUint32(at, value >>> 0, true);
    else view.setBigUint64(at, BigInt(value), true);
    at += width;
  }
  return bytes;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
