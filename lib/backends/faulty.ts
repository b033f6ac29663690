/**
 * A backend wrapper that fails on purpose, for tests of retries, damage and crash safety: the Nth call of an
 * operation fails with a transient or permanent `BackendError`, or a read returns cut or altered bytes.
 *
 * @module
 */

import { BackendError } from "../errors.ts";
import {
  type Backend,
  type BackendCapabilities,
  type ByteRange,
  type CleanOptions,
  type CleanResult,
  type FileEntry,
  type FileKind,
  type FileWriter,
  type Handle,
  handlePath,
} from "./backend.ts";
import { BackendWrapper } from "./wrapper.ts";

/** The calls a {@linkcode FaultyBackend} can fail; `write` and `commit` are those of its writers. */
export type FaultyOperation =
  | "get"
  | "put"
  | "openWriter"
  | "write"
  | "commit"
  | "list"
  | "stat"
  | "delete"
  | "cleanTemporaryFiles";

/**
 * What a fault does: throw a `BackendError` a retry may help with (`transient`) or not (`permanent`), or, for
 * `get` only, return the bytes cut short (`truncate`) or with one bit flipped (`corrupt`).
 */
export type Fault = "transient" | "permanent" | "truncate" | "corrupt";

/** When and how a {@linkcode FaultyBackend} fails. */
export interface FaultRule {
  /** The operation to fail. */
  operation: FaultyOperation;
  /** What happens instead. */
  fault: Fault;
  /** The first call that fails, counting from 1 among the calls this rule matches (default 1). */
  call?: number;
  /** How many matching calls fail from `call` on (default 1; `Infinity`: all of them). */
  times?: number;
  /** Only calls on files of this kind (for `list`, the kind listed; never matches `cleanTemporaryFiles`). */
  kind?: FileKind;
  /** Only calls on the file of this name (for `commit`, the name committed as). */
  name?: string;
  /** `truncate`: how many bytes are returned (default half). `corrupt`: the byte whose lowest bit flips (default the middle one). */
  at?: number;
}

/** A rule with its own count of the calls it matched. */
interface ActiveRule {
  rule: FaultRule;
  seen: number;
}

/** The file a call is about: a handle, only a kind (`list`, a writer before its commit), or none. */
type Target = { kind?: FileKind; name?: string };

/**
 * A {@linkcode BackendWrapper} that injects faults by {@linkcode FaultRule}s, and counts every call. With no
 * rules it behaves exactly as the backend it wraps. While a rule for `get` is set it reports
 * `localFiles: false`, so that readers go through `get` (and meet the fault) instead of opening files.
 *
 * @example
 * ```ts
 * import { FaultyBackend, MemoryBackend } from "./mod.ts";
 * const faulty = new FaultyBackend(new MemoryBackend(), [{ operation: "put", fault: "transient", call: 2 }]);
 * await faulty.put({ kind: "locks", name: "a1" }, new Uint8Array(1)); // the first call passes
 * ```
 */
export class FaultyBackend extends BackendWrapper {
  #rules: ActiveRule[] = [];
  #calls = new Map<FaultyOperation, number>();
  #injected = 0;

  /** @throws {TypeError} for a rule that cannot apply (`truncate` or `corrupt` on anything but `get`). */
  constructor(inner: Backend, rules: readonly FaultRule[] = []) {
    super(inner);
    for (const rule of rules) this.inject(rule);
  }

  /**
   * Adds a rule; its calls are counted from now on.
   *
   * @throws {TypeError} when `truncate` or `corrupt` is asked of an operation other than `get`, or `call` or
   * `times` is not a positive integer.
   */
  inject(rule: FaultRule): void {
    if ((rule.fault === "truncate" || rule.fault === "corrupt") && rule.operation !== "get") {
      throw new TypeError(
        `Cannot inject a "${rule.fault}" fault into "${rule.operation}": only get returns bytes`,
      );
    }
    const call = rule.call ?? 1;
    const times = rule.times ?? 1;
    if (
      !Number.isSafeInteger(call) || call < 1 ||
      !(times === Infinity || Number.isSafeInteger(times) && times >= 1)
    ) {
      throw new TypeError(
        `Invalid fault rule call ${call} and times ${times}: both must be positive integers`,
      );
    }
    this.#rules.push({ rule, seen: 0 });
  }

  /** Removes every rule: from now on calls pass through. */
  clear(): void {
    this.#rules = [];
  }

  /** How many calls of `operation` were made (failed ones included). */
  calls(operation: FaultyOperation): number {
    return this.#calls.get(operation) ?? 0;
  }

  /** How many faults were injected so far. */
  get injected(): number {
    return this.#injected;
  }

  /** The wrapped backend's capabilities, but no local files while reads may be altered. */
  override get capabilities(): BackendCapabilities {
    const inner = this.inner.capabilities;
    if (!inner.localFiles || !this.#rules.some(({ rule }) => rule.operation === "get")) return inner;
    return { ...inner, localFiles: false };
  }

  /** Reads through, unless a rule fails this call or changes the bytes it returns. */
  override async get(handle: Handle, range?: ByteRange): Promise<Uint8Array> {
    const rule = this.#fault("get", handle);
    const bytes = await this.inner.get(handle, range);
    if (rule?.fault === "truncate") {
      return bytes.slice(0, Math.min(rule.at ?? bytes.length >> 1, bytes.length));
    }
    if (rule?.fault === "corrupt" && bytes.length > 0) {
      bytes[Math.min(rule.at ?? bytes.length >> 1, bytes.length - 1)]! ^= 1;
    }
    return bytes;
  }

  /** Stores through, unless a rule fails this call. */
  override async put(handle: Handle, data: Uint8Array): Promise<void> {
    this.#fault("put", handle);
    await this.inner.put(handle, data);
  }

  /** Opens a writer whose `write` and `commit` may fail by the rules, unless a rule fails this call. */
  override openWriter(kind: FileKind): FileWriter {
    this.#fault("openWriter", { kind });
    const writer = this.inner.openWriter(kind);
    return {
      write: (data) => {
        this.#fault("write", { kind });
        writer.write(data);
      },
      commit: async (name) => {
        try {
          this.#fault("commit", { kind, name });
        } catch (error) {
          await writer.abort(); // as a failed commit of a real backend: nothing is left under any name
          throw error;
        }
        await writer.commit(name);
      },
      abort: () => writer.abort(),
    };
  }

  /** Lists through; a failing rule fails the listing before its first entry. */
  override async *list(kind: FileKind): AsyncGenerator<FileEntry> {
    this.#fault("list", { kind });
    yield* this.inner.list(kind);
  }

  /** Stats through, unless a rule fails this call. */
  override async stat(handle: Handle): Promise<FileEntry | undefined> {
    this.#fault("stat", handle);
    return await this.inner.stat(handle);
  }

  /** Deletes through, unless a rule fails this call. */
  override async delete(handle: Handle): Promise<void> {
    this.#fault("delete", handle);
    await this.inner.delete(handle);
  }

  /**
   * Deletes through, each name as a `delete` call for the rules: a rule that fails one name lets the names
   * before it be deleted, as storage that fails in the middle of a batch would.
   */
  override async deleteMany(kind: FileKind, names: readonly string[]): Promise<void> {
    for (let i = 0; i < names.length; i++) {
      try {
        this.#fault("delete", { kind, name: names[i]! });
      } catch (error) {
        await this.inner.deleteMany(kind, names.slice(0, i));
        throw error;
      }
    }
    await this.inner.deleteMany(kind, names);
  }

  /** Cleans through, unless a rule fails this call. */
  override async cleanTemporaryFiles(olderThanMs: number, options?: CleanOptions): Promise<CleanResult> {
    this.#fault("cleanTemporaryFiles", {});
    return await this.inner.cleanTemporaryFiles(olderThanMs, options);
  }

  /**
   * Counts a call, and finds the rule that fails it: throws for `transient` and `permanent`, returns the rule
   * for faults that change the result, undefined when the call passes.
   */
  #fault(operation: FaultyOperation, target: Target): FaultRule | undefined {
    this.#calls.set(operation, this.calls(operation) + 1);
    let firing: FaultRule | undefined;
    for (const active of this.#rules) {
      const { rule } = active;
      if (rule.operation !== operation || !matches(rule, target)) continue;
      active.seen++;
      const first = rule.call ?? 1;
      if (firing === undefined && active.seen >= first && active.seen < first + (rule.times ?? 1)) {
        firing = rule;
      }
    }
    if (firing === undefined) return undefined;
    this.#injected++;
    if (firing.fault === "transient" || firing.fault === "permanent") {
      const what = target.name !== undefined && target.kind !== undefined
        ? `${operation} of "${handlePath({ kind: target.kind, name: target.name })}"`
        : target.kind !== undefined
        ? `${operation} of "${target.kind}"`
        : operation;
      throw new BackendError(`Injected ${firing.fault} fault: ${what}`, {
        permanent: firing.fault === "permanent",
      });
    }
    return firing;
  }
}

/** Whether a rule's kind and name (where given) are those of the call's file. */
function matches(rule: FaultRule, target: Target): boolean {
  return (rule.kind === undefined || rule.kind === target.kind) &&
    (rule.name === undefined || rule.name === target.name);
}
