// "did you mean …" for misspelled keys and names.

/**
 * Bounds the work spent on suggestions for one input: a file that misspells thousands of names against
 * thousands of candidates must not make `validate` take minutes. Past the budget, no more suggestions.
 */
export class SuggestionBudget {
  #comparisons: number;

  constructor(comparisons = 200_000) {
    this.#comparisons = comparisons;
  }

  /** Takes `count` comparisons from the budget; false when it is spent. */
  take(count: number): boolean {
    if (this.#comparisons < count) {
      this.#comparisons = 0;
      return false;
    }
    this.#comparisons -= count;
    return true;
  }
}

/** The closest candidate within a small edit distance, or undefined. Case-insensitive. */
export function closest(
  word: string,
  candidates: Iterable<string>,
  budget?: SuggestionBudget,
): string | undefined {
  const list = Array.isArray(candidates) ? candidates as string[] : [...candidates];
  if (budget && !budget.take(list.length)) return undefined;
  const lower = word.toLowerCase();
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of list) {
    if (Math.abs(candidate.length - word.length) >= bestDistance) continue;
    const distance = editDistance(lower, candidate.toLowerCase(), bestDistance - 1);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** `; did you mean "x"?` or the empty string. */
export function didYouMean(word: string, candidates: Iterable<string>, budget?: SuggestionBudget): string {
  const match = closest(word, candidates, budget);
  return match === undefined ? "" : `; did you mean "${match}"?`;
}

/**
 * Levenshtein distance with adjacent transpositions counted as one edit. Stops early and returns
 * `max + 1` once the distance is certain to exceed `max`.
 */
function editDistance(a: string, b: string, max: number): number {
  if (a === b) return 0;
  const cols = b.length + 1;
  let before = new Array<number>(cols).fill(0); // row i - 2
  let previous = Array.from({ length: cols }, (_, j) => j); // row i - 1
  let current = new Array<number>(cols).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    let rowMinimum = i;
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, before[j - 2]! + 1);
      }
      current[j] = value;
      if (value < rowMinimum) rowMinimum = value;
    }
    if (rowMinimum > max) return max + 1;
    [before, previous, current] = [previous, current, before];
  }
  return previous[cols - 1]!;
}
