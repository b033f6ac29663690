// `kept unlock`: removes stale repository locks (every lock with --all).

import { describeStaleLock, processLockOwner } from "../destinations/mod.ts";
import { type ListedLock, listLocks, removeLocks } from "../repo/mod.ts";
import { type CommandKit, type Program, whoAmI } from "./_command_kit.ts";
import { counted } from "./_counted.ts";

/** Registers `kept unlock` on `program`. */
export function unlockCommand(program: Program, kit: CommandKit): void {
  const { output, json, openNamed, context } = kit;
  program.command("unlock")
    .description("remove stale repository locks (locks of processes that are gone)")
    .option("--destination <name>", "destination (needed when several are defined)")
    .option("--all", "remove every lock, also those of processes that may still run")
    .option("--json", "print the removed locks as JSON")
    .addHelpText(
      "after",
      "\nA lock is stale when it was not refreshed for 30 minutes, or when its process is gone on this\n" +
        "host; commands remove stale locks themselves. --all also removes live locks: use it only when\n" +
        "you know their processes are gone (another host that crashed). See docs/format.md#locks.",
    )
    .action(async (options) => {
      const { destination, repository } = await openNamed(options.destination, { lock: "none" });
      const owner = processLockOwner(whoAmI(context.env).username);
      const removed = await removeLocks(repository.lockStore(), owner, { all: options.all ?? false });
      if (options.json) {
        json({ destination: destination.name, removed: removed.map(lockJson) });
        return;
      }
      for (const listed of removed) {
        output.out(`removed ${listed.stale ? describeStaleLock(listed) : describeLiveLock(listed)}\n`);
      }
      const what = options.all ? "lock" : "stale lock";
      kit.say(
        `${destination.name}: ${
          removed.length === 0 ? `no ${what}s` : `${counted(removed.length, what)} removed`
        }\n`,
      );
      // What is left blocks commands all the same: say what it is, and how it goes.
      if (options.all) return;
      for (const kept of await listLocks(repository.lockStore(), owner)) {
        output.err(`note: kept ${describeLiveLock(kept)}: not stale yet (--all removes it)\n`);
      }
    });
}

function describeLiveLock({ name, lock, damaged }: ListedLock): string {
  if (damaged !== undefined) {
    return `unreadable lock ${name.slice(0, 12)} (written ${lock.created}): ${damaged}`;
  }
  return `${lock.kind} lock ${name.slice(0, 12)} of ${lock.username}@${lock.host} (pid ${lock.pid}, ` +
    `since ${lock.created})`;
}

function lockJson({ name, lock, stale, damaged }: ListedLock) {
  return { id: name, ...lock, stale: stale?.kind ?? null, damaged: damaged ?? null };
}
