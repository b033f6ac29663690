// Seeded pseudo-random bytes for test data: fast (~1 GB/s, xorshift32) and the same for a seed on every run.
// Not for anything secret; incompressible enough that zstd stores it raw.

/** A stream of pseudo-random bytes; each `fill` continues where the last one ended (in 4-byte steps). */
export class RandomBytes {
  #state: number;

  constructor(seed: number) {
    this.#state = (seed >>> 0) || 0x9e3779b9;
  }

  /** Fills `bytes` and returns it. */
  fill(bytes: Uint8Array): Uint8Array {
    const words = Math.floor(bytes.length / 4);
    const view = bytes.byteOffset % 4 === 0
      ? new Uint32Array(bytes.buffer, bytes.byteOffset, words)
      : undefined;
    let s = this.#state;
    for (let i = 0; i < words; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      if (view) view[i] = s >>> 0;
      else {
        bytes[4 * i] = s & 0xff;
        bytes[4 * i + 1] = (s >>> 8) & 0xff;
        bytes[4 * i + 2] = (s >>> 16) & 0xff;
        bytes[4 * i + 3] = (s >>> 24) & 0xff;
      }
    }
    for (let i = words * 4; i < bytes.length; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      bytes[i] = s & 0xff;
    }
    this.#state = s >>> 0;
    return bytes;
  }
}

/** `length` seeded pseudo-random bytes. */
export function randomBytes(length: number, seed: number): Uint8Array {
  return new RandomBytes(seed).fill(new Uint8Array(length));
}

/**
 * Writes a file of `size` seeded pseudo-random bytes without holding it in memory. With `prefix`, those
 * bytes come first and the random stream follows (so inserting a byte keeps the rest identical).
 */
export function writeRandomFile(
  path: string,
  size: number,
  seed: number,
  options: { prefix?: Uint8Array } = {},
): void {
  const file = Deno.openSync(path, { write: true, create: true, truncate: true });
  try {
    const prefix = options.prefix ?? new Uint8Array(0);
    writeAll(file, prefix.subarray(0, size));
    const random = new RandomBytes(seed);
    const buffer = new Uint8Array(4 << 20);
    let left = size - Math.min(size, prefix.length);
    while (left > 0) {
      const part = random.fill(buffer).subarray(0, Math.min(left, buffer.length));
      writeAll(file, part);
      left -= part.length;
    }
  } finally {
    file.close();
  }
}

function writeAll(file: Deno.FsFile, bytes: Uint8Array): void {
  let written = 0;
  while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
}
