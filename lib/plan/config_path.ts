/**
 * Which config to read when the user names none.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { UserError } from "../errors.ts";

/** Inputs to {@link resolveConfigPath}; all explicit so the choice is testable. */
export interface ConfigPathInputs {
  /** `--config PATH` */
  flag?: string | undefined;
  env: (name: string) => string | undefined;
  cwd: string;
}

/**
 * `--config`, else `$KEPT_CONFIG`, else `./plans` when it exists, else `$XDG_CONFIG_HOME/kept`
 * (`~/.config/kept`).
 *
 * @throws {UserError} when neither `--config` nor `KEPT_CONFIG` is given and neither default exists.
 */
export function resolveConfigPath(inputs: ConfigPathInputs): string {
  if (inputs.flag) return resolve(inputs.cwd, inputs.flag);
  const fromEnv = inputs.env("KEPT_CONFIG");
  if (fromEnv) return resolve(inputs.cwd, fromEnv);
  const local = join(inputs.cwd, "plans");
  if (existsSync(local)) return local;
  const configHome = inputs.env("XDG_CONFIG_HOME") || join(inputs.env("HOME") ?? "/", ".config");
  const global = join(configHome, "kept");
  if (existsSync(global)) return global;
  throw new UserError(`No config found: neither ${local} nor ${global} exists`, {
    hint: "name a plan file or folder with --config PATH or the KEPT_CONFIG variable, or create ./plans",
  });
}
