// Child process for the SIGKILL test: stores data files in a loop until it is killed.
// Usage: deno run -A _put_forever.ts <repository folder> <name prefix>

import { LocalBackend } from "../../lib/backends/local.ts";
import { contentForName, seededName } from "./_content.ts";

const [root, prefix] = Deno.args;
if (root === undefined || prefix === undefined) throw new Error("usage: _put_forever.ts <root> <prefix>");
const backend = await LocalBackend.open(root);
const encoder = new TextEncoder();
await Deno.stdout.write(encoder.encode("ready\n"));
for (let i = 0;; i++) {
  const name = seededName(`${prefix}-${i}`);
  await backend.put({ kind: "data", name }, contentForName(name));
  await Deno.stdout.write(encoder.encode(`stored ${name}\n`));
}
