// `kept restore`: restores a snapshot, or a path in it, below a target folder; `--dry-run` lists what it
// would do. The engine says what happened to each entry; the wording (and the flags to suggest) is here.

import { InvalidArgumentError } from "@commander-js/extra-typings";
import { UsageError, UserError } from "../errors.ts";
import { hasEscapedBytes } from "../platform/mod.ts";
import { formatBytes } from "../plan/mod.ts";
import {
  applyRestore,
  fallbackMetadataWarning,
  fallbackRestoreWarning,
  includeProblem,
  type PlanOptions,
  planRestore,
  PlanTally,
  restore,
  type RestoreAction,
  type RestoreCounts,
  type RestoreEntry,
  type RestorePlan,
  type RestoreWarning,
} from "../restore/mod.ts";
import type { Repository } from "../repo/mod.ts";
import { escapeName, type Output } from "./output.ts";
import { pathJson } from "./_json.ts";
import { type CommandKit, type Program, SNAPSHOT_HOST_HELP, SNAPSHOT_PLAN_HELP } from "./_command_kit.ts";
import { type ProgressLine, terminalProgress } from "./_progress.ts";
import { RestoreProgress } from "./_restore_progress.ts";
import { assertZipFlags, DEFAULT_ZIP_LEVEL, restoreZip } from "./_restore_zip.ts";
import { counted } from "./_counted.ts";

/** Registers `kept restore` on `program`. */
export function restoreCommand(program: Program, kit: CommandKit): void {
  program.command("restore")
    .description("restore a snapshot, or a path in it, below a target folder or into a zip archive")
    // Optional to commander, so that a snapshot taken as one of --include's patterns is explained.
    .argument("[snapshot]", "snapshot id, unique id prefix, or latest")
    .usage("[options] <snapshot>")
    .option("--target <dir>", "folder to restore into (created if missing)")
    .option("--zip <file>", "write a zip archive instead of restoring into a folder (- for stdout)")
    .option(
      "--zip-level <0-9>",
      `deflate level of the zip archive: 0 stores, 9 packs tightest (default: ${DEFAULT_ZIP_LEVEL})`,
    )
    .option("--destination <name>", "destination (needed when several are defined)")
    .option("--plan <name>", SNAPSHOT_PLAN_HELP)
    .option("--host <name>", SNAPSHOT_HOST_HELP)
    .option("--path <subpath>", "restore only this path of the snapshot, e.g. /etc/nginx", onlyOnce("--path"))
    .option("--include <pattern...>", "restore only paths matching these gitignore-style patterns")
    .option(
      "--overwrite",
      "replace existing files that differ from the snapshot, reading those whose size and time match " +
        "(or the --zip file)",
    )
    .option("--dry-run", "list what would be created, replaced and skipped; write nothing")
    .option("--json", "print JSON lines: the entries listed (dry run) or not restored, then a summary")
    .addHelpText(
      "after",
      "\nFiles keep their absolute paths below the target: /etc/hosts is restored to TARGET/etc/hosts, and\n" +
        "with --path /etc/ssh, /etc/ssh/sshd_config to TARGET/etc/ssh/sshd_config (TARGET/etc gets the\n" +
        "mode, owner and time /etc has in the snapshot).\n" +
        "Existing files are never replaced without --overwrite; files that already match are skipped,\n" +
        "so running the same restore again resumes an interrupted one.\n" +
        "--dry-run marks each entry: + create, M replace, = already there, ! refused or failed,\n" +
        "- not restored (sockets). Exit code 1 when entries are (or would be) left out.\n" +
        "--zip FILE writes the same entries (named etc/hosts) with mode, owner and time into one archive,\n" +
        "under a temporary name until it is complete; FIFOs and device nodes are left out. See docs/restore.md.",
    )
    .action((ref, options) => {
      if (ref === undefined) throw new UsageError(missingSnapshot(options.include));
      assertSnapshotPath(options.path);
      return options.zip === undefined
        ? restoreToFolder(kit, ref, options)
        : restoreToZip(kit, ref, options, options.zip);
    });
}

/** Why no snapshot was given: --include takes every word after it, a snapshot named last too. */
function missingSnapshot(include: readonly string[] | undefined): string {
  const last = include?.at(-1);
  if (last === undefined) {
    return "Missing the snapshot to restore: give an id, a unique prefix of one, or latest";
  }
  return `Missing the snapshot to restore: --include took "${
    shown(last)
  }" as a pattern (it takes every word ` +
    `after it): name the snapshot before --include, or end the patterns with --`;
}

/** A commander parser for an option that may be given once: a second one would silently win. */
function onlyOnce(flag: string): (value: string, previous: string | undefined) => string {
  return (value, previous) => {
    if (previous !== undefined) {
      throw new InvalidArgumentError(
        `${flag} may be given once (also "${previous}"): use --include for several`,
      );
    }
    return value;
  };
}

function assertSnapshotPath(path: string | undefined): void {
  // An empty one would restore the whole snapshot.
  if (path === "") throw new UsageError(`Invalid --path "": give a path in the snapshot, e.g. /etc/nginx`);
}

/** The flags of `kept restore`. */
interface RestoreFlags {
  target?: string;
  zipLevel?: string;
  destination?: string;
  plan?: string;
  host?: string;
  path?: string;
  include?: string[];
  overwrite?: true;
  dryRun?: true;
  json?: true;
}

/** `kept restore REF --zip FILE`. */
async function restoreToZip(kit: CommandKit, ref: string, options: RestoreFlags, zip: string): Promise<void> {
  assertZipFlags({ ...options, zip });
  assertIncludable(options.include);
  const { repository } = await kit.openNamed(options.destination);
  await repository.loadIndex();
  const { id, snapshot } = await repository.findSnapshot(ref, options);
  await restoreZip(repository, { id, tree: snapshot.tree }, { ...options, zip }, kit);
}

/** `kept restore REF --target DIR`, or with `--dry-run` what it would do. */
async function restoreToFolder(kit: CommandKit, ref: string, options: RestoreFlags): Promise<void> {
  const { output } = kit;
  if (options.target === undefined) {
    throw new UsageError("Give --target DIR to restore into, or --zip FILE to write a zip archive");
  }
  if (options.zipLevel !== undefined) {
    throw new UsageError("--zip-level sets the level of a zip archive: it goes with --zip FILE");
  }
  assertUsableFlags({ ...options, target: options.target });
  kit.setInterruptNote("the files restored so far stay, and the same restore run again skips them");
  const { repository } = await kit.openNamed(options.destination);
  await repository.loadIndex();
  const { id, snapshot } = await repository.findSnapshot(ref, options);
  const planOptions: PlanOptions = {
    tree: snapshot.tree,
    target: options.target,
    ...(options.path ? { path: options.path } : {}),
    ...(options.include ? { include: options.include } : {}),
    overwrite: options.overwrite ?? false,
    asRoot: Deno.uid() === 0,
  };
  const dryRun = options.dryRun ?? false;
  if (!dryRun) {
    for (const warning of [fallbackMetadataWarning(), fallbackRestoreWarning(planOptions.asRoot)]) {
      if (warning) output.err(`warning: ${warning}\n`);
    }
  }
  // A dry run lists at once, and JSON is for programs: neither needs a progress line.
  const progress = options.json || dryRun
    ? undefined
    : terminalProgress("restoring", output, { quiet: kit.quiet(), env: kit.context.env });
  const report = options.json
    ? jsonReport(output, id, dryRun)
    : textReport(output, kit.say, { id, dryRun, verbose: kit.verbose() });
  let outcome: Outcome;
  try {
    outcome = dryRun
      ? await listPlan(repository, planOptions, report)
      : await restoreAll(repository, planOptions, report, progress?.line);
  } finally {
    progress?.stop();
  }
  const { target, counts, problems } = outcome;
  report.summary(target, counts, problems);
  if (problems > 0) {
    throw new UserError(
      dryRun
        ? `Restore would be incomplete: ${problems} entries would not be restored`
        : `Restore incomplete: ${counted(problems, "entry", "entries")} could not be restored`,
    );
  }
}

/**
 * Refuses, before a repository is opened, flags that would restore other than what was asked: an empty
 * `--target` (which would be the current folder), one holding U+FFFD, and include patterns that can match
 * nothing. Throws a `UsageError` that says why.
 */
function assertUsableFlags(options: { target: string; include?: string[] }): void {
  if (options.target === "") {
    throw new UsageError(`Invalid --target "": give the folder to restore into`);
  }
  // Deno reads an argument that is not UTF-8 with U+FFFD in place of each bad sequence, and no call gives
  // the bytes back: kept would write to a path that differs from the one given.
  if (options.target.includes("\uFFFD")) {
    throw new UsageError(
      `Invalid --target "${shown(options.target)}": it holds U+FFFD, which Deno reads in place of bytes ` +
        `that are not UTF-8, so kept would restore elsewhere than asked: give a path that is UTF-8`,
    );
  }
  assertIncludable(options.include);
}

function assertIncludable(include: string[] | undefined): void {
  const invalid = includeProblem(include ?? []);
  if (invalid) throw new UsageError(`Invalid --include "${shown(invalid.pattern)}": ${invalid.problem}`);
}

/** A value as given, on one line: with control characters (and then backslashes) escaped if it holds any. */
function shown(value: string): string {
  // deno-lint-ignore no-control-regex
  return /[\x00-\x1f\x7f]/.test(value) ? escapeName(value) : value;
}

/** How a restore's entries and summary are printed. */
interface Report {
  /** An entry of a dry run's listing, or an entry a restore could not restore. */
  entry(entry: RestoreEntry): void;
  /** What a restored entry lacks (an extended attribute not set). */
  warning(warning: RestoreWarning): void;
  /** With `--verbose`: each entry a restore handles, as it is decided (just before it is written). */
  handled?: (entry: RestoreEntry) => void;
  summary(target: string, counts: RestoreCounts, problems: number): void;
}

interface Outcome {
  target: string;
  counts: RestoreCounts;
  problems: number;
}

async function listPlan(repository: Repository, options: PlanOptions, report: Report): Promise<Outcome> {
  const plan = await planRestore(repository, options);
  const tally = new PlanTally();
  for await (const entry of plan) {
    tally.add(entry);
    report.entry(entry);
  }
  return { target: plan.target, counts: tally, problems: tally.problems };
}

async function restoreAll(
  repository: Repository,
  options: PlanOptions,
  report: Report,
  progress: ProgressLine | undefined,
): Promise<Outcome> {
  const onProblem = (problem: RestoreEntry) => report.entry(problem);
  const onWarning = (warning: RestoreWarning) => report.warning(warning);
  const handled = report.handled;
  if (handled === undefined && progress === undefined) {
    const result = await restore(repository, { ...options, onProblem, onWarning });
    return { target: result.target, counts: result, problems: result.problems.length };
  }
  // What restore() does, with each entry of the plan reported as applyRestore() takes it.
  repository.cachePacks(0);
  const plan = await planRestore(repository, options);
  const counter = progress === undefined ? undefined : new RestoreProgress(progress);
  const watched = watching(plan, {
    onEntry: (entry) => {
      handled?.(entry);
      counter?.planned(entry);
    },
    onEnd: () => counter?.listed(),
  });
  const result = await applyRestore(watched, repository, {
    onProblem,
    onWarning,
    ...(counter ? { onProgress: (entry: RestoreEntry, bytes: number) => counter.written(entry, bytes) } : {}),
  });
  return { target: result.target, counts: result, problems: result.problems.length };
}

/** `plan`, calling `onEntry` with each entry as it is taken from it, and `onEnd` once it has no more. */
function watching(
  plan: RestorePlan,
  { onEntry, onEnd }: { onEntry: (entry: RestoreEntry) => void; onEnd: () => void },
): RestorePlan {
  return {
    target: plan.target,
    overwrite: plan.overwrite,
    asRoot: plan.asRoot,
    async *[Symbol.asyncIterator]() {
      for await (const entry of plan) {
        onEntry(entry);
        yield entry;
      }
      onEnd();
    },
  };
}

const MARKERS: Record<RestoreAction, string> = {
  create: "+",
  replace: "M",
  skip: "=",
  refuse: "!",
  fail: "!",
  omit: "-",
};

function textReport(
  output: Output,
  say: (text: string) => void,
  { id, dryRun, verbose }: { id: string; dryRun: boolean; verbose: boolean },
): Report {
  const pathOf = (entry: RestoreEntry) => `${escapeName(entry.path)}${entry.node.type === "dir" ? "/" : ""}`;
  return {
    // Refused and failed entries are printed as errors when they are met.
    ...(verbose && !dryRun
      ? {
        handled: (entry: RestoreEntry) => {
          if (entry.action !== "refuse" && entry.action !== "fail") {
            output.out(`${MARKERS[entry.action]} ${pathOf(entry)}\n`);
          }
        },
      }
      : {}),
    entry: (entry) => {
      const path = pathOf(entry);
      if (dryRun) {
        // The listing names each entry by its path in the snapshot, which is its path below the target.
        const why = whyNotRestored(entry, "");
        output.out(`${MARKERS[entry.action]} ${path}${why === undefined ? "" : `: ${why}`}\n`);
      } else {
        output.err(`error: ${path}: ${whyNotRestored(entry, `${escapeName(entry.target ?? "")} `)}\n`);
      }
    },
    warning: ({ path, message }) => output.err(`warning: ${escapeName(path)}: ${message}\n`),
    summary: (target, counts) => {
      const extras = [
        ...(counts.skipped ? [`${counts.skipped} already present`] : []),
        ...(counts.replaced ? [`${counts.replaced} replaced`] : []),
      ];
      const what = `${counted(counts.files, "file")}, ${counted(counts.dirs, "folder")}, ${
        formatBytes(counts.bytes)
      }${extras.length > 0 ? ` (${extras.join(", ")})` : ""}`;
      const snapshot = id.slice(0, 12);
      say(
        dryRun
          ? `would restore snapshot ${snapshot} into ${escapeName(target)}: ${what}\n`
          : `restored snapshot ${snapshot}: ${what}\n`,
      );
    },
  };
}

/**
 * Why an entry is not restored, in words; undefined for one that is. `subject` ("" or the path and a
 * space) starts the words about what is in the way.
 */
function whyNotRestored(entry: RestoreEntry, subject: string): string | undefined {
  const { action, node } = entry;
  if (action === "fail") return entry.error?.message ?? "failed";
  if (action === "omit") return `${node.type}s are not restored`;
  if (action !== "refuse") return undefined;
  switch (entry.reason) {
    case "unsafe_name":
      return `unsafe name ${JSON.stringify(node.name)} in the snapshot; not restored`;
    case "needs_root":
      return `${node.type === "chardev" ? "character" : "block"} devices are restored as root only`;
    case "needs_ffi":
      return `its ${
        hasEscapedBytes(node.name) ? "name" : "link target"
      } holds bytes that are not UTF-8, which only the C library can write (grant --allow-ffi)`;
    case "not_a_folder":
      return `${subject}exists and is not a folder (use --overwrite to replace it)`;
    default:
      return node.type === "file"
        ? `${subject}exists and differs from the snapshot (use --overwrite to replace it)`
        : `${subject}exists (use --overwrite to replace it)`;
  }
}

/** JSON lines (docs/restore.md#json): entries, then one summary. */
function jsonReport(output: Output, id: string, dryRun: boolean): Report {
  const line = (value: Record<string, unknown>) => output.out(JSON.stringify(value) + "\n");
  return {
    entry: (entry) => line(entryJson(entry)),
    warning: ({ path, message }) => line({ message_type: "warning", ...pathJson("path", path), message }),
    summary: (target, counts, problems) =>
      line({
        message_type: "summary",
        dry_run: dryRun,
        snapshot_id: id,
        target,
        files: counts.files,
        dirs: counts.dirs,
        bytes: counts.bytes,
        skipped: counts.skipped,
        replaced: counts.replaced,
        problems,
      }),
  };
}

function entryJson(entry: RestoreEntry): Record<string, unknown> {
  const { node } = entry;
  return {
    message_type: "entry",
    action: entry.action,
    ...pathJson("path", entry.path),
    type: node.type,
    ...(entry.target !== undefined ? pathJson("target", entry.target) : {}),
    ...(node.type === "file" ? { size: node.size ?? 0 } : {}),
    ...(entry.reason !== undefined ? { reason: entry.reason } : {}),
    ...(entry.error !== undefined ? { error: { kind: entry.error.kind, message: entry.error.message } } : {}),
  };
}
