/**
 * Deterministic pseudo-random bytes for tests (splitmix32 variant): the same seed
 * always gives the same bytes, on every platform.
 */
export function seededBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed | 0;
  let i = 0;
  while (i < length) {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z ^= z >>> 16;
    out[i++] = z & 0xff;
    if (i < length) out[i++] = (z >>> 8) & 0xff;
    if (i < length) out[i++] = (z >>> 16) & 0xff;
    if (i < length) out[i++] = (z >>> 24) & 0xff;
  }
  return out;
}

/** A deterministic 32-byte key derived from a small seed. */
export function seededKey(seed: number): Uint8Array {
  return seededBytes(32, 0x6b657074 ^ seed);
}
