// Quoting command words for the two places kept writes a command line: systemd's ExecStart= and a crontab.

/** A word as systemd reads it in ExecStart= and Environment= (specifiers `%` and variables `$` escaped). */
export function systemdWord(word: string): string {
  const escaped = word.replaceAll("%", "%%").replaceAll("$", "$$$$");
  if (/^[\w@%+=:,./-]+$/.test(escaped)) return escaped;
  return `"${escaped.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/** A word for /bin/sh in a crontab line, where an unescaped `%` would start the command's stdin. */
export function crontabWord(word: string): string {
  const quoted = /^[\w@+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
  return quoted.replaceAll("%", "\\%");
}
