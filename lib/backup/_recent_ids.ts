// The blob ids a chunk worker sent lately, so that a chunk seen twice in a run (a copied file) is sealed
// once. Bounded: a set of every id a large first backup sends would cost ~110 bytes a blob per worker. A
// chunk whose earlier copy has been forgotten is sealed again and the pack sink drops it: CPU, not space.

const ID_BYTES = 32;

/**
 * A set of 32-byte ids that starts over once it holds `limit` of them. The ids are kept as bytes in one
 * open-addressing table (64 bytes an id, allocated once), not as hex strings in a Set (~110 bytes an id,
 * and garbage for the collector with every id).
 */
export class RecentIds {
  #table: Uint8Array;
  /** Slot in use: the table cannot tell an all-zero id from an empty slot. */
  #used: Uint8Array;
  #mask: number;
  #size = 0;
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
    let capacity = 16;
    while (capacity < limit * 2) capacity *= 2;
    this.#table = new Uint8Array(capacity * ID_BYTES);
    this.#used = new Uint8Array(capacity);
    this.#mask = capacity - 1;
  }

  has(id: Uint8Array): boolean {
    return this.#used[this.#find(id)] === 1;
  }

  add(id: Uint8Array): void {
    if (this.#size >= this.#limit) this.#clear();
    const slot = this.#find(id);
    if (this.#used[slot] === 1) return;
    this.#used[slot] = 1;
    this.#table.set(id.subarray(0, ID_BYTES), slot * ID_BYTES);
    this.#size++;
  }

  get size(): number {
    return this.#size;
  }

  /** The slot holding `id`, or the empty one where it would go. Ids are keyed hashes: any bytes hash. */
  #find(id: Uint8Array): number {
    let slot = ((id[0]! << 24) | (id[1]! << 16) | (id[2]! << 8) | id[3]!) & this.#mask;
    while (this.#used[slot] === 1 && !this.#holds(slot, id)) slot = (slot + 1) & this.#mask;
    return slot;
  }

  #holds(slot: number, id: Uint8Array): boolean {
    const base = slot * ID_BYTES;
    for (let i = 0; i < ID_BYTES; i++) if (this.#table[base + i] !== id[i]) return false;
    return true;
  }

  #clear(): void {
    this.#used.fill(0);
    this.#size = 0;
  }
}
