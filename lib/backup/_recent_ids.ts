// The blob ids a chunk worker sent lately, so that a chunk seen twice in a run (a copied file) is sealed
// once. Bounded: a set of every id a large first backup sends would cost ~110 bytes a blob per worker. A
// chunk whose earlier copy has been forgotten is sealed again and the pack sink drops it: CPU, not space.

/** A set of hex ids that starts over once it holds `limit` of them. */
export class RecentIds {
  #ids = new Set<string>();
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  add(id: string): void {
    if (this.#ids.size >= this.#limit) this.#ids.clear();
    this.#ids.add(id);
  }

  get size(): number {
    return this.#ids.size;
  }
}
