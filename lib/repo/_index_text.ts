/**
 * The text of the next index file, written pack by pack as packs are stored, in the form kept writes
 * (`JSON.stringify` of an `IndexFile`, byte for byte: `_index_file_bytes.ts` reads it back without a
 * parser). A backup of small files stores up to 50,000 blobs before an index file is written; held as
 * entry objects, each cost ~140 bytes of V8's heap (an object, a 64-character string), then an array per
 * blob and the whole JSON string again to write them. As text, outside the heap, it is ~95 bytes a blob.
 *
 * @module
 */

import { BLOB_TYPE_CODES } from "./blob.ts";
import type { PackEntry } from "./pack.ts";

const HEAD = '{"version":1,"packs":[';
const TAIL = "]}";

/** Index entries of stored packs, as the text of one index file. */
export class IndexText {
  #bytes = new Uint8Array(64 * 1024);
  #length = 0;
  #packs = 0;
  #blobs = 0;
  readonly #encoder = new TextEncoder();

  /** Packs added since the text was last taken. */
  get packs(): number {
    return this.#packs;
  }

  /** Blobs added since the text was last taken. */
  get blobs(): number {
    return this.#blobs;
  }

  /** Adds a stored pack and its entries. */
  addPack(id: string, entries: readonly PackEntry[]): void {
    this.#write(this.#packs === 0 ? `${HEAD}{"id":"${id}","blobs":[` : `,{"id":"${id}","blobs":[`);
    entries.forEach((entry, i) => {
      const code = BLOB_TYPE_CODES[entry.type];
      this.#write(
        `${i === 0 ? "" : ","}[${code},"${entry.id}",${entry.offset},${entry.length},${entry.rawLength}]`,
      );
    });
    this.#write("]}");
    this.#packs++;
    this.#blobs += entries.length;
  }

  /** The index file's text, or undefined when no pack was added; starts the next file. */
  take(): Uint8Array | undefined {
    if (this.#packs === 0) return undefined;
    this.#write(TAIL);
    const text = this.#bytes.subarray(0, this.#length); // the buffer goes with it: no copy of megabytes
    this.#bytes = new Uint8Array(64 * 1024);
    this.#length = this.#packs = this.#blobs = 0;
    return text;
  }

  #write(text: string): void {
    // Every character here is ASCII (hex ids, digits, punctuation): one byte each.
    if (this.#length + text.length > this.#bytes.length) {
      const larger = new Uint8Array(Math.max(this.#bytes.length * 2, this.#length + text.length));
      larger.set(this.#bytes.subarray(0, this.#length));
      this.#bytes = larger;
    }
    this.#length += this.#encoder.encodeInto(text, this.#bytes.subarray(this.#length)).written;
  }
}
