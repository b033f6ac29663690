// What the repository commands share: the loaded config, opening a named destination, JSON output and the
// exit code, built once per run from the CLI context.

import { currentUserName } from "../platform/mod.ts";
import type { Command } from "@commander-js/extra-typings";
import { describeError, ExitCode, UsageError, type UserError } from "../errors.ts";
import { type Config, type Destination, parseTimeout, resolveConfigPath } from "../plan/mod.ts";
import {
  describeStaleLock,
  destinationByName,
  openLockedRepository,
  openRepository,
  processLockOwner,
  type RepositoryAccess,
} from "../destinations/mod.ts";
import type { LockKind, Repository, RepositoryLock } from "../repo/mod.ts";
import {
  chooseDestinations,
  type CliContext,
  type ConfigUse,
  loadConfigOrFail,
  secretsOf,
} from "./_context.ts";
import { hintFor } from "./_hints.ts";
import { exitCodeFor } from "./_exit_codes.ts";
import type { Output } from "./output.ts";

// deno-lint-ignore no-explicit-any
export type Program = Command<any, any, any>;

export const SNAPSHOT_PLAN_HELP = "only snapshots of this plan (latest: the newest of them)";
export const SNAPSHOT_HOST_HELP = "only snapshots taken on this host (latest: the newest of them)";

/** The shared services of the repository commands. */
export interface CommandKit {
  context: CliContext;
  output: Output;
  /** Prints a value as indented JSON on stdout. */
  json(value: unknown): void;
  /**
   * Loads the config named by `--config`; an invalid one is a one-line error, and so is an unset variable
   * in a plan of `use.plans` (default: every plan) or, once opened, in a destination.
   */
  loadConfig(use?: ConfigUse): Promise<Config>;
  /** How repositories are opened: passwords from the context, the metadata cache unless `--no-cache`. */
  repositoryAccess(): RepositoryAccess;
  /**
   * Opens the destination named (or the only one), unlocks its repository and locks it (`lock`, default
   * shared; "none" for no lock) until the command ends.
   */
  openNamed(
    name: string | undefined,
    options?: { lock?: LockKind | "none"; damageWarnings?: boolean; cache?: false },
  ): Promise<
    { config: Config; destination: Destination; repository: Repository }
  >;
  /**
   * Opens a destination of `config` and locks its repository of `lock` kind until the command ends;
   * `access` changes how it is opened.
   */
  openLocked(
    config: Config,
    name: string,
    lock: LockKind,
    access?: Partial<RepositoryAccess>,
  ): Promise<Repository>;
  /**
   * Resolves once every lock taken is sure to be held; rejects with the conflict when an optimistic one
   * lost its race (docs/format.md#locks).
   */
  confirmLocks(): Promise<void>;
  /** Releases every lock this run took: called when the command ends, also on error. */
  releaseLocks(): Promise<void>;
  setExitCode(code: number): void;
  /** Prints a normal summary line on stdout, unless `-q/--quiet` was given. */
  say(text: string): void;
  /** Whether `-q/--quiet` was given: no summary lines. */
  quiet(): boolean;
  /** Whether `-v/--verbose` was given: list each entry as it is handled. */
  verbose(): boolean;
  /** The config this run uses, as an absolute path (`--config`, KEPT_CONFIG, or the default). */
  configPath(): string;
  /**
   * The global options that change what a kept started by this run does (the daemon's applies, scheduled
   * jobs): `--config` with {@link configPath}, then `--lock-wait` and `--no-cache` as this run was given them.
   *
   * @throws {UsageError} for a `--lock-wait` that is no duration.
   */
  childGlobals(): string[];
  /**
   * Says what an interruption (Ctrl-C, SIGTERM) leaves behind, for the one line printed then, e.g. "the
   * data stored so far stays in the repository, and the next backup reuses it".
   */
  setInterruptNote(note: string): void;
  /** What {@linkcode setInterruptNote} last said, if anything. */
  interruptNote(): string | undefined;
  /**
   * Work to finish when the command is interrupted, before its locks are released and the process ends
   * (the daemon interrupts its running apply and waits for it).
   */
  onInterrupt(stop: () => Promise<void>): void;
  /** Runs what {@linkcode onInterrupt} registered; settles when all of it has. */
  stopForInterrupt(): Promise<void>;
}

/** The flags the kit reads once the arguments are parsed. */
export interface GlobalFlags {
  config(): string | undefined;
  lockWait(): string | undefined;
  quiet(): boolean;
  verbose(): boolean;
  /** Whether `--no-cache` was given. */
  noCache(): boolean;
}

/** Test hook: a process that takes a repository lock stops itself (SIGSTOP) right after. */
const STOP_AFTER_LOCK_ENV = "KEPT_TEST_STOP_AFTER_LOCK";

/**
 * Builds the kit for one run; `flags` reads `--config`, `--lock-wait`, `--quiet` and `--verbose` once the
 * arguments are parsed. Long because it is one object of small closures over the run's state (the locks
 * held, the interrupt note and work), which must share it.
 */
export function commandKit(
  context: CliContext,
  setExitCode: (code: number) => void,
  flags: GlobalFlags,
): CommandKit {
  const loadConfig = (use?: ConfigUse) => {
    // Every repository command loads the config first: a bad --lock-wait fails here, before any destination.
    lockWaitMs(flags.lockWait());
    return loadConfigOrFail(context, flags.config(), use);
  };
  const configPath = () => resolveConfigPath({ flag: flags.config(), env: context.env, cwd: context.cwd });
  const repositoryAccess = (): RepositoryAccess => ({ ...secretsOf(context), cache: !flags.noCache() });
  const held: RepositoryLock[] = [];
  let interruptNote: string | undefined;
  const stops: (() => Promise<void>)[] = [];
  const openLocked = async (config: Config, name: string, kind: LockKind, access = {}) => {
    const waitMs = lockWaitMs(flags.lockWait());
    const { repository, lock } = await openLockedRepository(
      destinationByName(config, name),
      { ...repositoryAccess(), ...access },
      {
        kind,
        // Shared lockers start work while the lock settles on object storage; main() checks the race.
        // Not with --lock-wait: a race lost must then wait for the rival, which only a settled lock can.
        optimistic: kind === "shared" && waitMs === 0,
        owner: processLockOwner(whoAmI(context.env).username),
        waitMs,
        onStaleRemoved: (listed) => context.output.err(`kept: removed ${describeStaleLock(listed)}\n`),
        onRefreshError: (error) =>
          context.output.err(`warning: cannot refresh the lock on "${name}": ${String(error)}\n`),
      },
    );
    held.push(lock);
    // Test hook: stop here, holding the lock, as a suspended machine would (tests/backup/lock_lost_test.ts).
    if (context.env(STOP_AFTER_LOCK_ENV) === "1") Deno.kill(Deno.pid, "SIGSTOP");
    return repository;
  };
  return {
    context,
    output: context.output,
    json: (value) => context.output.out(JSON.stringify(value, null, 2) + "\n"),
    loadConfig,
    repositoryAccess,
    openNamed: async (name, options = {}) => {
      // Restore, ls, check… read a repository and no plan: a plan's unset variable is not theirs to need.
      const config = await loadConfig({ plans: [] });
      const destination = destinationByName(config, chooseDestinations(config, undefined, name)[0]!);
      const lock = options.lock ?? "shared";
      const access = {
        ...(options.damageWarnings === false ? { damageWarnings: false } : {}),
        ...(options.cache === false ? { cache: false } : {}),
      };
      const repository = lock === "none"
        ? await openRepository(destination, { ...repositoryAccess(), ...access })
        : await openLocked(config, destination.name, lock, access);
      return { config, destination, repository };
    },
    openLocked,
    confirmLocks: async () => {
      await Promise.all(held.map((lock) => lock.confirmed));
    },
    releaseLocks: async () => {
      const results = await Promise.allSettled(held.splice(0).map((lock) => lock.release()));
      for (const result of results) {
        if (result.status === "rejected") {
          context.output.err(
            `warning: cannot remove a lock: ${describeError(result.reason)} (it goes stale)\n`,
          );
        }
      }
    },
    setExitCode,
    say: (text) => {
      if (!flags.quiet()) context.output.out(text);
    },
    quiet: () => flags.quiet(),
    verbose: () => flags.verbose(),
    configPath,
    childGlobals: () => {
      const lockWait = flags.lockWait();
      lockWaitMs(lockWait); // a job must not fail on a value this run could have refused
      return [
        "--config",
        configPath(),
        ...(lockWait ? ["--lock-wait", lockWait] : []),
        ...(flags.noCache() ? ["--no-cache"] : []),
      ];
    },
    setInterruptNote: (note) => interruptNote = note,
    interruptNote: () => interruptNote,
    onInterrupt: (stop) => stops.push(stop),
    stopForInterrupt: async () => {
      await Promise.allSettled(stops.splice(0).map((stop) => stop()));
    },
  };
}

/** `--lock-wait` in milliseconds (default 0); a value that is no duration is a usage error. */
export function lockWaitMs(flag: string | undefined): number {
  if (flag === undefined) return 0;
  const ms = parseTimeout(flag);
  if (ms === undefined) {
    throw new UsageError(`Invalid --lock-wait "${flag}": give a duration like 30s or 5min`);
  }
  return ms;
}

/** Who is running kept, as recorded in snapshots and key files. */
export function whoAmI(env: (name: string) => string | undefined): { host: string; username: string } {
  // A daemon or a systemd unit may have neither variable: then the system's name for our user id.
  const username = env("USER") ?? env("LOGNAME") ?? currentUserName() ?? String(Deno.uid() ?? "");
  return { host: Deno.hostname(), username };
}

/** Errors {@link printFailure} has printed: main() does not print them again. */
const printedFailures = new WeakSet<Error>();

/** True when {@link printFailure} has printed `error` already (a lock race lost, named at its destination). */
export function failurePrinted(error: unknown): boolean {
  return error instanceof Error && printedFailures.has(error);
}

/** A destination whose work failed while the others went on: its name, the error, and the hint if any. */
export function printFailure(output: Output, destination: string, error: UserError): void {
  printedFailures.add(error);
  output.err(`kept: destination "${destination}": ${error.message}\n`);
  const hint = hintFor(error);
  if (hint) output.err(`hint: ${hint}\n`);
}

/**
 * The exit code of a command run at several destinations, when some failed: the failures' shared code
 * (10 no repository, 11 locked, 12 wrong password) when every destination failed the same way, else 1 (also
 * when some succeeded: the others' work is done).
 */
export function failureExitCode(
  outcomes: readonly ({ ok: true } | { ok: false; error: UserError })[],
): number {
  const codes = new Set(outcomes.map((outcome) => outcome.ok ? ExitCode.ok : exitCodeFor(outcome.error)));
  return codes.size === 1 && !codes.has(ExitCode.ok) ? [...codes][0]! : ExitCode.failure;
}
