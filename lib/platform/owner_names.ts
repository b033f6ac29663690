/**
 * Owner and group names by numeric id, read from /etc/passwd and /etc/group once per process: a backup
 * records them next to the ids (docs/format.md#trees), and asks for the same few ids a million times.
 * Ids that only a directory service (LDAP, NIS) knows have no name here: the caller leaves the name out.
 *
 * @module
 */

let users: Map<number, string> | undefined;
let groups: Map<number, string> | undefined;

/** The name of user `uid` in /etc/passwd, or undefined when it has none there (or the file is unreadable). */
export function userName(uid: number): string | undefined {
  users ??= namesById(readText("/etc/passwd"));
  return users.get(uid);
}

/** The name of group `gid` in /etc/group, or undefined when it has none there (or the file is unreadable). */
export function groupName(gid: number): string | undefined {
  groups ??= namesById(readText("/etc/group"));
  return groups.get(gid);
}

/**
 * The name of the user running this process, from its uid (undefined when /etc/passwd has no name for
 * it, or without `--allow-sys=uid`); for a snapshot's `username` when neither USER nor LOGNAME is set.
 */
export function currentUserName(): string | undefined {
  let uid: number | null;
  try {
    uid = Deno.uid();
  } catch {
    return undefined; // no --allow-sys=uid
  }
  return uid === null ? undefined : userName(uid);
}

/**
 * The names of an /etc/passwd or /etc/group text by their numeric id (the third field), the first line
 * winning as getpwuid(3) does. Comments, blank lines, NIS lines (`+`/`-`) and malformed lines are skipped.
 */
export function namesById(text: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#") || line.startsWith("+") || line.startsWith("-")) continue;
    const fields = line.split(":");
    const name = fields[0];
    const id = fields[2];
    if (name === undefined || name === "" || id === undefined || !/^\d+$/.test(id)) continue;
    const number = Number(id);
    if (number <= 0xffffffff && !names.has(number)) names.set(number, name);
  }
  return names;
}

function readText(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return ""; // no such file (not a Unix system) or no permission: no names
  }
}
