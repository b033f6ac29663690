// `kept daemon`: stays up and runs `kept apply PLAN` (a child process of this same kept) whenever a plan's
// schedule fires. SIGHUP reloads the config; SIGTERM and Ctrl-C stop it through the CLI's interrupt
// handling (_interrupts.ts: one line, exit 143 or 130) after the running applies are interrupted and have
// ended. See docs/scheduling.md.

import { UsageError } from "../errors.ts";
import { machineTimeZone } from "../machine_time_zone.ts";
import { applyRunner, Daemon, daemonPlans, formatEvent, selfCommand, systemClock } from "../daemon/mod.ts";
import type { CommandKit, Program } from "./_command_kit.ts";

const LOG_FORMATS = ["text", "json"] as const;

/** Registers `kept daemon` on `program`. */
export function daemonCommand(program: Program, kit: CommandKit): void {
  program.command("daemon")
    .description("stay up and run `kept apply PLAN` each time a plan's schedule fires")
    .option("--log-format <format>", "text or json (one JSON object per line, docs/json.md)", "text")
    .addHelpText(
      "after",
      "\nOne apply at a time: a plan that fires while another runs waits for it; one that fires while its\n" +
        "own run is going or waiting is skipped. At start, each scheduled plan runs once (apply does nothing\n" +
        "when it is up to date), so a firing missed while the daemon was down is made up. Plans without a\n" +
        "schedule are not run. Logs one line per event to stderr: start, reload, run started, queued,\n" +
        "skipped, finished (result, duration), stop. SIGHUP reloads the config (an invalid one keeps the\n" +
        "previous one); SIGTERM or Ctrl-C interrupt the running apply, wait for it and exit 143 or 130.\n" +
        "See docs/scheduling.md.",
    )
    .action(async (options) => {
      const format = logFormat(options.logFormat);
      // Each apply runs with the global options the daemon was started with; it prints into the daemon's log.
      const childGlobals = [
        ...kit.childGlobals(),
        ...(kit.quiet() ? ["--quiet"] : []),
        ...(kit.verbose() ? ["--verbose"] : []),
      ];
      const daemon = new Daemon({
        clock: systemClock,
        runner: applyRunner(selfCommand(childGlobals)),
        load: async () => daemonPlans(await kit.loadConfig(), machineTimeZone()),
        log: (event, time) => kit.output.err(formatEvent(event, time, format) + "\n"),
        catchUpAtStart: true,
      });
      const stopHangups = kit.context.signals ? listenForHangups(() => daemon.reload()) : () => {};
      stopWithTheCommand(kit, daemon);
      try {
        await daemon.run();
      } finally {
        stopHangups();
      }
    });
}

function logFormat(value: string): "text" | "json" {
  const format = LOG_FORMATS.find((known) => known === value);
  if (format === undefined) throw new UsageError(`Invalid --log-format "${value}": use text or json`);
  return format;
}

/** Calls `reload` on each SIGHUP (which would otherwise end the process); returns a function that stops. */
function listenForHangups(reload: () => void): () => void {
  if (Deno.build.os === "windows") return () => {};
  Deno.addSignalListener("SIGHUP", reload);
  return () => Deno.removeSignalListener("SIGHUP", reload);
}

/**
 * The CLI's interrupt handler prints its line, finishes what the command asked it to, releases locks and
 * exits 143 (SIGTERM) or 130: the daemon stops in that step, so its running apply is interrupted (and records
 * its run as interrupted) and waited for first.
 */
function stopWithTheCommand(kit: CommandKit, daemon: Daemon): void {
  kit.setInterruptNote(
    "the daemon stops (a running apply is interrupted, and records its run as interrupted)",
  );
  kit.onInterrupt(() => daemon.stop());
}
