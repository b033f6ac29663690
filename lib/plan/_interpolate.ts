// `${VAR}` and `${VAR:-default}` inside plan strings; `$$` is a literal `$`.

/** The result of interpolating one string. */
export interface Interpolated {
  value: string;
  /** Variables that were unset and had no default. */
  unset: string[];
  /** A syntax error in the string, if any. */
  error?: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Replaces variables in `text` with values from `env`. An unset variable without default becomes "". */
export function interpolate(text: string, env: (name: string) => string | undefined): Interpolated {
  if (!text.includes("$")) return { value: text, unset: [] };
  let value = "";
  const unset: string[] = [];
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
        return {
          value,
          unset,
          error: `unterminated "\${" in ${shorten(text)} (write "$$" for a literal "$")`,
        };
      }
      const body = text.slice(dollar + 2, close);
      if (body.includes("${")) {
        return { value, unset, error: `nested "\${" in ${shorten(text)} is not supported` };
      }
      const separator = body.indexOf(":-");
      const name = separator < 0 ? body : body.slice(0, separator);
      if (!NAME.test(name)) {
        return {
          value,
          unset,
          error: `invalid variable name ${shorten(name)} in ${shorten(`\${${body}}`)}: ` +
            "use letters, digits and _, not starting with a digit",
        };
      }
      const found = env(name);
      if (found !== undefined && found !== "") value += found;
      else if (separator >= 0) value += body.slice(separator + 2);
      else if (found === undefined) unset.push(name);
      i = close + 1;
    } else {
      value += "$";
      i = dollar + 1;
    }
  }
  return { value, unset };
}

/** The text in quotes for a message, cut short when long. */
function shorten(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}
