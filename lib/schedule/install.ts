/**
 * Installing generated files: first the steps (write, leave unchanged, remove a stale file kept wrote
 * before), then carrying them out. Only files that start with kept's marker, and name the same config (or
 * none: an older kept wrote them), are ever replaced or removed.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { UserError } from "../errors.ts";
import type { GeneratedFile } from "./systemd_units.ts";
import { installedFor, isMarked } from "./marker.ts";

/** One step of an install. */
export type InstallStep =
  | {
    readonly kind: "write";
    readonly path: string;
    readonly content: string;
    readonly change: "new" | "changed";
  }
  | { readonly kind: "unchanged"; readonly path: string }
  | { readonly kind: "remove"; readonly path: string };

/** The names of unit files kept writes: the ones a later install may find stale. */
const UNIT_NAME = /^kept-.+\.(service|timer)$/;

/** Whose files an install may replace or remove: those kept wrote for this config. */
export interface InstallOwner {
  /** The config the files run (an absolute path), as their second line records it. */
  readonly config: string;
}

/**
 * The steps that make `folder` hold exactly `files` among the units kept wrote for `owner.config`: each
 * written unless it is already so, and every other `kept-*.service|timer` kept wrote for that config
 * removed, with the `timers.target.wants` link `systemctl enable` made for it. Units of other configs
 * stay. Throws a UserError when a file to write exists without the marker, or belongs to another config.
 */
export async function planUnitsInstall(
  folder: string,
  files: readonly GeneratedFile[],
  owner: InstallOwner,
): Promise<InstallStep[]> {
  const steps: InstallStep[] = [];
  for (const file of files) steps.push(await planFileInstall(join(folder, file.name), file.content, owner));
  const wanted = new Set(files.map((file) => file.name));
  for (const name of await unitNames(folder)) {
    if (wanted.has(name) || !ownedBy(await readIfExists(join(folder, name)), owner)) continue;
    steps.push({ kind: "remove", path: join(folder, name) });
    const link = join(folder, "timers.target.wants", name);
    if (await isSymlink(link)) steps.push({ kind: "remove", path: link });
  }
  return steps;
}

/**
 * The step that makes `path` hold `content`. Throws a UserError when it exists without kept's marker, or
 * was installed for another config (two configs with a plan of the same name).
 */
export async function planFileInstall(
  path: string,
  content: string,
  owner: InstallOwner,
): Promise<InstallStep> {
  const existing = await readIfExists(path);
  if (existing === content) return { kind: "unchanged", path };
  if (existing !== undefined && !isMarked(existing)) {
    throw new UserError(`Cannot write ${path}: it exists and was not written by kept`, {
      hint: "move it away or rename the plan, then run kept schedule install again",
    });
  }
  const other = existing === undefined ? undefined : installedFor(existing);
  if (other !== undefined && other !== owner.config) {
    throw new UserError(`Cannot write ${path}: kept installed it for another config, "${other}"`, {
      hint:
        "rename the plan in one of the configs, or remove its schedule there and install that config again",
    });
  }
  return { kind: "write", path, content, change: existing === undefined ? "new" : "changed" };
}

/**
 * Removing `path` when kept wrote it for `owner.config`; nothing when it is missing or someone else's.
 * `unnamed` decides for a file that names no config (an older kept's): by default it is the owner's.
 */
export async function planStaleRemoval(
  path: string,
  owner: InstallOwner,
  unnamed: (content: string) => boolean = () => true,
): Promise<InstallStep[]> {
  const content = await readIfExists(path);
  if (content === undefined || !isMarked(content)) return [];
  const config = installedFor(content);
  const owned = config === undefined ? unnamed(content) : config === owner.config;
  return owned ? [{ kind: "remove", path }] : [];
}

/** Carries out `steps`: each file written whole (a temporary file renamed into place), mode 0644. */
export async function applyInstall(steps: readonly InstallStep[]): Promise<void> {
  for (const step of steps) {
    try {
      await applyStep(step);
    } catch (error) {
      const verb = step.kind === "remove" ? "remove" : "write";
      const hint = error instanceof Deno.errors.PermissionDenied
        ? "run it as root for the system's units, or with --user for your own"
        : undefined;
      throw new UserError(
        `Cannot ${verb} ${step.path}: ${error instanceof Error ? error.message : String(error)}`,
        hint === undefined ? {} : { hint },
      );
    }
  }
}

async function applyStep(step: InstallStep): Promise<void> {
  if (step.kind === "write") {
    await Deno.mkdir(dirname(step.path), { recursive: true });
    const temporary = `${step.path}.kept-new`;
    // cron ignores files that others can write; systemd units are world-readable by convention.
    await Deno.writeTextFile(temporary, step.content, { mode: 0o644 });
    await Deno.chmod(temporary, 0o644);
    await Deno.rename(temporary, step.path);
  } else if (step.kind === "remove") {
    await Deno.remove(step.path).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  }
}

/**
 * Whether kept wrote `content` for `owner.config`. One an older kept wrote names no config in its marker:
 * it is this config's when its command runs this config (another config's would stop with its removal).
 */
function ownedBy(content: string | undefined, owner: InstallOwner): boolean {
  if (content === undefined || !isMarked(content)) return false;
  const config = installedFor(content);
  return config === undefined ? content.includes(owner.config) : config === owner.config;
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new UserError(`Cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function unitNames(folder: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(folder)) {
      if (entry.isFile && UNIT_NAME.test(entry.name)) names.push(entry.name);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names.sort();
}

async function isSymlink(path: string): Promise<boolean> {
  try {
    return (await Deno.lstat(path)).isSymlink;
  } catch {
    return false;
  }
}
