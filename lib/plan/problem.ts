/**
 * A problem found in a plan file, and how to print it.
 *
 * @module
 */

/** How bad a problem is: errors make `validate` fail, warnings do not (unless promoted). */
export type Severity = "error" | "warning";

/** One problem at one place in one file. `line`/`column` are 1-based; absent when the file is unreadable. */
export interface Problem {
  file: string;
  line?: number;
  column?: number;
  /** Key path inside the file, e.g. `["plans", "web", "sources", 0]`. */
  path: readonly (string | number)[];
  severity: Severity;
  message: string;
}

/** `plans.web.sources[0]` */
export function formatKeyPath(path: readonly (string | number)[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? part : `.${part}`;
  }
  return out;
}

/** `plans/web.yaml:14:7: error: …` — the compiler-style line every editor and CI log understands. */
export function formatProblem(problem: Problem): string {
  const where = problem.line === undefined
    ? problem.file
    : `${problem.file}:${problem.line}:${problem.column}`;
  return `${where}: ${problem.severity}: ${problem.message}`;
}

/** Orders problems by file, then position, so output is stable. */
export function compareProblems(a: Problem, b: Problem): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0);
}
