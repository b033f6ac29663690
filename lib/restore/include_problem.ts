// Include patterns that can match nothing: a restore given one would restore nothing, or less than asked,
// and say it succeeded. Their syntax is gitignore's, read as the `ignore` library reads it (git's rules).

/** An include pattern that can match nothing, and why, in words that name no flag. */
export interface IncludeProblem {
  pattern: string;
  problem: string;
}

/** The names git knows in a `[:name:]` class. */
const CHARACTER_CLASSES = new Set([
  "alnum",
  "alpha",
  "blank",
  "cntrl",
  "digit",
  "graph",
  "lower",
  "print",
  "punct",
  "space",
  "upper",
  "xdigit",
]);

/**
 * The first of `patterns` (gitignore syntax) that can match nothing, or undefined when each can match
 * something: an empty one or a comment (`#` first), `!` alone, one ending in a backslash that escapes
 * nothing, a `[` never closed, an unknown `[:class:]`, one of slashes only, and an exception (`!x`) with no
 * pattern before it to except from. Throws nothing.
 *
 * @example
 * ```ts
 * import { includeProblem } from "./include_problem.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(includeProblem(["*.txt", "!secret.txt", "a[]b]"]), undefined);
 * assert.equal(includeProblem(["*.txt", "[", ""])?.pattern, "[");
 * ```
 */
export function includeProblem(patterns: readonly string[]): IncludeProblem | undefined {
  let included = false;
  for (const pattern of patterns) {
    const problem = patternProblem(pattern) ??
      (pattern.startsWith("!") && !included
        ? `a pattern starting with "!" excepts paths from the patterns before it, and none comes before ` +
          `it (put it after them, or write "\\!" for a name that starts with "!")`
        : undefined);
    if (problem !== undefined) return { pattern, problem };
    if (!pattern.startsWith("!")) included = true;
  }
  return undefined;
}

function patternProblem(pattern: string): string | undefined {
  if (pattern.startsWith("#")) {
    return `a pattern starting with "#" is a comment, which matches nothing (write "\\#" for a name ` +
      `that starts with "#")`;
  }
  const negated = pattern.startsWith("!");
  const body = withoutTrailingSpaces(negated ? pattern.slice(1) : pattern);
  if (body === "") {
    return negated ? `"!" with no pattern after it matches nothing` : "an empty pattern matches nothing";
  }
  if (oddBackslashesAtEnd(body)) {
    return `it ends in a backslash that escapes nothing, so it matches nothing ` +
      `(write "\\\\" for a backslash)`;
  }
  if (body.endsWith("/") && oddBackslashesAtEnd(body.slice(0, -1))) {
    return `its final "/", which only marks a folder, is escaped, so it matches nothing`;
  }
  if (/^\/+$/.test(body)) return "a pattern of slashes only matches nothing";
  for (let i = 0; i < body.length; i++) {
    if (body[i] === "\\") i++;
    else if (body[i] === "[") {
      const closed = bracketEnd(body, i);
      if (typeof closed === "string") return closed;
      i = closed;
    }
  }
  return undefined;
}

/** `body` without the spaces at its end that are not escaped, which git drops. */
function withoutTrailingSpaces(body: string): string {
  let end = body.length;
  while (end > 0 && body[end - 1] === " " && !oddBackslashesAtEnd(body.slice(0, end - 1))) end--;
  return body.slice(0, end);
}

function oddBackslashesAtEnd(text: string): boolean {
  let count = 0;
  while (count < text.length && text[text.length - 1 - count] === "\\") count++;
  return count % 2 === 1;
}

/**
 * Where the bracket expression starting at `body[start]` ends (its `]`), read as git's `wildmatch.c`
 * reads it: a `]` first (after `!` or `^`) is a member, a backslash escapes the next character, a range's
 * end may be `]` only escaped, and `[:name:]` is a class. Why it can match nothing when it cannot.
 */
function bracketEnd(body: string, start: number): number | string {
  const unclosed = `its "[" at character ${start + 1} is never closed by "]", so it matches nothing ` +
    `(write "\\[" for the character)`;
  let i = start + 1;
  if (body[i] === "!" || body[i] === "^") i++;
  let rangeFrom = false; // the member before can start a range
  for (;;) {
    const char = body[i];
    if (char === undefined) return unclosed;
    if (char === "\\") {
      i++;
      rangeFrom = true;
    } else if (char === "-" && rangeFrom && i + 1 < body.length && body[i + 1] !== "]") {
      i += body[i + 1] === "\\" ? 2 : 1;
      rangeFrom = false;
    } else if (char === "[" && body[i + 1] === ":") {
      const end = body.indexOf("]", i + 2);
      if (end < 0) return unclosed;
      if (end > i + 2 && body[end - 1] === ":") {
        const name = body.slice(i + 2, end - 1);
        if (!CHARACTER_CLASSES.has(name)) {
          return `"[:${name}:]" is no character class (${[...CHARACTER_CLASSES].join(", ")}), so it ` +
            `matches nothing`;
        }
        i = end;
        rangeFrom = false;
      } else rangeFrom = true; // a plain "[": the ":" after it is the next member
    } else rangeFrom = true;
    i++;
    if (body[i] === "]") return i;
  }
}
