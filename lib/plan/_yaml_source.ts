// Parses one plan file into plain values plus a map from key paths back to line:column positions, so that
// every later problem (schema, cross-reference, interpolation) can name the exact spot in the file.

import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import type { Document, Node as YamlNode } from "yaml";
import type { Problem } from "./problem.ts";

/** A path into the parsed value: object keys and array indices. */
export type KeyPath = readonly (string | number)[];

/** 1-based line and column. */
export interface Position {
  line: number;
  column: number;
}

/** Where a key and its value stand in the source text. */
interface Located {
  key?: Position;
  value: Position;
}

/** Plan files are small; anything bigger is a mistake, and refusing it keeps the parser fast. */
export const MAX_PLAN_FILE_BYTES = 1024 * 1024;

/** Plans never nest deeper than a few levels; past this the position map stops descending. */
const MAX_DEPTH = 64;

/** The parsed content of one file and a way to find positions in it. */
export class YamlSource {
  readonly file: string;
  readonly value: unknown;
  #positions = new Map<string, Located>();

  constructor(file: string, value: unknown, positions: Map<string, Located>) {
    this.file = file;
    this.value = value;
    this.#positions = positions;
  }

  /**
   * Position of the node at `path`: the key for `at: "key"` (unknown or duplicate keys), the value
   * otherwise. Falls back to the nearest ancestor that has a position (e.g. keys merged with `<<`).
   */
  positionOf(path: KeyPath, at: "key" | "value" = "value"): Position {
    for (let length = path.length; length >= 0; length--) {
      const located = this.#positions.get(pathKey(path.slice(0, length)));
      if (!located) continue;
      if (at === "key" && length === path.length && located.key) return located.key;
      return located.value;
    }
    return { line: 1, column: 1 };
  }

  /** True when the file itself contains `path` (not just inherited through a merge key). */
  has(path: KeyPath): boolean {
    return this.#positions.has(pathKey(path));
  }
}

function pathKey(path: KeyPath): string {
  return JSON.stringify(path);
}

/**
 * Parses YAML text. Returns the source, or the problems that make the file unreadable (syntax errors,
 * binary content, too large, too deeply nested, alias bombs). Never throws for bad input.
 */
export function parseYamlSource(
  file: string,
  bytes: Uint8Array,
): { source?: YamlSource; problems: Problem[] } {
  const fail = (message: string, position: Position = { line: 1, column: 1 }) => ({
    problems: [{ file, ...position, path: [], severity: "error" as const, message }],
  });
  if (bytes.length > MAX_PLAN_FILE_BYTES) {
    return fail(`file is too large for a plan (${bytes.length} bytes; the limit is ${MAX_PLAN_FILE_BYTES})`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return fail("file is not UTF-8 text");
  }
  const nul = text.indexOf("\0");
  if (nul >= 0) {
    const before = text.slice(0, nul).split("\n");
    return fail("file contains a NUL byte: it is binary, not YAML", {
      line: before.length,
      column: (before.at(-1)?.length ?? 0) + 1,
    });
  }

  const lineCounter = new LineCounter();
  let doc: Document.Parsed;
  try {
    // uniqueKeys is checked by our own walk below: the library's check is quadratic in the key count.
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false, merge: true });
  } catch (error) {
    return fail(parserFailure(error));
  }
  const toPosition = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  if (doc.errors.length > 0) {
    const problems: Problem[] = [];
    for (const error of doc.errors) {
      problems.push({
        file,
        ...toPosition(error.pos[0]),
        path: [],
        severity: "error",
        message: yamlMessage(error.message),
      });
      if (/call stack/i.test(error.message)) break; // one "too deep" is enough
    }
    return { problems };
  }

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return fail(parserFailure(error));
  }

  const positions = new Map<string, Located>();
  const problems: Problem[] = [];
  const walk = (node: unknown, path: (string | number)[], depth: number) => {
    if (depth > MAX_DEPTH) return;
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const seen = new Map<string, Position>();
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const keyNode = pair.key as YamlNode | null;
        const key = isScalar(keyNode) ? String(keyNode.value) : undefined;
        if (key === undefined) continue;
        if (key === "<<") continue; // merge key: its entries have no place of their own here
        const keyPosition = toPosition(keyNode?.range?.[0] ?? 0);
        const earlier = seen.get(key);
        if (earlier) {
          problems.push({
            file,
            ...keyPosition,
            path: [...path, key],
            severity: "error",
            message: `duplicate key "${key}" (first defined at line ${earlier.line})`,
          });
        }
        seen.set(key, keyPosition);
        const valueNode = pair.value as YamlNode | null;
        const childPath = [...path, key];
        positions.set(pathKey(childPath), {
          key: keyPosition,
          value: valueNode?.range ? toPosition(valueNode.range[0]) : keyPosition,
        });
        walk(valueNode, childPath, depth + 1);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => {
        const childPath = [...path, index];
        const range = (item as YamlNode | null)?.range;
        if (range) positions.set(pathKey(childPath), { value: toPosition(range[0]) });
        walk(item, childPath, depth + 1);
      });
    }
  };
  const root = doc.contents as YamlNode | null;
  positions.set(pathKey([]), { value: toPosition(root?.range?.[0] ?? 0) });
  walk(root, [], 0);
  if (problems.length > 0) return { problems };
  return { source: new YamlSource(file, value, positions), problems: [] };
}

function parserFailure(error: unknown): string {
  if (error instanceof RangeError && /call stack/i.test(error.message)) return "YAML is nested too deeply";
  if (error instanceof Error && /alias count/i.test(error.message)) {
    return "YAML expands too many aliases (a billion-laughs style alias bomb)";
  }
  return `cannot parse YAML: ${error instanceof Error ? error.message : String(error)}`;
}

/** The yaml library's messages end with a code frame and a period; keep the first sentence. */
function yamlMessage(message: string): string {
  if (/call stack/i.test(message)) return "YAML is nested too deeply";
  const first = message.split("\n")[0] ?? message;
  const trimmed = first.replace(/ at line \d+, column \d+:?$/, "").replace(/\.$/, "");
  return trimmed.charAt(0).toLowerCase() + trimmed.slice(1);
}
