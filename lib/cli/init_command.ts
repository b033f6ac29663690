// `kept init`: creates the repository of a destination.

import { Repository } from "../repo/mod.ts";
import { destinationByName, kdfFromEnv, openBackend } from "../destinations/mod.ts";
import { resolvePassword } from "../secrets.ts";
import { secretsOf } from "./_context.ts";
import { type CommandKit, type Program, whoAmI } from "./_command_kit.ts";

/** Registers `kept init` on `program`. */
export function initCommand(program: Program, kit: CommandKit): void {
  const { output, loadConfig, context } = kit;
  program.command("init")
    .description("create the repository of a destination")
    .argument("<destination>", "destination name from the config")
    .action(async (name) => {
      const config = await loadConfig();
      const destination = destinationByName(config, name);
      const backend = await openBackend(destination, true);
      const password = await resolvePassword(destination.password, destination.name, secretsOf(context));
      const kdf = kdfFromEnv(context.env);
      const repository = await Repository.init(backend, password, {
        ...whoAmI(context.env),
        now: new Date(),
        ...(kdf ? { kdf } : {}),
      });
      output.out(`created repository ${repository.config.id} at ${backend.location}\n`);
    });
}
