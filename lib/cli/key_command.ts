// `kept key`: manages the passwords (keys) that open a repository.

import { UserError } from "../errors.ts";
import { kdfFromEnv } from "../destinations/mod.ts";
import type { KeyMeta } from "../repo/mod.ts";
import { askNewPassword, resolvePassword } from "../secrets.ts";
import { type CliContext, secretsOf } from "./_context.ts";
import { type CommandKit, type Program, whoAmI } from "./_command_kit.ts";
import { formatLocalTime } from "./_local_time.ts";
import { formatTable } from "./_table.ts";

/**
 * The new password of `key add` and `key passwd` for destination `name`: from --new-password-file,
 * KEPT_NEW_PASSWORD or a prompt that asks twice; an empty one is refused.
 */
async function newPassword(
  context: CliContext,
  name: string,
  options: { newPasswordFile?: string },
): Promise<string> {
  const what = `the new key of destination "${name}"`;
  let password: string | undefined;
  if (options.newPasswordFile) {
    password = await resolvePassword(
      { kind: "file", path: options.newPasswordFile },
      name,
      secretsOf(context),
    );
  } else {
    password = context.env("KEPT_NEW_PASSWORD") ||
      (context.prompt ? await askNewPassword(context.prompt, what) : undefined);
  }
  if (password === undefined) {
    throw new UserError("No new password given", { hint: "use --new-password-file or KEPT_NEW_PASSWORD" });
  }
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
      const { repository } = await openNamed(options.destination);
      const keys = await repository.listKeys();
      if (options.json) {
        json(keys.map(({ id, file }) => ({
          id,
          current: id === repository.keyId,
          created: file.created,
          host: file.host,
          username: file.username,
        })));
        return;
      }
      output.out(formatTable(keys.map(({ id, file }) => [
        id === repository.keyId ? "*" : " ",
        id.slice(0, 12),
        formatLocalTime(file.created),
        `${file.username}@${file.host}`,
      ])));
    });
}

/** `kept key add`, `kept key remove` and `kept key passwd`. */
function keyChangeCommands(key: Program, kit: CommandKit): void {
  const { openNamed, context, say } = kit;
  key.command("add")
    .description("add a key with a new password (from --new-password-file, KEPT_NEW_PASSWORD or a prompt)")
    .option("--destination <name>", "destination (needed when several are defined)")
    .option("--new-password-file <path>", "file whose first line is the new password")
    .action(async (options) => {
      const { repository, destination } = await openNamed(options.destination);
      const id = await repository.addKey(
        await newPassword(context, destination.name, options),
        keyMeta(context),
      );
      say(`added key ${id.slice(0, 12)}\n`);
    });
  key.command("remove")
    .description("remove a key (not the one in use)")
    .argument("<key>", "key id or unique prefix")
    .option("--destination <name>", "destination (needed when several are defined)")
    .action(async (ref, options) => {
      const { repository } = await openNamed(options.destination);
      // Damaged key files too, which listing leaves out: removing them is how a user clears the warning.
      const listed = (await repository.listKeys()).map((k) => k.id);
      const damaged = repository.damagedFiles.filter((file) => file.kind === "keys").map((file) => file.name);
      const matches = [...listed, ...damaged].filter((id) => id.startsWith(ref));
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
      say(`removed key ${id.slice(0, 12)}\n`);
    });
  key.command("passwd")
    .description("change the password: add a key with the new password, then remove the current key")
    .option("--destination <name>", "destination (needed when several are defined)")
    .option("--new-password-file <path>", "file whose first line is the new password")
    .action(async (options) => {
      const { repository, destination } = await openNamed(options.destination);
      const password = await newPassword(context, destination.name, options);
      const id = await repository.changePassword(password, keyMeta(context));
      say(`password changed: key ${id.slice(0, 12)} replaces ${repository.keyId.slice(0, 12)}\n`);
    });
}
