// Child process of hex_test.ts (run with --expose-gc): prints the heap bytes each of 20,000 retained
// `toHex` results costs.

import { getHeapStatistics } from "node:v8";
import { toHex } from "../../lib/crypto/mod.ts";

const COUNT = 20_000;
const gc = (globalThis as { gc?: () => void }).gc!;
const bytes = new Uint8Array(32 * COUNT).map((_, i) => (i * 131 + (i >> 5)) & 255);
gc();
const before = getHeapStatistics().used_heap_size;
const kept: string[] = [];
for (let i = 0; i < COUNT; i++) kept.push(toHex(bytes.subarray(i * 32, i * 32 + 32)));
gc();
const after = getHeapStatistics().used_heap_size;
console.log(JSON.stringify({ bytesPerId: (after - before) / COUNT, count: kept.length }));
