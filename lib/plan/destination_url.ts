/**
 * Destination URLs: a local path (`/srv/backup`, `file:///srv/backup`) or an S3 bucket
 * (`s3://host[:port]/bucket/prefix`, HTTPS; `s3+http://…` for plain HTTP on a trusted network). restic's
 * repository strings (`s3:host/bucket`, `sftp:host:/path`) are refused, not read as folder names.
 *
 * @module
 */

/** Where a repository lives, as parsed from a destination's `url`. */
export type DestinationLocation =
  | { kind: "local"; path: string }
  | { kind: "s3"; endpoint: string; bucket: string; prefix: string };

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Parses a destination URL; relative local paths are returned as written. */
export function parseDestinationUrl(url: string): { location?: DestinationLocation; problem?: string } {
  if (url.trim() === "") return { problem: "url is empty: give a path or s3://host/bucket" };
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    const problem = repositoryStringProblem(url);
    return problem === undefined ? { location: { kind: "local", path: url } } : { problem };
  }
  if (scheme === "file") {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return { problem: `cannot parse URL "${url}": expected file:///path` };
    }
    const path = decodePath(parsed.pathname);
    if (path === undefined) return { problem: badPercent(url) };
    if (parsed.hostname !== "" && parsed.hostname !== "localhost") {
      return {
        problem: `URL "${url}" names the host "${parsed.hostname}": a file URL is local, write file:///path`,
      };
    }
    if (parsed.search !== "" || parsed.hash !== "") {
      return { problem: `URL "${url}" must not contain a query or a fragment` };
    }
    return { location: { kind: "local", path } };
  }
  if (scheme !== "s3" && scheme !== "s3+http") {
    return {
      problem: `unsupported URL scheme "${scheme}" in "${url}": use a path, file://… or s3://host/bucket`,
    };
  }
  let parsed: URL;
  try {
    parsed = new URL(url.replace(/^[^:]+:/, scheme === "s3" ? "https:" : "http:"));
  } catch {
    return { problem: `cannot parse URL "${url}": expected s3://host[:port]/bucket[/prefix]` };
  }
  if (parsed.hostname === "" || /^[^:]+:\/\/\//.test(url)) {
    return { problem: `URL "${url}" names no host: expected s3://host[:port]/bucket` };
  }
  if (parsed.search !== "" || parsed.hash !== "" || parsed.username !== "") {
    return { problem: `URL "${url}" must not contain credentials, a query or a fragment` };
  }
  const [bucket = "", ...rest] = parsed.pathname.split("/").filter((part) => part !== "");
  if (bucket === "") {
    return { problem: `URL "${url}" names no bucket: expected s3://host[:port]/bucket[/prefix]` };
  }
  if (!BUCKET.test(bucket)) {
    return {
      problem: `invalid bucket name "${bucket}" in "${url}": 3-63 lower-case letters, digits, '.' or '-'`,
    };
  }
  const prefix = decodePath(rest.join("/"));
  if (prefix === undefined) return { problem: badPercent(url) };
  return { location: { kind: "s3", endpoint: `${parsed.protocol}//${parsed.host}`, bucket, prefix } };
}

/**
 * Why `url` is refused when it reads like restic's `s3:host/bucket` or `sftp:user@host:/path`: as a path it
 * would be a local folder named `s3:host`, and the backup would silently stay on this machine. Undefined for
 * an ordinary path: absolute, `~/…`, `./…`, or one whose first part has no colon (`backups/a:b`).
 */
function repositoryStringProblem(url: string): string | undefined {
  // `C:\backup` is a Windows drive, not a scheme.
  if (/^[a-zA-Z]:\\/.test(url)) return undefined;
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(url.split("/")[0]!)?.[1];
  if (scheme === undefined) return undefined;
  const rest = url.slice(scheme.length + 1);
  const folder = `or write ${JSON.stringify(`./${url}`)} for a local folder really named like that`;
  switch (scheme.toLowerCase()) {
    case "s3": {
      // restic also takes `s3:https://host/bucket` and `s3:http://…`.
      const http = /^http:\/\//i.test(rest);
      const kept = `${http ? "s3+http" : "s3"}://${rest.replace(/^(https?:)?\/+/i, "")}`;
      return `URL "${url}" is restic's form of an S3 repository: write ${JSON.stringify(kept)} ` +
        `(s3://host/bucket/prefix), ${folder}`;
    }
    case "file":
    case "local":
      return `URL "${url}" is restic's form of a local repository: write the path ` +
        `${JSON.stringify(rest === "" ? "." : rest)} (or file:///absolute/path), ${folder}`;
    default:
      return `URL "${url}" looks like a restic "${scheme}:" repository, which kept cannot store to: use a path, ` +
        `file:///path or s3://host/bucket/prefix, ${folder}`;
  }
}

/** Decodes %XX escapes; undefined when a "%" is not followed by an escape (`100%-done`). */
function decodePath(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

function badPercent(url: string): string {
  return `URL "${url}" contains a "%" that does not start an escape like %20: write %25 for a literal "%"`;
}
