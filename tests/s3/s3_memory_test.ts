// What reading packs from S3 costs in memory: each body goes into one buffer of its size as it arrives.

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { S3Backend } from "../../lib/backends/mod.ts";
import { seededBytes, seededName } from "../backends/_content.ts";
import { backendOptions, emptyBackend, s3Server, uniqueBucket } from "./_server.ts";

const CHILD = fileURLToPath(new URL("./_get_peak.ts", import.meta.url));
const CONFIG = fileURLToPath(new URL("../../deno.json", import.meta.url));
const PACK = 16 << 20;
const AT_ONCE = 4;
const ROUNDS = 3;

Deno.test({
  name: "`S3Backend.get()` of 4 packs at once, 3 times over, raises the resident set by less than 9 packs",
  ignore: Deno.build.os !== "linux", // the high-water mark comes from /proc
  fn: async () => {
    const server = await s3Server();
    const options = { ...backendOptions(server, uniqueBucket("kept-memory")), create: true };
    const backend = await S3Backend.open(options);
    try {
      const names = Array.from({ length: AT_ONCE }, (_, i) => seededName(`memory${i}`));
      for (const name of names) await backend.put({ kind: "data", name }, seededBytes(name, PACK));
      const output = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--config", CONFIG, CHILD, JSON.stringify(options), String(ROUNDS), ...names],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(output.success, new TextDecoder().decode(output.stderr));
      const { bytes, rise } = JSON.parse(new TextDecoder().decode(output.stdout));
      assert.equal(bytes, AT_ONCE * ROUNDS * PACK);
      // The 4 packs read, and garbage of the rounds before. With arrayBuffer() it rose by 12 to 14 packs.
      assert.ok(rise < 9 * PACK, `the resident set rose by ${(rise / 2 ** 20).toFixed(1)} MiB`);
    } finally {
      await emptyBackend(backend);
      await backend.close();
    }
  },
});
