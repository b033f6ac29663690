// Run by fallback_test.ts as a child `deno run`, with or without --allow-ffi: reports which path the
// platform layer chose, its warning, and what it did with a time and a folder in the folder it is given.

import { platform } from "../../lib/platform/mod.ts";

const root = Deno.args[0]!;
const fs = platform();
fs.setTimes(`${root}/file`, { mtimeNs: 1_700_000_000_123_456_789n });
console.log(JSON.stringify({
  kind: fs.kind,
  warning: fs.warning ?? null,
  description: fs.description,
  mtimeNs: String(fs.lstat(`${root}/file`).mtimeNs),
  entries: fs.readDir(root).map((entry) => ({ name: Array.from(entry.name), lossyName: entry.lossyName })),
}));
