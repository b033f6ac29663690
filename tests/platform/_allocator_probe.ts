// Run by allocator_test.ts as a child `deno run`: frees megabyte buffers that were live at once, each below
// a small allocation that stays (as index files read side by side leave their entries), and reports how
// much of them stays resident.
// Argument: "map" to call mapLargeAllocations first, anything else not to.

import { mapLargeAllocations } from "../../lib/platform/mod.ts";

const BUFFERS = 24;
const BUFFER_BYTES = 2 * 1024 * 1024;

const mapped = Deno.args[0] === "map" ? mapLargeAllocations(1024 * 1024) : false;
// glibc raises its bound for mapping a buffer to the size of each mapped buffer freed.
new ArrayBuffer(2 * BUFFER_BYTES).transfer(0);
const before = residentBytes();
const kept: Uint8Array[] = [];
const freed: ArrayBuffer[] = [];
for (let i = 0; i < BUFFERS; i++) {
  const buffer = new ArrayBuffer(BUFFER_BYTES);
  new Uint8Array(buffer).fill(1);
  freed.push(buffer);
  kept.push(new Uint8Array(64 * 1024).fill(1)); // what a loaded index file leaves behind
}
for (const buffer of freed) buffer.transfer(0); // freed now, as lib/memory.ts discard() does
console.log(JSON.stringify({ mapped, retainedMiB: (residentBytes() - before) / 2 ** 20, kept: kept.length }));

function residentBytes(): number {
  return Deno.memoryUsage().rss;
}
