// A read-only hash set of 32-byte blob ids in a SharedArrayBuffer, so that every chunking worker can
// skip compressing and encrypting chunks the repository already has without asking the main thread.

const ID_BYTES = 32;

/**
 * Builds the shared table from the ids `forEachId` visits (each the 32 bytes at `ids[at..]`, copied
 * here). Capacity is a power of two at least twice `count`.
 */
export function buildSharedIdSet(
  forEachId: (visit: (ids: Uint8Array, at: number) => void) => void,
  count: number,
): SharedArrayBuffer {
  let capacity = 16;
  while (capacity < count * 2) capacity *= 2;
  const buffer = new SharedArrayBuffer(capacity * ID_BYTES);
  const table = new Uint8Array(buffer);
  forEachId((ids, at) => {
    let slot = slotOf(ids, at, capacity);
    while (!isEmpty(table, slot)) slot = (slot + 1) & (capacity - 1);
    const base = slot * ID_BYTES;
    for (let i = 0; i < ID_BYTES; i++) table[base + i] = ids[at + i]!;
  });
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
    let slot = slotOf(id, 0, this.#capacity);
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
function slotOf(ids: Uint8Array, at: number, capacity: number): number {
  return ((ids[at]! << 24) | (ids[at + 1]! << 16) | (ids[at + 2]! << 8) | ids[at + 3]!) & (capacity - 1);
}

function isEmpty(table: Uint8Array, slot: number): boolean {
  const base = slot * ID_BYTES;
  for (let i = 0; i < ID_BYTES; i++) if (table[base + i] !== 0) return false;
  return true;
}
