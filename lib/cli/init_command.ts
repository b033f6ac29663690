// `kept init`: creates the repository of a destination.

import { createRepository, destinationByName, kdfFromEnv } from "../destinations/mod.ts";
import { resolveNewPassword } from "../secrets.ts";
import { secretsOf } from "./_context.ts";
import { type CommandKit, type Program, whoAmI } from "./_command_kit.ts";

/** Registers `kept init` on `program`. */
export function initCommand(program: Program, kit: CommandKit): void {
  const { loadConfig, context, say } = kit;
  program.command("init")
    .description("create the repository of a destination")
    .argument("<destination>", "destination name from the config")
    .addHelpText(
      "after",
      "\nThe password comes from the destination (password, password_file, password_command), else\n" +
        "KEPT_PASSWORD, else it is asked twice on the terminal. An empty password is refused.",
    )
    .action(async (name) => {
      const config = await loadConfig({ plans: [] }); // a plan's variables are not init's to need
      const destination = destinationByName(config, name);
      // The password first: a refused one leaves no empty repository folder behind.
      const password = await resolveNewPassword(destination.password, destination.name, secretsOf(context));
      const kdf = kdfFromEnv(context.env);
      const repository = await createRepository(destination, password, {
        ...whoAmI(context.env),
        now: new Date(),
        ...(kdf ? { kdf } : {}),
      }, context.env);
      say(`created repository ${repository.config.id} at ${repository.location}\n`);
    });
}
