// Child process of s3_memory_test.ts: reads the given packs whole, all at once, a few rounds over, as a
// restore's downloads do, and prints how far the resident set rose above where it was just before (Linux:
// /proc/self/clear_refs resets the high-water mark VmHWM).
// Arguments: a JSON of S3BackendOptions, the rounds, then the names of the packs.

import { S3Backend, type S3BackendOptions } from "../../lib/backends/mod.ts";

const options = JSON.parse(Deno.args[0]!) as S3BackendOptions;
const rounds = Number(Deno.args[1]);
const handles = Deno.args.slice(2).map((name) => ({ kind: "data" as const, name }));
const backend = await S3Backend.open(options);
await Promise.all(handles.map((handle) => backend.stat(handle))); // connections are open before the mark
Deno.writeTextFileSync("/proc/self/clear_refs", "5");
const before = status("VmRSS");
let bytes = 0;
for (let round = 0; round < rounds; round++) {
  for (const read of await Promise.all(handles.map((handle) => backend.get(handle)))) bytes += read.length;
}
console.log(JSON.stringify({ bytes, rise: status("VmHWM") - before }));
await backend.close();

/** A field of /proc/self/status, in bytes. */
function status(field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(Deno.readTextFileSync("/proc/self/status"));
  if (!match) throw new Error(`No ${field} in /proc/self/status`);
  return Number(match[1]) * 1024;
}
