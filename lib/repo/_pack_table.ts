/**
 * The packs the index knows, by number: each pack's id as 32 bytes, the rows [first, end) of its entries,
 * and a table from id to number. About 50 bytes a pack, where a string, an object and a Map entry each took
 * ~180: a repository of ten million blobs has hundreds of thousands of packs.
 *
 * @module
 */

import { hexInto, toHex, tryHexInto } from "../crypto/mod.ts";
import { homeSlot, ID_BYTES } from "./_id_table.ts";
import type { PackId } from "./types.ts";

const NONE = -1;

export class PackTable {
  #count = 0;
  #ids = new Uint8Array(0);
  #first = new Uint32Array(0);
  #end = new Uint32Array(0);
  /** Pack numbers by slot (open addressing, at most half full), NONE where free. */
  #slots = new Int32Array(0);
  #scratch = new Uint8Array(ID_BYTES);

  /** Number of packs. */
  get count(): number {
    return this.#count;
  }

  /** The number of pack `id` (64 lower-case hex digits), added with no rows when it is new. */
  add(id: PackId): number {
    hexInto(id, this.#scratch, 0);
    if (this.#count > 0) {
      const known = this.#slots[this.#find(this.#scratch)]!;
      if (known !== NONE) return known;
    }
    const number = this.#count++;
    this.#grow();
    this.#ids.set(this.#scratch, number * ID_BYTES);
    this.#slots[this.#find(this.#scratch)] = number;
    return number;
  }

  /** The number of pack `id`, or undefined. */
  numberOf(id: string): number | undefined {
    if (this.#count === 0 || id.length !== ID_BYTES * 2 || !tryHexInto(id, this.#scratch, 0, true)) {
      return undefined;
    }
    const number = this.#slots[this.#find(this.#scratch)]!;
    return number === NONE ? undefined : number;
  }

  idOf(number: number): PackId {
    return toHex(this.#ids.subarray(number * ID_BYTES, (number + 1) * ID_BYTES)) as PackId;
  }

  /** First row of pack `number`'s entries. */
  first(number: number): number {
    return this.#first[number]!;
  }

  /** The row after pack `number`'s last entry. */
  end(number: number): number {
    return this.#end[number]!;
  }

  setRows(number: number, first: number, end: number): void {
    this.#first[number] = first;
    this.#end[number] = end;
  }

  /** The slot of `id` (32 bytes), or the free slot where it would go. */
  #find(id: Uint8Array): number {
    const slots = this.#slots, ids = this.#ids;
    const mask = slots.length - 1;
    for (let slot = homeSlot(id, 0, mask);; slot = (slot + 1) & mask) {
      const number = slots[slot]!;
      if (number === NONE) return slot;
      let same = true;
      for (let i = 0, at = number * ID_BYTES; same && i < ID_BYTES; i++) same = ids[at + i] === id[i];
      if (same) return slot;
    }
  }

  /** Makes room for {@link count} packs: columns double, and the table stays at most half full. */
  #grow(): void {
    const count = this.#count;
    if (count > this.#first.length) {
      const size = Math.max(64, this.#first.length * 2);
      const ids = new Uint8Array(size * ID_BYTES), first = new Uint32Array(size), end = new Uint32Array(size);
      ids.set(this.#ids);
      first.set(this.#first);
      end.set(this.#end);
      [this.#ids, this.#first, this.#end] = [ids, first, end];
    }
    if (count * 2 <= this.#slots.length) return;
    this.#slots = new Int32Array(Math.max(128, this.#slots.length * 2)).fill(NONE);
    for (let number = 0; number < count - 1; number++) {
      this.#slots[this.#find(this.#ids.subarray(number * ID_BYTES, (number + 1) * ID_BYTES))] = number;
    }
  }
}
