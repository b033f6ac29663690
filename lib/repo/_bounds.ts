// Range checks for values read from files no key authenticates (config, key files): each answers what is
// wrong in words, or undefined, so that callers can name the file and field (docs/format.md#bounds).

/** What a field must be: an integer in [min, max], a power of two where asked. */
export interface IntegerBound {
  min: number;
  max: number;
  powerOfTwo?: boolean;
}

/** Why `value` breaks `bound` ("must be …, found …"), or undefined when it keeps it. */
export function integerProblem(value: unknown, bound: IntegerBound): string | undefined {
  const wanted = `${bound.powerOfTwo ? "a power of two" : "an integer"} from ${bound.min} to ${bound.max}`;
  if (typeof value !== "number") return `must be ${wanted}, found ${describeValue(value)}`;
  const inRange = Number.isInteger(value) && value >= bound.min && value <= bound.max;
  if (!inRange || (bound.powerOfTwo && (value & (value - 1)) !== 0)) {
    return `must be ${wanted}, found ${value}`;
  }
  return undefined;
}

/** Why `value` is not a string of at most `maxLength` characters matching `pattern`, or undefined. */
export function stringProblem(value: unknown, maxLength: number, pattern?: RegExp): string | undefined {
  if (typeof value !== "string") return `must be a string, found ${describeValue(value)}`;
  if (value.length > maxLength) return `must be at most ${maxLength} characters, found ${value.length}`;
  if (pattern && !pattern.test(value)) return `has an invalid value ${JSON.stringify(value.slice(0, 80))}`;
  return undefined;
}

/** A JSON value's type in words, for messages: `the string "1"`, `null`, `an array`. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `the string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === "object") return "an object";
  return `the ${typeof value} ${String(value)}`;
}

/** True for a plain JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
