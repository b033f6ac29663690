// The one naming style of --json output (docs/json.md): snake_case keys. Library values are camelCase, as
// TypeScript is; they are converted here, at the edge, instead of each command spelling every key again.

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
