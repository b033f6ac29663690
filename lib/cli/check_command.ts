// `kept check`: verifies a repository's structure, and with --read-data its contents; words what it found.

import { Option } from "@commander-js/extra-typings";
import { ExitCode, UsageError } from "../errors.ts";
import { check, type CheckProblem, type CheckResult, type ReadProgress } from "../check/mod.ts";
import { formatBytes } from "../plan/mod.ts";
import type { CommandKit, Program } from "./_command_kit.ts";
import { pathJson, snakeKeys } from "./_json.ts";
import { escapeName } from "./output.ts";
import { type ProgressState, terminalProgress } from "./_progress.ts";

/** Registers `kept check` on `program`. */
export function checkCommand(program: Program, kit: CommandKit): void {
  const { output, json, openNamed, setExitCode } = kit;
  program.command("check")
    .description("verify a repository's structure, and with --read-data its contents")
    .option("--destination <name>", "destination (needed when several are defined)")
    .addOption(new Option("--read-data", "read every pack and verify every blob").conflicts("readDataSubset"))
    .option("--read-data-subset <percent>", "read this share of the packs, e.g. 10%")
    .option("--json", "print the result as JSON")
    .action(async (options) => {
      const subset = options.readDataSubset === undefined ? undefined : parseSubset(options.readDataSubset);
      // Check lists every damaged file it meets as a problem: no warning for it at open as well.
      // Never through the local cache of remote metadata: check verifies what storage holds, and a copy
      // from an earlier run would hide damage done since (as restic's check, which uses a fresh cache).
      const { destination, repository } = await openNamed(options.destination, {
        damageWarnings: false,
        cache: false,
      });
      const readsData = (options.readData ?? false) || subset !== undefined;
      const progress = options.json || !readsData
        ? undefined
        : terminalProgress("checking", output, { quiet: kit.quiet(), env: kit.context.env });
      let result: CheckResult;
      try {
        result = await check(repository, {
          readData: options.readData ?? false,
          ...(subset !== undefined ? { readDataSubset: subset, random: Math.random } : {}),
          ...(progress
            ? { onProgress: (read: ReadProgress) => progress.line.update(packProgress(read)) }
            : {}),
        });
      } finally {
        progress?.stop();
      }
      const errors = result.problems.filter((problem) => problem.severity === "error").map(describeProblem);
      const warnings = result.problems.filter((problem) => problem.severity === "warning").map(
        describeProblem,
      );
      const info = result.problems.filter((problem) => problem.severity === "info").map(describeProblem);
      const hints = hintsFor(result.problems);
      if (options.json) {
        const { problems, ...counts } = result;
        const { damagedPacks, affected } = damageSummary(result);
        json({
          destination: destination.name,
          ...snakeKeys(counts) as object,
          problems: problems.map(problemJson),
          errors,
          warnings,
          info,
          hints,
          damaged_packs: damagedPacks,
          affected,
        });
      } else {
        if (!kit.quiet()) { for (const line of info) output.err(`info: ${line}\n`); }
        for (const warning of warnings) output.err(`warning: ${warning}\n`);
        for (const error of errors) output.out(`error: ${error}\n`);
        for (const hint of hints) output.err(`hint: ${hint}\n`);
        kit.say(
          `${destination.name}: ${
            result.ok ? "no errors" : `${errors.length} errors`
          } in ${result.snapshots} snapshots, ${result.packs} packs` +
            `${result.packsRead ? ` (${result.packsRead} read)` : ""}\n`,
        );
      }
      if (!result.ok) setExitCode(ExitCode.failure);
    });
}

/** The progress line of reading packs: all of them are known before the first is read. */
function packProgress(read: ReadProgress): ProgressState {
  return {
    unit: "packs",
    done: read.packsRead,
    total: read.packsToRead,
    bytesDone: read.bytesRead,
    bytesTotal: read.bytesToRead,
    totalsFinal: true,
  };
}

/** `--read-data-subset` as a fraction: "10%" or "10" is 0.1. */
function parseSubset(value: string): number {
  const match = /^(\d+(?:\.\d+)?)%?$/.exec(value);
  const percent = match ? Number(match[1]) : NaN;
  if (!(percent > 0 && percent <= 100)) {
    throw new UsageError(`Invalid --read-data-subset "${value}": give a percentage like 10%`);
  }
  return percent / 100;
}

/**
 * The fields `--json` printed before problems were typed, kept for scripts: the damaged or missing packs,
 * and snapshot id → the paths they can no longer restore.
 */
function damageSummary(result: CheckResult): { damagedPacks: string[]; affected: Record<string, string[]> } {
  const damagedPacks: string[] = [];
  const affected: Record<string, string[]> = {};
  for (const problem of result.problems) {
    if (
      problem.kind === "pack-missing" || problem.kind === "pack-damaged" ||
      problem.kind === "pack-unreadable" ||
      problem.kind === "pack-size"
    ) damagedPacks.push(problem.pack);
    if (problem.kind === "snapshot-damaged") affected[problem.snapshot] = problem.paths.map(damagedPathText);
  }
  return { damagedPacks, affected };
}

/**
 * A problem for `--json`: its fields in snake_case, and each path or name that is not UTF-8 in its escaped
 * text form with `path_bytes` or `name_bytes` beside it (docs/json.md#names), never as lone surrogates.
 */
function problemJson(problem: CheckProblem): unknown {
  const fields = snakeKeys(problem) as Record<string, unknown>;
  switch (problem.kind) {
    case "unsafe-name":
    case "duplicate-name":
      return { ...fields, ...pathJson("path", problem.path), ...pathJson("name", problem.name) };
    case "tree-unreadable":
      return { ...fields, ...pathJson("path", problem.path) };
    case "snapshot-damaged":
      return {
        ...fields,
        paths: problem.paths.map((damaged) => ({ ...pathJson("path", damaged.path), what: damaged.what })),
      };
    default:
      return fields;
  }
}

/** One problem as one line (without its "error:" or "warning:"). */
function describeProblem(problem: CheckProblem): string {
  switch (problem.kind) {
    case "pack-missing":
      return `pack ${problem.pack} is in the index but missing from storage`;
    case "pack-unindexed":
      return problem.indexMayFix
        ? `pack ${problem.pack} is not in any index: it may hold data the snapshots miss`
        : `pack ${problem.pack} is not in any index (prune removes it once it is a day old)`;
    case "pack-damaged": {
      const parts = problem.damagedBlobs.map((id) => `blob ${id.slice(0, 12)} is damaged`);
      if (problem.hashMismatch) parts.push("content does not match its name (SHA-256)");
      if (problem.headerDamaged) parts.push("header is damaged");
      return `pack ${problem.pack}: ${parts.join("; ")}`;
    }
    case "pack-unreadable":
      return `pack ${problem.pack}: cannot be read: ${problem.reason}`;
    case "pack-size":
      return `pack ${problem.pack}: unexpected size ${problem.size} bytes, the index implies ${problem.expected}`;
    case "file-damaged":
      return `${problem.reason}: left out`;
    case "snapshots-unreadable":
      return `cannot read snapshots: ${problem.reason}`;
    case "unsafe-name":
      return `${escapeName(problem.path)}: unsafe name "${escapeName(problem.name)}" in folder listing ${
        problem.tree.slice(0, 12)
      }`;
    case "duplicate-name":
      return `${escapeName(problem.path)}: folder listing ${problem.tree.slice(0, 12)} lists "${
        escapeName(problem.name)
      }" twice`;
    case "tree-unreadable":
      return `tree ${problem.tree.slice(0, 12)} at ${escapeName(problem.path)}: ${problem.reason}`;
    case "snapshot-damaged":
      return `snapshot ${problem.snapshot.slice(0, 12)} has damaged or missing data in: ${
        problem.paths.map(damagedPathText).join(", ")
      }`;
    case "leftovers":
      return describeLeftovers(problem.files, problem.bytes);
    case "leftovers-unreadable":
      return `cannot look for temporary files: ${problem.reason}`;
    case "unused-data": {
      const whole = problem.packs.length === 1 ? "1 pack holds" : `${problem.packs.length} packs hold`;
      return `${problem.blobs} index entries (${formatBytes(problem.bytes)}) are used by no snapshot; ` +
        `${whole} nothing else (\`kept prune\` frees this space)`;
    }
  }
}

/**
 * What to do about what check found, one line each, the first to do first (docs/repair.md): with packs stored
 * but in no index while snapshots miss data, `kept repair index` may mend every error, and those packs are
 * no longer only space for prune.
 */
function hintsFor(problems: readonly CheckProblem[]): string[] {
  const hints: string[] = [];
  const unindexed = problems.filter((problem) => problem.kind === "pack-unindexed" && problem.indexMayFix);
  const damagedIndex = problems.some((problem) =>
    problem.kind === "file-damaged" && problem.file === "index"
  );
  const missing = problems.some((problem) => problem.kind === "pack-missing");
  if (unindexed.length > 0) {
    const stored = unindexed.length === 1 ? "1 pack is stored" : `${unindexed.length} packs are stored`;
    hints.push(`${stored} but in no index: run \`kept repair index\` first, then \`kept check\` again`);
  } else if (damagedIndex) {
    hints.push("run `kept repair index`: it replaces the damaged index files, then `kept check` again");
  } else if (missing) {
    hints.push("packs the index names are not stored: run `kept repair index`, then back up again");
  }
  // Damaged or cut short: their intact blobs are kept, the rest dropped from the index.
  const damaged = problems.flatMap((problem) =>
    problem.kind === "pack-size" || problem.kind === "pack-damaged" ? [problem.pack] : []
  );
  if (damaged.length > 0) {
    hints.push(
      `\`kept repair packs ${
        damaged.join(" ")
      }\` keeps the intact blobs of damaged packs, then back up again`,
    );
  }
  if (hints.length === 0 && problems.some((problem) => problem.kind === "snapshot-damaged")) {
    hints.push(
      "no repair brings back the data these snapshots miss: back up again while the sources hold it",
    );
  }
  const snapshots = problems.flatMap((problem) =>
    problem.kind === "file-damaged" && problem.file === "snapshots" ? [problem.name] : []
  );
  if (snapshots.length > 0) {
    hints.push(
      `a damaged snapshot file is lost (and stops prune): remove it with \`kept forget --snapshot ${
        snapshots.join(" ")
      }\``,
    );
  }
  return hints;
}

/** A damaged path as a line of text writes it: escaped as `ls` writes names, a folder's listing marked. */
function damagedPathText(damaged: { path: string; what: "file" | "folder-listing" }): string {
  const path = escapeName(damaged.path);
  return damaged.what === "file" ? path : `${path} (folder listing)`;
}

function describeLeftovers(files: readonly string[], bytes: number): string {
  const shown = files.slice(0, 5).join(", ");
  const more = files.length > 5 ? ` and ${files.length - 5} more` : "";
  const count = files.length === 1 ? "1 temporary file" : `${files.length} temporary files`;
  return `${count} (${formatBytes(bytes)}) left by interrupted writes, or being written by a backup ` +
    `running now: ${shown}${more} (a backup removes them once they are a day old)`;
}
