// Run by remote_restore_test.ts: makes a restore's spool in the folder given, downloads one pack into it,
// prints the pack's path and waits to be killed, as a restore killed mid-way would leave it.

import { PackSpool } from "../../lib/restore/_pack_spool.ts";
import type { PackId } from "../../lib/repo/mod.ts";

const spool = new PackSpool(
  { packs: { read: () => Promise.resolve(new Uint8Array(4096).fill(7)) } },
  { parent: Deno.args[0]!, maxBytes: 1 << 20, downloads: 1 },
);
console.log(await spool.acquire("ab".repeat(32) as PackId));
await new Promise(() => setInterval(() => {}, 60_000));
