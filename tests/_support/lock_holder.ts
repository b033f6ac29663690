// Starts tests/_support/hold_lock.ts in a process of its own: a repository lock held by another process,
// for the tests of what kept does when it meets one.

import { type Fixture, PASSWORD } from "./fixture.ts";
import { readUntil } from "./read_until.ts";

const HOLD_LOCK = new URL("./hold_lock.ts", import.meta.url).pathname;

export interface Holder {
  child: Deno.ChildProcess;
  /** The first line the holder printed. */
  first: { ok: boolean; pid?: number; error?: string };
  /** Resolves with the exit code. */
  done: Promise<number>;
}

/** Starts a process that takes a lock of `kind` on the fixture's repository and holds it `holdMs`. */
export async function holdLock(
  fixture: Fixture,
  kind: string,
  holdMs: number,
  startAt?: number,
): Promise<Holder> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      HOLD_LOCK,
      fixture.repo,
      PASSWORD,
      kind,
      String(holdMs),
      ...(startAt === undefined ? [] : [String(startAt)]),
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const text = await readUntil(reader, "\n");
  const rest = (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })();
  const done = Promise.all([child.status, rest]).then(([status]) => status.code);
  return { child, first: JSON.parse(text.split("\n")[0]!), done };
}
