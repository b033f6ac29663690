// Child process run as an unprivileged user: reports how LocalBackend fails on folders it may not use.
// Usage: deno run -A _access_probe.ts <unreadable repository> <read-only repository>
// Prints one JSON object: { open: <outcome>, put: <outcome> }.

import { LocalBackend } from "../../lib/backends/local.ts";
import { BackendError } from "../../lib/errors.ts";

/** What happened when a call was tried. */
function outcome(error: unknown): { ok: false; name: string; permanent: boolean | null; message: string } {
  const permanent = error instanceof BackendError ? error.permanent : null;
  return { ok: false, name: error instanceof Error ? error.name : "?", permanent, message: String(error) };
}

const [unreadable, readOnly] = Deno.args;
const result: Record<string, unknown> = {};
try {
  await LocalBackend.open(unreadable!);
  result.open = { ok: true };
} catch (error) {
  result.open = outcome(error);
}
try {
  const backend = await LocalBackend.open(readOnly!);
  await backend.put({ kind: "snapshots", name: "0123abcd" }, new Uint8Array(10));
  result.put = { ok: true };
} catch (error) {
  result.put = outcome(error);
}
console.log(JSON.stringify(result));
