/**
 * Runs one piece of work per destination so that one destination that fails (an unmounted USB disk, a
 * wrong password, a full disk) does not stop the others: each outcome is kept, and the caller reports them.
 *
 * @module
 */

import { UserError } from "../errors.ts";

/** How the work for one destination ended: its value, or the error that a user can act on. */
export type DestinationOutcome<T> =
  | { destination: string; ok: true; value: T }
  | { destination: string; ok: false; error: UserError };

/**
 * Runs `work` for each destination in turn and collects the outcomes, in order; `onOutcome` hears each as
 * it ends. A `UserError` (storage, password, damaged data) ends that destination's work only; anything
 * else is a bug and is thrown at once.
 */
export async function eachDestination<T>(
  destinations: readonly string[],
  work: (destination: string) => Promise<T>,
  onOutcome?: (outcome: DestinationOutcome<T>) => void,
): Promise<DestinationOutcome<T>[]> {
  const outcomes: DestinationOutcome<T>[] = [];
  for (const destination of destinations) {
    let outcome: DestinationOutcome<T>;
    try {
      outcome = { destination, ok: true, value: await work(destination) };
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      outcome = { destination, ok: false, error };
    }
    outcomes.push(outcome);
    onOutcome?.(outcome);
  }
  return outcomes;
}
