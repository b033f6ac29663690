// Writing a set of values back compactly: `*` for all of them, `start-end/step` for an even progression to
// the end (cron only), else runs and single values. systemd and cron differ only in the marks.

/** How a target writes ranges and steps. */
export interface Marks {
  /** `..` (systemd) or `-` (cron). */
  readonly range: string;
  /** Whether even steps are written as `start-end/step` (cron), rather than listed (systemd). */
  readonly steps: boolean;
  /** Zero-padded to this many digits (systemd writes 02:05:00). */
  readonly width: number;
}

/**
 * `values` (sorted, within `min`..`max`) as one field; `star` false writes the full range out instead of
 * `*` (cron reads a day field that starts with `*` as "any day", which changes how weekdays combine).
 */
export function compact(
  values: readonly number[],
  bounds: { readonly min: number; readonly max: number; readonly star?: boolean },
  marks: Marks,
): string {
  const text = (value: number) => String(value).padStart(marks.width, "0");
  const full = values.length === bounds.max - bounds.min + 1;
  if (full && bounds.star !== false) return "*";
  // systemd's own repetition (`00/5`) is not used: systemd 252 skips its first value after midnight.
  const step = marks.steps ? evenStep(values, bounds.max) : undefined;
  if (step !== undefined) {
    const first = values[0]!;
    // `*/10` reads better than `0-59/10`, except in the day fields, where a leading `*` means "any day".
    return first === bounds.min && bounds.star !== false
      ? `*/${step}`
      : `${text(first)}-${text(bounds.max)}/${step}`;
  }
  return runs(values).map(([from, to]) =>
    from === to
      ? text(from)
      : to === from + 1
      ? `${text(from)},${text(to)}`
      : `${text(from)}${marks.range}${text(to)}`
  ).join(",");
}

/** The step of values that go from their first by one step up to the last that fits below `max`. */
function evenStep(values: readonly number[], max: number): number | undefined {
  if (values.length < 3) return undefined;
  const step = values[1]! - values[0]!;
  if (step < 2) return undefined;
  for (let i = 2; i < values.length; i++) if (values[i]! - values[i - 1]! !== step) return undefined;
  return values.at(-1)! + step > max ? step : undefined;
}

/** Consecutive runs of sorted values, as [from, to] pairs. */
export function runs(values: readonly number[]): [number, number][] {
  const result: [number, number][] = [];
  for (const value of values) {
    const last = result.at(-1);
    if (last && value === last[1] + 1) last[1] = value;
    else result.push([value, value]);
  }
  return result;
}
