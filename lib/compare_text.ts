/**
 * Orders strings by UTF-16 code units: the same order on every machine, and for ISO times and hex ids
 * the order of what they name. Not `localeCompare`: its first call loads ICU's collator, ~10 ms of every
 * command's start (the key files and the snapshots are sorted before anything else happens).
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
