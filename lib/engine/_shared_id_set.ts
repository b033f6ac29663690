// A read-only hash set of 32-byte blob ids in a SharedArrayBuffer, so that every chunking worker can
// skip compressing and encrypting chunks the repository already has without asking the main thread.

import { hexInto } from "../crypto/mod.ts";

const ID_BYTES = 32;

/** Builds the shared table from hex ids. Capacity is a power of two at least twice the count. */
export function buildSharedIdSet(ids: Iterable<string>, count: number): SharedArrayBuffer {
  let capacity = 16;
  while (capacity < count * 2) capacity *= 2;
  const buffer = new SharedArrayBuffer(capacity * ID_BYTES);
  const table = new Uint8Array(buffer);
  const id = new Uint8Array(ID_BYTES);
  for (const hex of ids) {
    hexInto(hex, id, 0);
    let slot = slotOf(id, capacity);
    while (!isEmpty(table, slot)) slot = (slot + 1) & (capacity - 1);
    table.set(id, slot * ID_BYTES);
  }
  return buffer;
}

/** Looks ids up in a table made by {@link buildSharedIdSet}. */
export class SharedIdSet {
  #table: Uint8Array;
  #capacity: number;

  constructor(buffer: SharedArrayBuffer) {
    this.#table = new Uint8Array(buffer);
    this.#capacity = buffer.byteLength / ID_BYTES;
  }

  /** True when the 32-byte id is in the set. */
  has(id: Uint8Array): boolean {
    const table = this.#table;
    let slot = slotOf(id, this.#capacity);
    for (;;) {
      if (isEmpty(table, slot)) return false;
      const base = slot * ID_BYTES;
      let equal = true;
      for (let i = 0; i < ID_BYTES; i++) {
        if (table[base + i] !== id[i]) {
          equal = false;
          break;
        }
      }
      if (equal) return true;
      slot = (slot + 1) & (this.#capacity - 1);
    }
  }
}

/** Ids are HMAC outputs, uniformly distributed: their first bytes are a good hash. */
function slotOf(id: Uint8Array, capacity: number): number {
  return ((id[0]! << 24) | (id[1]! << 16) | (id[2]! << 8) | id[3]!) & (capacity - 1);
}

function isEmpty(table: Uint8Array, slot: number): boolean {
  const base = slot * ID_BYTES;
  for (let i = 0; i < ID_BYTES; i++) if (table[base + i] !== 0) return false;
  return true;
}
