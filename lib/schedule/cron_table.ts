/**
 * Crontab lines per scheduled plan: a file of /etc/cron.d per config (a whole file kept owns, with a user
 * field) or a marked block per config in a user's crontab, replaced in place so that the user's own lines
 * and other configs' blocks stay as they are (docs/scheduling.md#cron).
 *
 * @module
 */

import { UserError } from "../errors.ts";
import { crontabFields } from "./crontab_fields.ts";
import { expressing, type ScheduledPlan } from "./scheduled_plan.ts";
import { installedFor, markerLines } from "./marker.ts";
import { crontabWord } from "./_quote.ts";

/** The lines around kept's block in a user's crontab. */
export const BLOCK_BEGIN = "# BEGIN kept schedule";
export const BLOCK_END = "# END kept schedule";

/** The comment before the last line of kept's block in a user's crontab: the CRON_TZ for the lines below. */
export const RESTORE_COMMENT = "# for the lines below: the time zone in effect above this block";
/** A crontab line that sets CRON_TZ (cron allows blanks around `=`). */
const CRON_TZ_SETTING = /^\s*CRON_TZ\s*=/;

/** How the lines run kept. */
export interface CronOptions {
  /** The kept command up to the subcommand, `--config` included (program first). */
  readonly command: readonly string[];
  /** The config the lines run (an absolute path), recorded under the marker. */
  readonly config: string;
  /** /etc/cron.d lines name the user they run as; a user's crontab has no such field. */
  readonly system: boolean;
  /** Variables set at the top of the /etc/cron.d file (HOME); a user's crontab keeps its own. */
  readonly environment: Readonly<Record<string, string>>;
  /**
   * The machine's zone: named in a user's crontab for plans without a `timezone` (a `CRON_TZ` above the
   * block must not apply to them), and set again after the block's last CRON_TZ.
   */
  readonly machineTimeZone: string;
}

/**
 * The lines for `plans`, one `CRON_TZ=` group per zone. In /etc/cron.d (a file cron reads with an
 * environment of its own) plans in the machine's zone come first, without CRON_TZ. In a user's crontab
 * every group sets CRON_TZ, the machine's zone by name for plans without a `timezone`, and the block ends
 * with {@link RESTORE_COMMENT} and the machine's zone, which {@link replaceCronBlock} replaces with the
 * CRON_TZ set above the block. Throws a UserError naming the plan file and key when a schedule has no
 * crontab form.
 */
export function cronLines(plans: readonly ScheduledPlan[], options: CronOptions): string[] {
  const byZone = new Map<string, string[]>();
  for (const plan of plans) {
    const fields = expressing(plan, "a crontab line", () => crontabFields(plan.cron));
    const user = options.system ? " root" : "";
    // --quiet: cron mails whatever a job prints, and a successful apply has nothing to say.
    const command = [...options.command, "--quiet", "apply", plan.name].map(crontabWord).join(" ");
    const zone = plan.timeZone ?? (options.system ? "" : options.machineTimeZone);
    byZone.set(zone, [
      ...byZone.get(zone) ?? [],
      `# plan ${plan.name}: ${plan.cron}`,
      `${fields}${user} ${command}`,
    ]);
  }
  const lines: string[] = [];
  for (const zone of [...byZone.keys()].sort()) {
    if (zone !== "") lines.push(`CRON_TZ=${zone}`);
    lines.push(...byZone.get(zone)!);
  }
  if (byZone.size > (byZone.has("") ? 1 : 0)) {
    if (!options.system) lines.push(RESTORE_COMMENT);
    lines.push(`CRON_TZ=${options.machineTimeZone}`);
  }
  return lines;
}

/** The whole of a config's file in /etc/cron.d ({@link cronFileName}). */
export function cronFile(plans: readonly ScheduledPlan[], options: CronOptions): string {
  const environment = Object.entries(options.environment).map(([name, value]) => `${name}=${value}`);
  return [...markerLines(options.config), "SHELL=/bin/sh", ...environment, ...cronLines(plans, options), ""]
    .join("\n");
}

/** Whether crontab `text` runs kept with `config` (what an older kept's file, naming no config, ran). */
export function cronRunsConfig(text: string, config: string): boolean {
  return text.includes(` --config ${crontabWord(config)} `);
}

/**
 * The name of `config`'s file in /etc/cron.d: one file per config, so that installing one leaves the
 * others' alone. cron skips names with anything but letters, digits, `_` and `-` (a dot included).
 */
export function cronFileName(config: string): string {
  return `kept-${config.replace(/^\/+/, "").replace(/[^A-Za-z0-9_-]+/g, "-").replace(/-+$/, "")}`;
}

/**
 * `crontab` with kept's block for `config` replaced by `lines` (in place, else appended; no lines: the
 * block removed). Everything outside the block, other configs' blocks included, is kept byte for byte. A
 * block that names no config (an older kept's) counts as `config`'s. When the lines end with
 * {@link RESTORE_COMMENT} and the crontab sets CRON_TZ above the block, the block's last line repeats that
 * setting, so that the lines below the block keep the zone they had.
 */
export function replaceCronBlock(crontab: string, lines: readonly string[], config: string): string {
  const all = crontab === "" ? [] : crontab.replace(/\n$/, "").split("\n");
  const found = findBlock(all, config);
  const above = found ? all.slice(0, found.begin) : all;
  const zoneAbove = above.findLast((line) => CRON_TZ_SETTING.test(line));
  const restores = lines.at(-2) === RESTORE_COMMENT;
  const body = restores && zoneAbove !== undefined ? [...lines.slice(0, -1), zoneAbove] : lines;
  const block = body.length === 0 ? [] : [BLOCK_BEGIN, ...markerLines(config), ...body, BLOCK_END];
  const result = found
    ? [...all.slice(0, found.begin), ...block, ...all.slice(found.end + 1)]
    : [...all, ...block];
  return result.length === 0 ? "" : result.join("\n") + "\n";
}

/** Where kept's block for `config` is: the one naming it, else the first naming no config that runs it. */
function findBlock(all: readonly string[], config: string): { begin: number; end: number } | undefined {
  let unnamed: { begin: number; end: number } | undefined;
  let begin = all.indexOf(BLOCK_BEGIN);
  while (begin >= 0) {
    const end = all.indexOf(BLOCK_END, begin);
    if (end < 0) {
      throw new UserError(`Cannot update the crontab: it has "${BLOCK_BEGIN}" but no "${BLOCK_END}" line`, {
        hint: "fix the block by hand (crontab -e), then run kept schedule install again",
      });
    }
    const owner = installedFor(all.slice(begin + 1, Math.min(begin + 3, end)).join("\n"));
    if (owner === config) return { begin, end };
    // An older kept's block names no config: it is this one's only when its lines run this config.
    const runsThis = cronRunsConfig(all.slice(begin, end + 1).join("\n") + "\n", config);
    if (owner === undefined && runsThis) unnamed ??= { begin, end };
    begin = all.indexOf(BLOCK_BEGIN, end + 1);
  }
  return unnamed;
}
