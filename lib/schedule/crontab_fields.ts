/**
 * A cron schedule as the five fields of a crontab line (Vixie cron, cronie). croner reads a day or weekday
 * field as "any" only when it is exactly `*`; Vixie cron does for any field starting with `*` (`*\/2`),
 * so restricted fields are written out (`1-31/2`) to keep croner's meaning.
 *
 * @module
 */

import { parseCron, Unexpressible } from "./_cron_fields.ts";
import { compact } from "./_compact.ts";

const CRON = { range: "-", steps: true, width: 0 } as const;

/**
 * `minute hour day month weekday` for cron `expression`. Throws {@link Unexpressible} for what crontabs
 * cannot say: seconds other than 0, and croner's L, W, # and +.
 */
export function crontabFields(expression: string): string {
  const fields = parseCron(expression);
  if (fields.seconds.length !== 1 || fields.seconds[0] !== 0) {
    throw new Unexpressible("cron has no seconds field (only second 0 can be written)");
  }
  const { days, weekdays } = fields;
  if (days.last || days.nearestWeekday.length > 0) {
    throw new Unexpressible("cron has no last day (L) or nearest weekday (W)");
  }
  if (weekdays.nth.length > 0) throw new Unexpressible("cron has no nth or last weekday (# or L)");
  if (fields.both && !days.star) throw new Unexpressible("cron cannot require both day and weekday (+)");
  return [
    compact(fields.minutes, { min: 0, max: 59 }, CRON),
    compact(fields.hours, { min: 0, max: 23 }, CRON),
    days.star ? "*" : compact(days.days, { min: 1, max: 31, star: false }, CRON),
    compact(fields.months, { min: 1, max: 12 }, CRON),
    weekdays.star ? "*" : compact(weekdays.weekdays, { min: 0, max: 6, star: false }, CRON),
  ].join(" ");
}
