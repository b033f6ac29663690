import { Chunker, chunkLengths, gearTable } from "../../lib/chunker/mod.ts";
import { CHUNKER_V1 } from "../../lib/repo/mod.ts";
import { seededBytes, seededKey } from "./_seeded_bytes.ts";

// Run with `deno bench tests/chunker/`; throughput = 64 MiB / reported time per iteration.
const data = seededBytes(64 * 1024 * 1024, 1);
const chunker = new Chunker(gearTable(seededKey(1)), CHUNKER_V1);
const zeros = new Uint8Array(data.length);

Deno.bench("chunkLengths() over 64 MiB of random data, default parameters", () => {
  chunkLengths(chunker, data);
});

Deno.bench("chunkLengths() over 64 MiB of zeros, default parameters", () => {
  chunkLengths(chunker, zeros);
});
