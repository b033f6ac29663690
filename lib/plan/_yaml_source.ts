// Parses one plan file into plain values plus a map from key paths back to line:column positions, so that
// every later problem (schema, cross-reference, interpolation) can name the exact spot in the file.

import { isAlias, isCollection, isMap, isPair, isScalar, isSeq, Lexer, parseDocument } from "yaml";
import type { Document, Node as YamlNode, YAMLError, YAMLMap, YAMLWarning } from "yaml";
import type { Problem } from "./problem.ts";
import { misindentedKey } from "./_indentation.ts";

/** A path into the parsed value: object keys and array indices. */
export type KeyPath = readonly (string | number)[];

/** 1-based line and column. */
export interface Position {
  line: number;
  column: number;
}

/** Where one node stands in the source text (offsets), and where its children stand. */
interface Located {
  /** The key, for an entry of a mapping. */
  key?: number;
  value: number;
  /**
   * The value is a block mapping or sequence, or empty: a problem with the value as a whole reads best
   * at its key (`retention:`), not at its first child or at the end of the line.
   */
  preferKey: boolean;
  children?: Map<string | number, Located>;
  /** The value of a merge key (`<<: *defaults`): where keys this mapping does not write come from. */
  merge?: number;
}

/** Plan files are small; anything bigger is a mistake, and refusing it keeps the parser fast. */
export const MAX_PLAN_FILE_BYTES = 1024 * 1024;

/** Plans use a few aliases at most (shared settings); resolving many is slow in the yaml library. */
const MAX_ALIASES = 1000;

/** Plans never nest deeper than a few levels; past this the position map stops descending. */
const MAX_DEPTH = 64;

/** The parsed content of one file and a way to find positions in it. */
export class YamlSource {
  readonly file: string;
  readonly value: unknown;
  #root: Located;
  #toPosition: (offset: number) => Position;

  constructor(file: string, value: unknown, root: Located, toPosition: (offset: number) => Position) {
    this.file = file;
    this.value = value;
    this.#root = root;
    this.#toPosition = toPosition;
  }

  /**
   * Position of the node at `path`: the key for `at: "key"` (unknown or duplicate keys) and for values
   * that span several lines, the value otherwise. Falls back to the nearest ancestor that has a position
   * (e.g. keys merged with `<<`, or a missing key: then the mapping that lacks it).
   */
  positionOf(path: KeyPath, at: "key" | "value" = "value"): Position {
    let located = this.#root;
    let complete = true;
    for (const part of path) {
      const child = located.children?.get(part);
      if (!child) {
        if (located.merge !== undefined) return this.#toPosition(located.merge);
        complete = false;
        break;
      }
      located = child;
    }
    if (located.key !== undefined && ((at === "key" && complete) || located.preferKey)) {
      return this.#toPosition(located.key);
    }
    return this.#toPosition(located.value);
  }

  /** The keys the file writes in the mapping at `path`, in file order, each with its position. */
  keysOf(path: KeyPath): { key: string; position: Position }[] {
    let located: Located | undefined = this.#root;
    for (const part of path) located = located?.children?.get(part);
    const keys: { key: string; position: Position }[] = [];
    for (const [key, child] of located?.children ?? []) {
      if (typeof key === "string" && child.key !== undefined) {
        keys.push({ key, position: this.#toPosition(child.key) });
      }
    }
    return keys;
  }

  /** True when the file itself contains `path` (not just inherited through a merge key). */
  has(path: KeyPath): boolean {
    let located: Located | undefined = this.#root;
    for (const part of path) {
      located = located.children?.get(part);
      if (!located) return false;
    }
    return true;
  }
}

/**
 * The document's value, or why it has none, where: an alias with no anchor, a merge key whose value is no
 * mapping, too many aliases.
 */
function jsValue(
  doc: Document.Parsed,
  toPosition: (offset: number) => Position,
): { value: unknown } | { message: string; position?: Position | undefined } {
  try {
    return { value: doc.toJS({ maxAliasCount: 100 }) };
  } catch (error) {
    const alias = /^Unresolved alias.*: (.*)$/.exec(error instanceof Error ? error.message : "")?.[1];
    if (alias !== undefined) {
      const node = findAlias(doc, alias);
      return {
        message: `"*${alias}" is read as an alias, but no anchor "&${alias}" is defined above it; ` +
          `if you meant the text, quote it: "*${alias}"`,
        position: node?.range ? toPosition(node.range[0]) : undefined,
      };
    }
    const merge = badMerge(doc);
    if (merge !== undefined) return { message: merge.message, position: toPosition(merge.offset) };
    const bomb = error instanceof Error && /alias count/i.test(error.message);
    const first = bomb ? findAlias(doc) : undefined;
    return { message: parserFailure(error), position: first?.range ? toPosition(first.range[0]) : undefined };
  }
}

/**
 * Parses YAML text. Returns the source, or the problems that make the file unreadable (syntax errors,
 * binary content, too large, too deeply nested, alias bombs). Never throws for bad input.
 */
export function parseYamlSource(
  file: string,
  bytes: Uint8Array,
): { source?: YamlSource; problems: Problem[] } {
  // A problem of the file as a whole (too large, not UTF-8, not YAML at all) has no line and column.
  const fail = (message: string, position?: Position) => ({
    problems: [{ file, ...position, path: [], severity: "error" as const, message }],
  });
  const text = decodePlanText(bytes);
  if (typeof text !== "string") return fail(text.message, text.position);

  const toPosition = positionsIn(text);
  let doc: Document.Parsed;
  try {
    // uniqueKeys is checked by our own walk below: the library's check is quadratic in the key count.
    doc = parseDocument(text, {
      prettyErrors: false,
      uniqueKeys: false,
      merge: true,
      logLevel: "error",
    });
  } catch (error) {
    return fail(parserFailure(error));
  }
  if (doc.errors.length > 0) return { problems: syntaxProblems(file, text, doc.errors, toPosition) };
  // `%YAML 1.1` would switch the file to YAML 1.1's rules (`yes` and `no` are booleans there): plans are 1.2.
  if (doc.directives?.yaml.explicit && doc.directives.yaml.version !== "1.2") {
    return fail(
      `"%YAML ${doc.directives.yaml.version}": plan files are read as YAML 1.2; remove the directive`,
      toPosition(text.indexOf("%YAML")),
    );
  }
  // Warnings are values the library could not read as written (`!include`, `!!str` on a list), which it
  // then reads some other way: the plan would not say what the file says.
  if (doc.warnings.length > 0) {
    return { problems: doc.warnings.map((warning) => warningProblem(file, warning, toPosition)) };
  }

  const aliases = countAliases(doc, MAX_ALIASES + 1);
  if (aliases.count > MAX_ALIASES) {
    return fail(
      `file uses more than ${MAX_ALIASES} aliases ("*name"): plan files are limited to ${MAX_ALIASES}`,
      aliases.last?.range ? toPosition(aliases.last.range[0]) : undefined,
    );
  }

  const converted = jsValue(doc, toPosition);
  if ("message" in converted) return fail(converted.message, converted.position);
  const { value } = converted;

  const root = doc.contents as YamlNode | null;
  const located = new NodeLocator(file, toPosition);
  const rootLocated: Located = { value: root?.range?.[0] ?? 0, preferKey: false };
  located.walk(root, rootLocated, [], 0);
  if (located.problems.length > 0) return { problems: located.problems };
  const source = new YamlSource(file, value, rootLocated, toPosition);
  const odd = unplainValue(value, [], 0);
  if (odd !== undefined) {
    return {
      problems: [{
        file,
        ...source.positionOf(odd.path),
        path: odd.path,
        severity: "error",
        message:
          `this value is ${odd.what}, which a plan file cannot hold: remove the tag and write a plain ` +
          `mapping, list or text`,
      }],
    };
  }
  return { source, problems: [] };
}

/**
 * The first value that is not plain data (mapping, list, text, number, true/false, null) and the kind
 * of value it is: what `!!omap`, `!!pairs`, `!!set`, `!!binary` and `!!timestamp` give.
 */
function unplainValue(
  value: unknown,
  path: (string | number)[],
  depth: number,
): { path: (string | number)[]; what: string } | undefined {
  if (value === null || typeof value !== "object" || depth > MAX_DEPTH) return undefined;
  if (value instanceof Map) return { path, what: "an ordered mapping (!!omap or !!pairs)" };
  if (value instanceof Set) return { path, what: "a set (!!set)" };
  if (value instanceof Uint8Array) return { path, what: "binary data (!!binary)" };
  if (value instanceof Date) return { path, what: "a timestamp (!!timestamp)" };
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = unplainValue(item, [...path, index], depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return { path, what: "not plain data" };
  for (const [key, item] of Object.entries(value)) {
    const found = unplainValue(item, [...path, key], depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** A warning of the yaml library as an error of ours, said in our words where we know it. */
function warningProblem(
  file: string,
  warning: YAMLWarning,
  toPosition: (offset: number) => Position,
): Problem {
  const tag = /^Unresolved tag: (.*)$/.exec(warning.message)?.[1];
  const shown = tag?.replace(/^tag:yaml\.org,2002:/, "!!");
  let message: string;
  if (shown === undefined) {
    message = warning.message.charAt(0).toLowerCase() + warning.message.slice(1).replace(/\.$/, "");
  } else if (shown.startsWith("!!")) {
    message = `the tag "${shown}" does not fit this value: remove it`;
  } else {
    message = `unknown tag "${shown}": plan files take no tags such as !include or !env; write the value ` +
      "itself (${NAME} reads an environment variable)";
  }
  return { file, ...toPosition(warning.pos[0]), path: [], severity: "error", message };
}

/**
 * The merge key (`<<`) whose value is not a mapping, an alias of one, or a list of those, and why: the yaml
 * library only says "Merge sources must be maps or map aliases", without a place.
 */
function badMerge(doc: Document.Parsed): { offset: number; message: string } | undefined {
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isPair(node)) {
      if (isScalar(node.key) && typeof node.key.value === "symbol") {
        const value = node.value as YamlNode | null;
        const keyOffset = node.key.range?.[0] ?? 0;
        const offset = (item: YamlNode | null) => item?.range?.[0] ?? keyOffset;
        // A list of sources may be written out or be an alias of one (then the alias is the place to fix).
        const list = isAlias(value) ? value.resolve(doc) : undefined;
        if (isAlias(value) && isSeq(list)) {
          if (list.items.some((item) => mergeSourceProblem(doc, item as YamlNode | null) !== undefined)) {
            return {
              offset: offset(value),
              message:
                `"<<: *${value.source}" names a list, and not all of its items are mappings; ${MERGE_USAGE}`,
            };
          }
        } else {
          for (const item of isSeq(value) ? value.items as (YamlNode | null)[] : [value]) {
            const problem = mergeSourceProblem(doc, item);
            if (problem !== undefined) return { offset: offset(item), message: problem };
          }
        }
      }
      stack.push(node.value, node.key);
    } else if (isCollection(node)) {
      for (let index = node.items.length - 1; index >= 0; index--) stack.push(node.items[index]);
    }
  }
  return undefined;
}

const MERGE_USAGE =
  `"<<" merges a mapping into this one: write "<<: *name" with an anchor "&name" on a mapping`;

/** Why `node` cannot be merged into a mapping with `<<`, or undefined when it can. */
function mergeSourceProblem(doc: Document.Parsed, node: YamlNode | null): string | undefined {
  if (isAlias(node)) {
    const target = node.resolve(doc);
    if (target === undefined) {
      return `"<<: *${node.source}" names no anchor: no "&${node.source}" is defined above it; ${MERGE_USAGE}`;
    }
    return isMap(target)
      ? undefined
      : `"<<: *${node.source}" names a ${kindOf(target)}, not a mapping; ${MERGE_USAGE}`;
  }
  return isMap(node) ? undefined : `"<<" is given a ${kindOf(node)}, not a mapping; ${MERGE_USAGE}`;
}

function kindOf(node: unknown): string {
  if (isSeq(node)) return "list";
  if (isScalar(node)) return node.value === null ? "empty value" : `${typeof node.value} value`;
  return "value";
}

/** The text of a plan file, or why it is not text a plan can be (too large, not UTF-8, binary). */
function decodePlanText(bytes: Uint8Array): string | { message: string; position?: Position } {
  if (bytes.length > MAX_PLAN_FILE_BYTES) {
    return { message: "file is larger than 1 MiB, the limit for a plan file: is it the right file?" };
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { message: "file is not UTF-8 text: is it a binary file?" };
  }
  const nul = text.indexOf("\0");
  if (nul >= 0) {
    const before = text.slice(0, nul).split("\n");
    return {
      message: "file contains a NUL byte: it is binary, not YAML",
      position: { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 },
    };
  }
  return text;
}

/**
 * Records where each key and value of a parsed document stands, for error positions, and finds the keys
 * that are not plain names or are defined twice.
 */
class NodeLocator {
  readonly problems: Problem[] = [];
  #file: string;
  #toPosition: (offset: number) => Position;

  constructor(file: string, toPosition: (offset: number) => Position) {
    this.#file = file;
    this.#toPosition = toPosition;
  }

  walk(node: unknown, located: Located, path: (string | number)[], depth: number): void {
    // An alias's content stands at its anchor: problems inside it are reported at the alias itself.
    if (depth > MAX_DEPTH || isAlias(node)) return;
    if (isMap(node)) this.#walkMap(node, located, path, depth);
    else if (isSeq(node)) {
      located.children = new Map();
      const children = located.children;
      node.items.forEach((item, index) => {
        const range = (item as YamlNode | null)?.range;
        const child: Located = { value: range ? range[0] : located.value, preferKey: false };
        children.set(index, child);
        this.walk(item, child, [...path, index], depth + 1);
      });
    }
  }

  #walkMap(node: YAMLMap, located: Located, path: (string | number)[], depth: number): void {
    const seen = new Map<string, number>();
    located.children = new Map();
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key as YamlNode | null;
      const keyOffset = keyNode?.range?.[0] ?? node.range?.[0] ?? 0;
      if (!isScalar(keyNode)) {
        this.#problem(keyOffset, path, "a key must be a plain name, not a list, mapping or alias");
        continue;
      }
      // The same string the yaml library uses as the key of the JavaScript object.
      const key = keyNode.value === null ? "" : String(keyNode.value);
      if (typeof keyNode.value === "symbol") {
        // Merge key: its entries have no place of their own here; problems with them point at it.
        const merged = (pair.value as YamlNode | null)?.range?.[0];
        if (merged !== undefined) located.merge ??= merged;
        continue;
      }
      if (key === "__proto__") {
        // A JavaScript object cannot hold it as a key: the plan or setting would vanish without a word.
        this.#problem(keyOffset, path, `"__proto__" cannot be used as a key or a name`);
        continue;
      }
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        const first = this.#toPosition(earlier).line;
        this.#problem(keyOffset, [...path, key], `duplicate key "${key}" (first defined at line ${first})`);
      }
      seen.set(key, keyOffset);
      const valueNode = pair.value as YamlNode | null;
      const child: Located = {
        key: keyOffset,
        value: valueNode?.range && !isEmpty(valueNode) ? valueNode.range[0] : keyOffset,
        preferKey: valueNode === null || isEmpty(valueNode) || isBlockCollection(valueNode),
      };
      located.children.set(key, child);
      this.walk(valueNode, child, [...path, key], depth + 1);
    }
  }

  #problem(offset: number, path: (string | number)[], message: string): void {
    this.problems.push({ file: this.#file, ...this.#toPosition(offset), path, severity: "error", message });
  }
}

/**
 * Turns offsets into line and column, lines ending at "\n". (The yaml library's LineCounter misses the
 * line breaks inside some tokens after a syntax error, and then names lines past the end of the file.)
 */
function positionsIn(text: string): (offset: number) => Position {
  const starts = [0];
  for (let index = text.indexOf("\n"); index >= 0; index = text.indexOf("\n", index + 1)) {
    starts.push(index + 1);
  }
  return (offset) => {
    const clamped = Math.max(0, Math.min(offset, text.length));
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (starts[middle]! <= clamped) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: clamped - starts[low]! + 1 };
  };
}

/** A null scalar written as nothing at all (`key:` at the end of a line). */
function isEmpty(node: YamlNode): boolean {
  return isScalar(node) && node.value === null && (node.source === "" || node.source === undefined);
}

function isBlockCollection(node: YamlNode): boolean {
  return isCollection(node) && !node.flow;
}

/**
 * Counts alias nodes up to `stop`, without recursion (the document may be deep). The yaml library
 * resolves each alias by scanning every anchor and alias before it: quadratic, so their number is capped.
 */
function countAliases(doc: Document.Parsed, stop: number): { count: number; last?: YamlNode } {
  const stack: unknown[] = [doc.contents];
  let count = 0;
  while (stack.length > 0) {
    const node = stack.pop();
    if (isAlias(node)) {
      if (++count >= stop) return { count, last: node };
    } else if (isPair(node)) {
      stack.push(node.value, node.key);
    } else if (isCollection(node)) {
      for (let index = node.items.length - 1; index >= 0; index--) stack.push(node.items[index]);
    }
  }
  return { count };
}

/** The first alias (named `name`, if given), found without recursion (the document may be deep). */
function findAlias(doc: Document.Parsed, name?: string): YamlNode | undefined {
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isAlias(node)) {
      if (name === undefined || node.source === name) return node;
    } else if (isPair(node)) {
      stack.push(node.value, node.key);
    } else if (isCollection(node)) {
      for (let index = node.items.length - 1; index >= 0; index--) stack.push(node.items[index]);
    }
  }
  return undefined;
}

/** One problem per line at most: later errors on a line are usually echoes of the first. */
function syntaxProblems(
  file: string,
  text: string,
  errors: YAMLError[],
  toPosition: (offset: number) => Position,
): Problem[] {
  const problems: Problem[] = [];
  const lines = new Set<number>();
  const multiline = new Set(
    errors.filter((error) => error.code === "MULTILINE_IMPLICIT_KEY").map((error) => error.pos[0]),
  );
  for (const error of errors) {
    // "Nested mappings are not allowed in compact mappings" is an echo of a key that runs over lines.
    if (error.code === "BLOCK_AS_IMPLICIT_KEY" && multiline.has(error.pos[0])) continue;
    const quote = error.code === "MISSING_CHAR" ? /closing (["'])quote/.exec(error.message)?.[1] : undefined;
    const at = toPosition(quote === undefined ? error.pos[0] : openingQuote(text, quote) ?? error.pos[0]);
    // "All mapping items must start at the same column": name the key, and the indentations that work.
    const misindented = error.code === "BAD_INDENT" ? misindentedKey(text, at.line) : undefined;
    const position = misindented?.position ?? at;
    if (lines.has(position.line)) continue;
    lines.add(position.line);
    problems.push({
      file,
      ...position,
      path: [],
      severity: "error",
      message: misindented?.message ?? syntaxMessage(error, text, toPosition),
    });
    if (/call stack/i.test(error.message)) break; // one "too deep" is enough
  }
  return problems;
}

/**
 * Where an unterminated quoted value starts: the yaml library reports the end of the file, where the
 * closing quote was missed, but the mistake is where the quote was opened.
 */
function openingQuote(text: string, quote: string): number | undefined {
  let offset = 0;
  for (const token of new Lexer().lex(text)) {
    // Document start, flow end and scalar markers are the lexer's own: they take no room in the text.
    if (token === "\x02" || token === "\x18" || token === "\x1f") continue;
    if (token.startsWith(quote) && offset + token.length === text.length) return offset;
    offset += token.length;
  }
  return undefined;
}

/** The yaml library's message, made to read like ours and to say what to do. */
function syntaxMessage(error: YAMLError, text: string, toPosition: (offset: number) => Position): string {
  if (/call stack/i.test(error.message)) return "YAML is nested too deeply";
  const first = error.message.split("\n")[0] ?? error.message;
  const plain = first.replace(/ at line \d+, column \d+:?$/, "").replace(/\.$/, "");
  const message = plain.charAt(0).toLowerCase() + plain.slice(1);
  switch (error.code) {
    case "MULTIPLE_DOCS":
      return `file contains more than one YAML document ("---"): a plan file holds exactly one`;
    case "MULTILINE_IMPLICIT_KEY": {
      const start = toPosition(error.pos[0]).line;
      const end = toPosition(error.pos[1]).line;
      if (end === start) return message;
      return `a key must fit on one line, but this one runs on to line ${end}: ` +
        `check the indentation of line ${end} and that each ":" is followed by a space`;
    }
    case "BLOCK_AS_IMPLICIT_KEY":
      return message.startsWith("nested mappings")
        ? `unexpected ": " inside a value: quote the value, or start a nested mapping on a new line`
        : message;
    case "BAD_SCALAR_START": {
      const value = /^[^\n#,\]}]*/.exec(text.slice(error.pos[0]))?.[0].trim() ?? "";
      return `${message}: quote the value${value === "" ? "" : `: ${JSON.stringify(value)}`}`;
    }
    case "BAD_INDENT": {
      const flow = /^flow (sequence|map) in block collection/.exec(message)?.[1];
      if (flow === undefined) return message;
      const [open, close, what] = flow === "map" ? ["{", "}", "mapping"] : ["[", "]", "list"];
      return `a ${what} opened with "${open}" is not closed before this line: ` +
        `end it with "${close}", and indent its continued lines more than its key`;
    }
    case "UNEXPECTED_TOKEN": {
      // "unexpected map-value-ind token in YAML stream: \":\"" names the lexer's token kind: say just the text.
      if (message.startsWith("unexpected alias")) return starInValue(text, error.pos[0]);
      const token = /token in YAML stream: (.*)$/.exec(message)?.[1];
      return token === undefined ? message : `unexpected ${token} here: check this line and the one above`;
    }
    case "TAB_AS_INDENT":
      return `${message}: indent with spaces`;
    case "MISSING_CHAR": {
      const quote = /closing (["'])quote/.exec(message)?.[1];
      if (quote === undefined) return message;
      return `missing closing ${quote} quote: the value quoted here runs on to the end of the file`;
    }
    default:
      return message;
  }
}

/**
 * An unquoted cron schedule or glob with "* " in it: every "*" after a space starts a YAML alias ("*name"),
 * and the yaml library only says "unexpected alias at node end". Says to quote the value, shown with its
 * key (a list item's dash and a comment stay outside the quotes).
 */
function starInValue(text: string, offset: number): string {
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  const lineEnd = text.indexOf("\n", lineStart);
  const line = text.slice(lineStart, lineEnd < 0 ? undefined : lineEnd).replace(/\s+#.*$/, "").trim()
    .replace(/^- +/, "");
  const colon = line.indexOf(": ");
  const key = colon < 0 ? "" : line.slice(0, colon).trim();
  const value = line.slice(colon < 0 ? 0 : colon + 2).trim();
  return `a "*" after a space starts a YAML alias ("*name"), so this value is not text: quote it: ` +
    (key === "" ? JSON.stringify(value) : `${key}: ${JSON.stringify(value)}`);
}

function parserFailure(error: unknown): string {
  if (error instanceof RangeError && /call stack/i.test(error.message)) return "YAML is nested too deeply";
  if (error instanceof Error && /alias count/i.test(error.message)) {
    return "YAML expands too many aliases (a billion-laughs style alias bomb)";
  }
  return `cannot parse YAML: ${error instanceof Error ? error.message : String(error)}`;
}
