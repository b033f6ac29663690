// `kept key`: manages the passwords (keys) that open a repository.

import { UserError } from "../errors.ts";
import { forgetWarmUnlocks, kdfFromEnv } from "../destinations/mod.ts";
import type { KeyMeta } from "../repo/mod.ts";
import { askNewPassword, readPasswordFile } from "../secrets.ts";
import type { CliContext } from "./_context.ts";
import { type CommandKit, type Program, whoAmI } from "./_command_kit.ts";
import { formatLocalTime } from "./_local_time.ts";
import { formatTable } from "./_table.ts";

/**
 * The new password of `key add` and `key passwd` for destination `name` from KEPT_NEW_PASSWORD or a prompt
 * that asks twice (after the current password's); an empty answer is refused.
 */
async function newPassword(context: CliContext, name: string): Promise<string> {
  const what = `the new key of destination "${name}"`;
  const password = context.env("KEPT_NEW_PASSWORD") ||
    (context.prompt ? await askNewPassword(context.prompt, what) : undefined);
  if (password === undefined) {
    throw new UserError("No new password given", { hint: "use --new-password-file or KEPT_NEW_PASSWORD" });
  }
  return password;
}

/**
 * The new password from --new-password-file, if given: read before the repository is opened and locked, so
 * that a mistyped path fails at once.
 */
async function newPasswordFromFile(
  context: CliContext,
  options: { newPasswordFile?: string },
): Promise<string | undefined> {
  return options.newPasswordFile === undefined
    ? undefined
    : await readNewPasswordFile(context, options.newPasswordFile);
}

/**
 * The first line of --new-password-file `path`, read as a destination's password_file is, with messages
 * that name the flag, not the destination's own password setting.
 *
 * @throws {UserError} when the file cannot be read or its first line is empty.
 */
async function readNewPasswordFile(context: CliContext, path: string): Promise<string> {
  const file = `--new-password-file "${path}"`;
  const password = await readPasswordFile(
    path,
    { file, cannot: `Cannot read the new password from ${file}` },
    (message) => context.output.err(`warning: ${message}\n`),
  );
  if (password === "") throw new UserError(`The new password in ${file} is empty`);
  return password;
}

/** Who makes a key, and how costly its key derivation is. */
function keyMeta(context: CliContext): KeyMeta {
  const kdf = kdfFromEnv(context.env);
  return { ...whoAmI(context.env), now: new Date(), ...(kdf ? { kdf } : {}) };
}

/** Registers `kept key` and its subcommands on `program`. */
export function keyCommand(program: Program, kit: CommandKit): void {
  const key = program.command("key").description("manage the passwords (keys) that open a repository");
  keyListCommand(key, kit);
  keyChangeCommands(key, kit);
}

/** `kept key list`. */
function keyListCommand(key: Program, kit: CommandKit): void {
  const { output, json, openNamed } = kit;
  key.command("list")
    .description("list the keys of a repository")
    .option("--destination <name>", "destination (needed when several are defined)")
    .option("--json", "print JSON")
    .action(async (options) => {
      // Not with the key remembered from the last run: only trying the key files tells a foreign one.
      const { repository } = await openNamed(options.destination, { cache: false });
      const keys = await repository.listKeys();
      if (options.json) {
        json(keys.map(({ id, file, otherRepository }) => ({
          id,
          current: id === repository.keyId,
          created: file.created,
          host: file.host,
          username: file.username,
          foreign: otherRepository !== undefined,
          other_repository: otherRepository ?? null,
        })));
        return;
      }
      output.out(formatTable(keys.map(({ id, file, otherRepository }) => [
        id === repository.keyId ? "*" : " ",
        id.slice(0, 12),
        formatLocalTime(file.created),
        `${file.username}@${file.host}`,
        ...(otherRepository === undefined
          ? []
          : [`foreign (left by an interrupted init): kept key remove ${id.slice(0, 12)}`]),
      ])));
    });
}

/** `kept key add`, `kept key remove` and `kept key passwd`. */
function keyChangeCommands(key: Program, kit: CommandKit): void {
  const { openNamed, context, say } = kit;
  // Exclusive: two key changes at once could each remove the other's key and leave none.
  const open = (name: string | undefined) => openNamed(name, { lock: "exclusive" });
  key.command("add")
    .description("add a key with a new password (from --new-password-file, KEPT_NEW_PASSWORD or a prompt)")
    .option("--destination <name>", "destination (needed when several are defined)")
    .option("--new-password-file <path>", "file whose first line is the new password")
    .action(async (options) => {
      const fromFile = await newPasswordFromFile(context, options);
      const { repository, destination } = await open(options.destination);
      const password = fromFile ?? await newPassword(context, destination.name);
      const id = await repository.addKey(password, keyMeta(context));
      say(`added key ${id.slice(0, 12)}\n`);
    });
  key.command("remove")
    .description("remove a key (not the one in use)")
    .argument("<key>", "key id or unique prefix")
    .option("--destination <name>", "destination (needed when several are defined)")
    .action(async (ref, options) => {
      const { repository } = await open(options.destination);
      // Damaged key files too, which listing leaves out: removing them is how a user clears the warning.
      const listed = (await repository.listKeys()).map((k) => k.id);
      const damaged = repository.damagedFiles.filter((file) => file.kind === "keys").map((file) => file.name);
      // A foreign key is in both: listed, and left out by opening.
      const matches = [...new Set([...listed, ...damaged])].filter((id) => id.startsWith(ref));
      if (matches.length !== 1) {
        throw new UserError(matches.length === 0 ? `No key "${ref}"` : `Key prefix "${ref}" is ambiguous`);
      }
      const id = matches[0]!;
      if (id === repository.keyId) {
        throw new UserError(`Key ${id.slice(0, 12)} is the one in use`, {
          hint:
            "open the repository with another key's password to remove this one, or use `kept key passwd`",
        });
      }
      await repository.removeKey(id);
      forgetWarmUnlocks({ keyId: id }, context.env); // copies of it kept to unlock early go too
      say(`removed key ${id.slice(0, 12)}\n`);
    });
  key.command("passwd")
    .description("change the password: add a key with the new password, then remove the current key")
    .option("--destination <name>", "destination (needed when several are defined)")
    .option("--new-password-file <path>", "file whose first line is the new password")
    .action(async (options) => {
      const fromFile = await newPasswordFromFile(context, options);
      const { repository, destination } = await open(options.destination);
      const password = fromFile ?? await newPassword(context, destination.name);
      const id = await repository.changePassword(password, keyMeta(context));
      forgetWarmUnlocks({ keyId: repository.keyId }, context.env); // copies of the old key go with it
      say(`password changed: key ${id.slice(0, 12)} replaces ${repository.keyId.slice(0, 12)}\n`);
    });
}
