// The one naming style of --json output (docs/json.md): snake_case keys. Library values are camelCase, as
// TypeScript is; they are converted here, at the edge, instead of each command spelling every key again.

import { describePath, hasEscapedBytes, pathBytes } from "../platform/mod.ts";

/**
 * `value` with every object key in snake_case (`snapshotId` → `snapshot_id`), deeply. Only for values whose
 * keys are field names: a map keyed by data (paths, plan names) would be changed too.
 */
export function snakeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [snakeCase(key), snakeKeys(inner)]),
  );
}

/** `packsRead` → `packs_read`; a key without capitals is left as it is. */
export function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (capital) => `_${capital.toLowerCase()}`);
}

/**
 * A name or path for JSON output, as `{ [key]: value }`. One that holds bytes that are not UTF-8 (lone
 * surrogates, docs/format.md#names) would reach jq or Python as a lone surrogate, which they replace or
 * reject: it is written in its escaped text form instead (`caf\xe9`, as text output writes it), and
 * `KEY_bytes` holds its bytes in base64 (docs/json.md#names).
 */
export function pathJson(key: string, path: string): Record<string, string> {
  if (!hasEscapedBytes(path)) return { [key]: path };
  let bytes: Uint8Array;
  try {
    bytes = pathBytes(path);
  } catch {
    return { [key]: describePath(path) }; // a lone surrogate that stands for no byte: no bytes to give
  }
  return { [key]: describePath(path), [`${key}_bytes`]: bytes.toBase64() };
}
