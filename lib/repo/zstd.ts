/**
 * zstd with contexts that are reused from call to call: compression into one reused buffer,
 * decompression straight into a buffer of the known plaintext size, or a piece at a time.
 *
 * node:zlib's one-shot functions set up a fresh zstd context (megabytes of tables) and fresh output
 * buffers for every call; per 1 MiB chunk that is a sixth of the compression time and most of the
 * garbage a backup makes; decompression also collects its output in 128 KiB pieces and joins them.
 * Here one context lives as long as the object, and output goes straight where it belongs.
 *
 * The reuse relies on the handle inside Deno's node:zlib stream classes (`_handle`, `_writeState`: the
 * same shape as Node's own binding); where it is missing, the one-shot functions are used instead, and
 * a test says so (tests/repo/zstd_test.ts).
 *
 * @module
 */

import {
  constants,
  createZstdCompress,
  createZstdDecompress,
  zstdCompressSync,
  zstdDecompressSync,
} from "node:zlib";
import type { ZstdParameters } from "./_zstd_levels.ts";

/** The parts of node:zlib's native handle used here. */
interface ZstdHandle {
  writeSync(
    flush: number,
    input: Uint8Array,
    inputOffset: number,
    inputLength: number,
    output: Uint8Array,
    outputOffset: number,
    outputLength: number,
  ): void;
  reset(): void;
}

interface HandleOwner {
  _handle?: ZstdHandle;
  /** [output bytes left, input bytes left] after each writeSync. */
  _writeState?: Uint32Array;
}

function reusableHandle(owner: HandleOwner): { handle: ZstdHandle; state: Uint32Array } | undefined {
  const handle = owner._handle;
  const state = owner._writeState;
  if (typeof handle?.writeSync !== "function" || typeof handle.reset !== "function") return undefined;
  if (!(state instanceof Uint32Array) || state.length < 2) return undefined;
  return { handle, state };
}

/**
 * Runs one whole input through the handle as a single frame. Returns the output length, or undefined
 * when the output does not fit in `limit` bytes. The handle is ready for the next frame either way.
 */
function runFrame(
  native: { handle: ZstdHandle; state: Uint32Array },
  input: Uint8Array,
  output: Uint8Array,
  limit: number,
): number | undefined {
  try {
    native.handle.writeSync(constants.ZSTD_e_end, input, 0, input.length, output, 0, limit);
    const [outputLeft, inputLeft] = native.state;
    // Output space left over means the frame was finished; none left means it may not have been.
    return outputLeft! > 0 && inputLeft === 0 ? limit - outputLeft! : undefined;
  } finally {
    native.handle.reset();
  }
}

/** Compresses chunks with one zstd context and one output buffer. */
export class ZstdCompressor {
  readonly #params: Record<number, number>;
  readonly #native: { handle: ZstdHandle; state: Uint32Array } | undefined;
  #output = new Uint8Array(0);

  /** `parameters`: in place of the level's defaults for large inputs (for inputs known to be small). */
  constructor(level: number, parameters?: ZstdParameters) {
    this.#params = { [constants.ZSTD_c_compressionLevel]: level };
    if (parameters) {
      this.#params[constants.ZSTD_c_windowLog] = parameters.windowLog;
      this.#params[constants.ZSTD_c_chainLog] = parameters.chainLog;
      this.#params[constants.ZSTD_c_hashLog] = parameters.hashLog;
      this.#params[constants.ZSTD_c_searchLog] = parameters.searchLog;
      this.#params[constants.ZSTD_c_minMatch] = parameters.minMatch;
      this.#params[constants.ZSTD_c_targetLength] = parameters.targetLength;
      this.#params[constants.ZSTD_c_strategy] = parameters.strategy;
    }
    this.#native = reusableHandle(createZstdCompress({ params: this.#params }) as unknown as HandleOwner);
  }

  /** True when contexts and buffers are reused (false: Deno's node:zlib changed shape). */
  get reuses(): boolean {
    return this.#native !== undefined;
  }

  /**
   * The compressed form of `input` if it is shorter than `limit` bytes, else undefined. The result is
   * a view of this compressor's buffer: valid until the next call.
   */
  compress(input: Uint8Array, limit: number): Uint8Array | undefined {
    if (!this.#native) {
      const compressed = zstdCompressSync(input, { params: this.#params });
      return compressed.length < limit
        ? new Uint8Array(compressed.buffer, compressed.byteOffset, compressed.length)
        : undefined;
    }
    if (this.#output.length < limit) this.#output = new Uint8Array(limit);
    const length = runFrame(this.#native, input, this.#output, limit);
    return length === undefined || length >= limit ? undefined : this.#output.subarray(0, length);
  }
}

/** Decompresses frames whose content size is known, with one zstd context. */
export class ZstdDecompressor {
  readonly #native: { handle: ZstdHandle; state: Uint32Array } | undefined;

  constructor() {
    this.#native = reusableHandle(createZstdDecompress() as unknown as HandleOwner);
  }

  /** True when the context is reused (false: Deno's node:zlib changed shape). */
  get reuses(): boolean {
    return this.#native !== undefined;
  }

  /**
   * Decompresses one frame of `size` bytes into a new buffer of exactly that size, or into the start of
   * `into` when it is large enough. Returns undefined when the frame is damaged or holds less. (A frame
   * that holds more is cut at `size`: callers check the plaintext's id anyway.)
   */
  decompress(input: Uint8Array, size: number, into?: Uint8Array): Uint8Array | undefined {
    try {
      if (!this.#native) {
        const plain = zstdDecompressSync(input);
        return plain.length === size
          ? new Uint8Array(plain.buffer, plain.byteOffset, plain.length)
          : undefined;
      }
      const output = into && into.length >= size ? into.subarray(0, size) : new Uint8Array(size);
      if (size === 0) return output;
      this.#native.handle.writeSync(constants.ZSTD_e_end, input, 0, input.length, output, 0, size);
      return this.#native.state[0] === 0 && this.#native.state[1] === 0 ? output : undefined;
    } catch {
      return undefined;
    } finally {
      this.#native?.handle.reset();
    }
  }
}

/**
 * Decompresses one frame that arrives in pieces and hands its plaintext on in pieces of at most
 * `pieceBytes`: the memory is zstd's window (512 KiB to 2 MiB at the levels kept writes) and one piece,
 * not the whole plaintext. The input may not be authenticated yet: zstd is made to read hostile frames,
 * and bounds the window a frame may ask for (2^27 bytes by default).
 */
export class ZstdPieceDecompressor {
  readonly #native: { handle: ZstdHandle; state: Uint32Array } | undefined;
  readonly #output: Uint8Array;
  /** Without the native handle: the input, collected for one call of the one-shot function at the end. */
  #collected: Uint8Array[] = [];

  constructor(pieceBytes: number) {
    this.#native = reusableHandle(createZstdDecompress() as unknown as HandleOwner);
    this.#output = new Uint8Array(this.#native ? pieceBytes : 0);
  }

  /** Starts a frame, dropping whatever is left of one that was not ended. */
  begin(): void {
    this.#native?.handle.reset();
    this.#collected = [];
  }

  /**
   * Decompresses the frame's next bytes; `emit` gets each piece of plaintext, valid during the call only.
   * False when the frame is damaged.
   */
  push(input: Uint8Array, emit: (plain: Uint8Array) => void): boolean {
    const native = this.#native;
    if (!native) {
      this.#collected.push(input.slice());
      return true;
    }
    const output = this.#output;
    let offset = 0;
    try {
      for (;;) {
        native.handle.writeSync(
          constants.ZSTD_e_continue,
          input,
          offset,
          input.length - offset,
          output,
          0,
          output.length,
        );
        const [outputLeft, inputLeft] = native.state;
        if (outputLeft! < output.length) emit(output.subarray(0, output.length - outputLeft!));
        const consumed = input.length - inputLeft! - offset;
        offset += consumed;
        // Output space to spare means zstd took all it could from this input.
        if (inputLeft === 0 && outputLeft! > 0) return true;
        // Neither input taken nor output given: a frame zstd cannot go on with (never loop on it).
        if (consumed === 0 && outputLeft === output.length) return false;
      }
    } catch {
      return false;
    }
  }

  /** Ends the frame: false when it proved damaged. The caller checks that the plaintext is whole. */
  end(emit: (plain: Uint8Array) => void): boolean {
    if (this.#native) return true;
    const input = this.#collected;
    this.#collected = [];
    try {
      const joined = new Uint8Array(input.reduce((sum, piece) => sum + piece.length, 0));
      input.reduce((at, piece) => (joined.set(piece, at), at + piece.length), 0);
      const plain = zstdDecompressSync(joined);
      emit(new Uint8Array(plain.buffer, plain.byteOffset, plain.length));
      return true;
    } catch {
      return false;
    }
  }
}
