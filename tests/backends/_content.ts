// Deterministic test content: the same seed always gives the same bytes, in the test and in child processes.

/** `size` pseudo-random bytes determined by `seed` (xorshift32 seeded with FNV-1a of the seed). */
export function seededBytes(seed: string, size: number): Uint8Array {
  let state = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) state = Math.imul(state ^ seed.charCodeAt(i), 0x01000193);
  if (state === 0) state = 1;
  const words = new Uint32Array(Math.ceil(size / 4));
  for (let i = 0; i < words.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    words[i] = state;
  }
  return new Uint8Array(words.buffer, 0, size);
}

/** A 64-hex-digit name, like a content id, determined by `seed`. */
export function seededName(seed: string): string {
  return Array.from(seededBytes(`name:${seed}`, 32), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

let pool: Uint8Array | undefined;

/**
 * The content a killed writer stores under `name`: 1-4 MiB, fully determined by the name (which
 * it starts with). Cut from a shared pool, so that making it costs little next to writing it.
 */
export function contentForName(name: string): Uint8Array {
  pool ??= seededBytes("pool", 5 << 20);
  const size = (1 << 20) + (parseInt(name.slice(0, 6), 16) % (3 << 20));
  const offset = parseInt(name.slice(6, 12), 16) % (1 << 20);
  const data = pool.slice(offset, offset + size);
  data.set(new TextEncoder().encode(name));
  return data;
}
