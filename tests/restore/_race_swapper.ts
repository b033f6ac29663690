// The attacker of restore_race_test.ts, run as its own process: it cycles through the folders a restore is
// about to make and, as soon as one exists, moves it aside, puts a symlink to the outside folder in its
// place for a moment, then puts the folder back, until the stop file appears.
//
// The first LATE folders of the list (those near the top of the tree) are swapped only once some others
// were: an early swap there can fail the whole tree before there is anything else to race.
//
// Usage: deno run -A _race_swapper.ts OUTSIDE STOP_FILE FOLDERS_JSON LATE

import { exists } from "../_support/exists.ts";

const [outside, stopFile, foldersFile, late] = Deno.args;
if (outside === undefined || stopFile === undefined || foldersFile === undefined) {
  throw new Error("Usage: _race_swapper.ts OUTSIDE STOP_FILE FOLDERS_JSON LATE");
}
const folders = JSON.parse(Deno.readTextFileSync(foldersFile)) as string[];
const lateCount = Number(late ?? 0);
const pause = new Int32Array(new SharedArrayBuffer(4));
let swaps = 0;

while (!exists(stopFile)) {
  for (const [i, folder] of folders.entries()) {
    if (i < lateCount && swaps < 20) continue;
    if (swap(folder)) swaps++;
  }
}
console.log(JSON.stringify({ swaps }));

/** Swaps `folder` for a symlink and back; false when it is not there (yet). */
function swap(folder: string): boolean {
  const aside = `${folder}.swapped`;
  try {
    Deno.renameSync(folder, aside);
  } catch {
    return false;
  }
  try {
    Deno.symlinkSync(outside!, folder);
    Atomics.wait(pause, 0, 0, Math.random() * 3); // hold it there while the restore works
    Deno.removeSync(folder); // the symlink itself
  } catch {
    // The restore made something at that name meanwhile: leave it, and the folder aside.
    return true;
  }
  try {
    Deno.renameSync(aside, folder);
  } catch {
    // As above.
  }
  return true;
}
