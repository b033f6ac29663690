/**
 * Orders strings by UTF-16 code units: the same order on every machine, and for ISO times and hex ids
 * the order of what they name. Not `localeCompare`, whose first call loads ICU's collator before the key
 * derivation can start (docs/performance.md#backup).
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
