// `${VAR}` and `${VAR:-default}` inside plan strings; `$$` is a literal `$`.

/** The result of interpolating one string. */
export interface Interpolated {
  value: string;
  /** Variables that were unset and had no default. */
  unset: string[];
  /** Variables that were set but empty and had no default (`${NAME:-}` allows an empty value). */
  empty: string[];
  /**
   * The unset or empty variables that made `value` an absolute path, being all that came before its
   * first `/` (`${DATA}/etc` with DATA empty gives `/etc`).
   */
  rootedBy: string[];
  /** A syntax error in the string, if any. */
  error?: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Replaces variables in `text` with values from `env`. An unset or empty variable without default becomes
 * "", and is reported in `unset` or `empty`.
 */
export function interpolate(
  text: string,
  env: (name: string) => string | undefined,
): Interpolated {
  if (!text.includes("$")) return { value: text, unset: [], empty: [], rootedBy: [] };
  let value = "";
  const unset: string[] = [];
  const empty: string[] = [];
  /** Unset and empty variables with nothing before them in `value`. */
  const leading: string[] = [];
  const fail = (error: string): Interpolated => ({ value, unset, empty, rootedBy: [], error });
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf("$", i);
    if (dollar < 0) {
      value += text.slice(i);
      break;
    }
    value += text.slice(i, dollar);
    const next = text[dollar + 1];
    if (next === "$") {
      value += "$";
      i = dollar + 2;
    } else if (next === "{") {
      const close = text.indexOf("}", dollar + 2);
      if (close < 0) {
        return fail(`unterminated "\${" in ${shorten(text)} (write "$$" for a literal "$")`);
      }
      const body = text.slice(dollar + 2, close);
      if (body.includes("${")) {
        return fail(`nested "\${" in ${shorten(text)} is not supported`);
      }
      const separator = body.indexOf(":-");
      const name = separator < 0 ? body : body.slice(0, separator);
      if (!NAME.test(name)) {
        return fail(
          `invalid variable name ${shorten(name)} in ${shorten(`\${${body}}`)}: ` +
            "use letters, digits and _, not starting with a digit",
        );
      }
      const found = env(name);
      if (found !== undefined && found !== "") value += found;
      else if (separator >= 0) value += body.slice(separator + 2);
      else {
        (found === undefined ? unset : empty).push(name);
        if (value === "") leading.push(name);
      }
      i = close + 1;
    } else {
      value += "$";
      i = dollar + 1;
    }
  }
  const rooted = value.startsWith("/") && !text.startsWith("/");
  return { value, unset, empty, rootedBy: rooted ? leading : [] };
}

/** The text in quotes for a message, cut short when long. */
function shorten(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}
