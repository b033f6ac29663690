// A key indented between two levels: YAML says only "all mapping items must start at the same column".
// Say which key it is, and the two indentations that would make sense of it.

import type { Position } from "./_yaml_source.ts";

/** A line of the file, as far as indentation goes. */
interface IndentedLine {
  /** 1-based. */
  number: number;
  indent: number;
  /** The key the line starts with, if it starts with one (`url:` → `url`). */
  key: string | undefined;
  /** The key has a value on the same line (`url: /srv`, not `nas:`). */
  hasValue: boolean;
}

/** Lines that say nothing about indentation: blank ones and comments. */
const SILENT = /^\s*(#.*)?$/;

/**
 * For a key on `lineNumber` indented more than its parent but less than the keys above it, where it is
 * (its first character) and what to do:
 * `key "password_file" is indented 3 spaces: indent it 4, like "url" on line 4, to put it in "nas"; or 2,
 * like "nas" on line 3, to put it beside "nas"`. For a key indented more than a key with a value just
 * above it: `key "tags" is indented 5 spaces: indent it 4, like "destinations" on line 8, to put it beside
 * "destinations"`. Undefined when the line is not such a key.
 */
export function misindentedKey(
  text: string,
  lineNumber: number,
): { position: Position; message: string } | undefined {
  const lines = text.split("\n");
  const line = describe(lines, lineNumber);
  if (line?.key === undefined) return undefined;
  let deeper: IndentedLine | undefined;
  for (let number = lineNumber - 1; number >= 1; number--) {
    const above = describe(lines, number);
    if (above === undefined) continue;
    if (above.indent === line.indent) return undefined; // a sibling: the problem is another one
    if (above.indent > line.indent) {
      if (above.key !== undefined && (deeper === undefined || above.indent <= deeper.indent)) deeper = above;
      continue;
    }
    if (above.key === undefined) return undefined;
    if (deeper === undefined) {
      // The line above holds a key with its value (`url: /srv`): nothing can nest under it, so this key is
      // meant beside it. (A key with no value on its line opens a mapping: deeper is then fine YAML.)
      if (!above.hasValue) return undefined;
      return {
        position: { line: lineNumber, column: line.indent + 1 },
        message: `key "${line.key}" is indented ${spaces(line.indent)}: indent it ${above.indent}, like ` +
          `"${above.key}" on line ${above.number}, to put it beside "${above.key}"`,
      };
    }
    const parent = above;
    return {
      position: { line: lineNumber, column: line.indent + 1 },
      message: `key "${line.key}" is indented ${spaces(line.indent)}: indent it ${deeper.indent}, like ` +
        `"${deeper.key}" on line ${deeper.number}, to put it in "${parent.key}"; or ${parent.indent}, like ` +
        `"${parent.key}" on line ${parent.number}, to put it beside "${parent.key}"`,
    };
  }
  return undefined;
}

/** The indentation and key of a line; undefined for a blank line or a comment. */
function describe(lines: readonly string[], number: number): IndentedLine | undefined {
  const text = lines[number - 1];
  if (text === undefined || SILENT.test(text)) return undefined;
  const indent = text.length - text.trimStart().length;
  const match = /^\s*([^\s#:"'{[\-][^:#]*?)\s*:(\s|$)/.exec(text);
  const rest = match === null ? "" : text.slice(match[0].length);
  return { number, indent, key: match?.[1], hasValue: !/^\s*(#.*)?$/.test(rest) };
}

function spaces(count: number): string {
  return count === 1 ? "1 space" : `${count} spaces`;
}
