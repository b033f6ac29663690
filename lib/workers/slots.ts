// A counting semaphore: bounds how much work (files, bytes) is in flight at once.

/**
 * Hands out a fixed number of slots; `acquire` waits while too few are free. Waiters are served in order:
 * a large request is not overtaken forever by small ones.
 */
export class Slots {
  #free: number;
  readonly #capacity: number;
  #waiting: { count: number; resolve: () => void }[] = [];

  constructor(count: number) {
    this.#free = count;
    this.#capacity = count;
  }

  /**
   * Takes `count` slots (default 1): returns undefined when they were free, else a promise that resolves
   * once they are. A request for more than all slots waits until all are free and then takes them all.
   */
  acquire(count = 1): Promise<void> | undefined {
    const wanted = Math.min(count, this.#capacity);
    if (this.#waiting.length === 0 && this.#free >= wanted) {
      this.#free -= wanted;
      return undefined;
    }
    return new Promise((resolve) => this.#waiting.push({ count: wanted, resolve }));
  }

  /** Gives back `count` slots (default 1; the count acquired), to the longest waiters first. */
  release(count = 1): void {
    this.#free += Math.min(count, this.#capacity);
    while (this.#waiting.length > 0 && this.#waiting[0]!.count <= this.#free) {
      const next = this.#waiting.shift()!;
      this.#free -= next.count;
      next.resolve();
    }
  }
}
