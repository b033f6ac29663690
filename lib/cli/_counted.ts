// Counts in text output: "1 snapshot", "2 snapshots".

/** `count` and `noun`, the noun in the plural unless the count is 1 (`plural` where adding "s" is wrong). */
export function counted(count: number, noun: string, plural = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : plural}`;
}
