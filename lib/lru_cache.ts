/**
 * A map that keeps its most recently used entries up to a limit: the open-pack caches (file descriptors of
 * the local backend and the restore workers, whole packs of the repository) share it.
 *
 * @module
 */

/** Keeps at most `limit` entries; `onEvict` hears each one pushed out (to close a file, say). */
export class LruCache<K, V> {
  #entries = new Map<K, V>();
  #limit: number;
  #onEvict: ((key: K, value: V) => void) | undefined;

  constructor(limit: number, onEvict?: (key: K, value: V) => void) {
    this.#limit = limit;
    this.#onEvict = onEvict;
  }

  /** How many entries it holds. */
  get size(): number {
    return this.#entries.size;
  }

  /** The value of `key`, which becomes the most recently used; undefined when absent. */
  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  /** The value of `key` without touching the order. */
  peek(key: K): V | undefined {
    return this.#entries.get(key);
  }

  /** Stores `value` as the most recently used, then evicts the least recently used beyond the limit. */
  set(key: K, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    this.#trim();
  }

  /** Removes `key` without calling `onEvict`; true when it was there. */
  delete(key: K): boolean {
    return this.#entries.delete(key);
  }

  /** Changes the limit, evicting what no longer fits. */
  resize(limit: number): void {
    this.#limit = limit;
    this.#trim();
  }

  /** Removes every entry, calling `onEvict` for each. */
  clear(): void {
    for (const [key, value] of this.#entries) this.#onEvict?.(key, value);
    this.#entries.clear();
  }

  #trim(): void {
    while (this.#entries.size > this.#limit) {
      const [key, value] = this.#entries.entries().next().value!;
      this.#entries.delete(key);
      this.#onEvict?.(key, value);
    }
  }
}
