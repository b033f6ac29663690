// The commands that work on repositories: init, backup, snapshots, ls, diff, restore, check, key.
// Each parses its flags, calls one library function and renders text or JSON.

import type { Command } from "@commander-js/extra-typings";
import { Option } from "@commander-js/extra-typings";
import { ExitCode, UsageError, UserError } from "../errors.ts";
import { backup } from "../backup/mod.ts";
import { FolderScans } from "../backup/mod.ts";
import { restore } from "../restore/mod.ts";
import { check } from "../check/mod.ts";
import { diffTrees, listTree } from "../snapshots/mod.ts";
import { destinationByName, kdfFromEnv, openBackend, openRepository } from "../destinations/mod.ts";
import { matchesFilter, Repository, type SnapshotEntry } from "../repo/mod.ts";
import { addKey, listKeys } from "../repo/mod.ts";
import { resolvePassword } from "../secrets.ts";
import { chooseDestinations, type CliContext, loadConfigOrFail, secretsOf } from "./_context.ts";
import { escapeName } from "./output.ts";
import { formatBytes } from "../plan/mod.ts";

type ConfigFlag = () => string | undefined;

const SNAPSHOT_PLAN_HELP = "only snapshots of this plan (latest: the newest of them)";
const SNAPSHOT_HOST_HELP = "only snapshots taken on this host (latest: the newest of them)";

function whoAmI(env: (name: string) => string | undefined) {
  return { host: Deno.hostname(), username: env("USER") ?? env("LOGNAME") ?? String(Deno.uid() ?? "") };
}

/** Registers the repository commands on `program`. */
export function registerRepositoryCommands(
  // deno-lint-ignore no-explicit-any
  program: Command<any, any, any>,
  context: CliContext,
  setExitCode: (code: number) => void,
  configFlag: ConfigFlag,
): void {
  const { output } = context;
  const json = (value: unknown) => output.out(JSON.stringify(value, null, 2) + "\n");
  const loadConfig = () => loadConfigOrFail(context, configFlag());
  const openNamed = async (name: string | undefined) => {
    const config = await loadConfig();
    const destination = destinationByName(config, chooseDestinations(config, undefined, name)[0]!);
    return { config, destination, repository: await openRepository(destination, secretsOf(context)) };
  };

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

  program.command("backup")
    .description("back up a plan to its destinations (all of them unless --destination is given)")
    .argument("<plan>", "plan name from the config")
    .option("--destination <name>", "back up to this destination only")
    .option("--dry-run", "scan and compare with the last snapshot, read and write nothing")
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      "\nExit codes: 0 ok, 1 failed, 3 finished but some files could not be read.\n" +
        "After the snapshot is saved, temporary files that interrupted backups left in the repository\n" +
        "more than a day ago are removed.",
    )
    .action(async (planName, options) => {
      const config = await loadConfig();
      const plan = config.plans.get(planName);
      if (!plan) {
        throw new UserError(
          `Unknown plan "${planName}" (defined: ${[...config.plans.keys()].join(", ") || "none"})`,
        );
      }
      if (options.destination && !plan.destinations.includes(options.destination)) {
        throw new UserError(`Plan "${planName}" does not back up to destination "${options.destination}"`);
      }
      const results = [];
      let partial = false;
      for (const name of chooseDestinations(config, planName, options.destination)) {
        const destination = destinationByName(config, name);
        // The snapshot's time is taken before any file is looked at.
        const now = new Date();
        const opening = openRepository(destination, secretsOf(context));
        // Read folders while the password's key is derived: the walk then only compares.
        const scans = FolderScans.start(plan, opening);
        const repository = await opening;
        const result = await backup(repository, {
          plan,
          destination: name,
          ...whoAmI(context.env),
          now,
          scans,
          dryRun: options.dryRun ?? false,
          onWarning: (message) => output.err(`warning: ${message}\n`),
        });
        if (result.warnings.length > 0) partial = true;
        results.push({ destination: name, ...result });
        if (!options.json) {
          const s = result.stats;
          const verb = options.dryRun
            ? "would back up"
            : `snapshot ${result.snapshotId?.slice(0, 12)} saved:`;
          output.out(
            `${name}: ${verb} ${s.files} files, ${s.dirs} folders, ${formatBytes(s.bytes)} ` +
              `(${s.newFiles} new, ${s.changedFiles} changed, ${s.unchangedFiles} unchanged); ` +
              `added ${formatBytes(s.addedBytes)} in ${(s.durationMs / 1000).toFixed(1)}s\n`,
          );
        }
        if (result.removedLeftovers && !options.json) {
          const { files, bytes } = result.removedLeftovers;
          output.out(
            `${name}: removed ${files} temporary ${files === 1 ? "file" : "files"} (${formatBytes(bytes)}) ` +
              `left by interrupted backups\n`,
          );
        }
        if (result.leftoversError) {
          output.err(
            `note: cannot remove what interrupted backups left in "${name}": ${result.leftoversError}\n`,
          );
        }
      }
      if (options.json) json(results);
      if (partial) setExitCode(ExitCode.partial);
    });

  program.command("snapshots")
    .description("list snapshots")
    .option("--destination <name>", "only this destination (default: every destination)")
    .option("--plan <name>", "only snapshots of this plan")
    .option("--host <name>", "only snapshots taken on this host")
    .option("--json", "print JSON")
    .action(async (options) => {
      const config = await loadConfig();
      const names = options.destination ? [options.destination] : [...config.destinations.keys()];
      const rows: (SnapshotEntry & { destination: string })[] = [];
      for (const name of names) {
        const repository = await openRepository(destinationByName(config, name), secretsOf(context));
        for (const entry of await repository.listSnapshots()) {
          if (matchesFilter(entry, options)) rows.push({ ...entry, destination: name });
        }
      }
      if (options.json) {
        json(rows.map(({ id, snapshot, destination }) => ({
          id,
          short_id: id.slice(0, 12),
          time: snapshot.time,
          plan: snapshot.plan,
          destination,
          host: snapshot.host,
          username: snapshot.username,
          tags: snapshot.tags,
          paths: snapshot.paths,
          tree: snapshot.tree,
          parent: snapshot.parent ?? null,
          stats: snapshot.stats,
        })));
        return;
      }
      output.out(
        `${"ID".padEnd(12)}  ${"Time".padEnd(19)}  ${"Plan".padEnd(12)}  ${
          "Destination".padEnd(12)
        }  Host  Size\n`,
      );
      for (const { id, snapshot, destination } of rows) {
        output.out(
          `${id.slice(0, 12)}  ${snapshot.time.slice(0, 19).replace("T", " ")}  ${
            snapshot.plan.padEnd(12)
          }  ${destination.padEnd(12)}  ${snapshot.host}  ${formatBytes(snapshot.stats.bytes)}\n`,
        );
      }
      output.out(`${rows.length} snapshot${rows.length === 1 ? "" : "s"}\n`);
    });

  program.command("ls")
    .description("list the files in a snapshot")
    .argument("<snapshot>", "snapshot id, unique id prefix, or latest")
    .argument("[path]", "folder or file inside the snapshot", "/")
    .option("--destination <name>", "destination (needed when several are defined)")
    .option("--plan <name>", SNAPSHOT_PLAN_HELP)
    .option("--host <name>", SNAPSHOT_HOST_HELP)
    .option("--json", "print one JSON object per entry")
    .action(async (ref, path, options) => {
      const { repository } = await openNamed(options.destination);
      await repository.loadIndex();
      const { snapshot } = await repository.findSnapshot(ref, options);
      for await (const entry of listTree(repository, snapshot.tree, path)) {
        if (options.json) output.out(JSON.stringify(entry) + "\n");
        else {
          const kind = entry.type === "dir" ? "d" : entry.type === "symlink" ? "l" : "-";
          const size = entry.type === "file" ? String(entry.size ?? 0) : "";
          output.out(
            `${kind}${modeString(entry.mode)} ${size.padStart(12)} ${new Date(entry.mtime).toISOString()} ${
              escapeName(entry.path)
            }${entry.target !== undefined ? ` -> ${escapeName(entry.target)}` : ""}\n`,
          );
        }
      }
    });

  program.command("diff")
    .description("show what changed between two snapshots")
    .argument("<snapshot1>", "the older snapshot")
    .argument("<snapshot2>", "the newer snapshot")
    .option("--destination <name>", "destination (needed when several are defined)")
    .option("--plan <name>", SNAPSHOT_PLAN_HELP)
    .option("--host <name>", SNAPSHOT_HOST_HELP)
    .option("--json", "print one JSON object per change")
    .addHelpText(
      "after",
      "\n+ added, - removed, M modified: a file's content, type, link target, mode, owner or time;\n" +
        "a folder's mode or owner (not its time alone: entries added or removed are listed).",
    )
    .action(async (first, second, options) => {
      const { repository } = await openNamed(options.destination);
      await repository.loadIndex();
      const a = await repository.findSnapshot(first, options);
      const b = await repository.findSnapshot(second, options);
      let count = 0;
      for await (const change of diffTrees(repository, a.snapshot.tree, b.snapshot.tree)) {
        count++;
        if (options.json) output.out(JSON.stringify(change) + "\n");
        else {output.out(
            `${change.change === "added" ? "+" : change.change === "removed" ? "-" : "M"}  ${
              escapeName(change.path)
            }\n`,
          );}
      }
      if (!options.json) output.err(`${count} change${count === 1 ? "" : "s"}\n`);
    });

  program.command("restore")
    .description("restore a snapshot, or a path in it, below a target folder")
    .argument("<snapshot>", "snapshot id, unique id prefix, or latest")
    .requiredOption("--target <dir>", "folder to restore into (created if missing)")
    .option("--destination <name>", "destination (needed when several are defined)")
    .option("--plan <name>", SNAPSHOT_PLAN_HELP)
    .option("--host <name>", SNAPSHOT_HOST_HELP)
    .option("--path <subpath>", "restore only this path of the snapshot, e.g. /etc/nginx")
    .option("--include <pattern...>", "restore only paths matching these gitignore-style patterns")
    .option("--overwrite", "replace existing files that differ from the snapshot")
    .addHelpText(
      "after",
      "\nFiles keep their absolute paths below the target: /etc/hosts is restored to TARGET/etc/hosts.\n" +
        "Existing files are never replaced without --overwrite; files that already match are skipped,\n" +
        "so running the same restore again resumes an interrupted one.",
    )
    .action(async (ref, options) => {
      const { repository } = await openNamed(options.destination);
      await repository.loadIndex();
      const { id, snapshot } = await repository.findSnapshot(ref, options);
      const result = await restore(repository, {
        tree: snapshot.tree,
        target: options.target,
        ...(options.path ? { path: options.path } : {}),
        ...(options.include ? { include: options.include } : {}),
        overwrite: options.overwrite ?? false,
        onWarning: (message) => output.err(`error: ${message}\n`),
      });
      output.out(
        `restored snapshot ${id.slice(0, 12)}: ${result.files} files, ${result.dirs} folders, ${
          formatBytes(result.bytes)
        }${result.skipped ? ` (${result.skipped} already present)` : ""}\n`,
      );
      if (result.errors.length > 0) {
        throw new UserError(`Restore incomplete: ${result.errors.length} entries could not be restored`);
      }
    });

  program.command("check")
    .description("verify a repository's structure, and with --read-data its contents")
    .option("--destination <name>", "destination (needed when several are defined)")
    .addOption(new Option("--read-data", "read every pack and verify every blob").conflicts("readDataSubset"))
    .option("--read-data-subset <percent>", "read this share of the packs, e.g. 10%")
    .option("--json", "print the result as JSON")
    .action(async (options) => {
      let subset: number | undefined;
      if (options.readDataSubset !== undefined) {
        const match = /^(\d+(?:\.\d+)?)%?$/.exec(options.readDataSubset);
        const value = match ? Number(match[1]) : NaN;
        if (!(value > 0 && value <= 100)) {
          throw new UsageError(
            `Invalid --read-data-subset "${options.readDataSubset}": give a percentage like 10%`,
          );
        }
        subset = value / 100;
      }
      const { destination, repository } = await openNamed(options.destination);
      const result = await check(repository, {
        readData: options.readData ?? false,
        ...(subset !== undefined ? { readDataSubset: subset } : {}),
      });
      if (options.json) {
        json({ ...result, destination: destination.name, affected: Object.fromEntries(result.affected) });
      } else {
        for (const warning of result.warnings) output.err(`warning: ${warning}\n`);
        for (const error of result.errors) output.out(`error: ${error}\n`);
        output.out(
          `${destination.name}: ${
            result.ok ? "no errors" : `${result.errors.length} errors`
          } in ${result.snapshots} snapshots, ${result.packs} packs` +
            `${result.packsRead ? ` (${result.packsRead} read)` : ""}\n`,
        );
      }
      if (!result.ok) setExitCode(ExitCode.failure);
    });

  const key = program.command("key").description("manage the passwords (keys) that open a repository");
  const newPassword = async (options: { newPasswordFile?: string }) => {
    if (options.newPasswordFile) {
      return await resolvePassword(
        { kind: "file", path: options.newPasswordFile },
        "the new key",
        secretsOf(context),
      );
    }
    const fromEnv = context.env("KEPT_NEW_PASSWORD");
    if (fromEnv) return fromEnv;
    const first = await context.prompt?.("New password: ");
    if (first === undefined) {
      throw new UserError("No new password given", { hint: "use --new-password-file or KEPT_NEW_PASSWORD" });
    }
    if ((await context.prompt?.("Repeat new password: ")) !== first) {
      throw new UserError("The passwords differ");
    }
    return first;
  };
  /** Seals the repository's keys under a new password (see newPassword) as a new key file. */
  const addKeyWithNewPassword = async (repository: Repository, options: { newPasswordFile?: string }) => {
    const kdf = kdfFromEnv(context.env);
    return await addKey(
      repository.backend,
      repository.config.id,
      repository.keys,
      await newPassword(options),
      {
        ...whoAmI(context.env),
        now: new Date(),
        ...(kdf ? { kdf } : {}),
      },
    );
  };
  key.command("list")
    .description("list the keys of a repository")
    .option("--destination <name>", "destination (needed when several are defined)")
    .option("--json", "print JSON")
    .action(async (options) => {
      const { repository } = await openNamed(options.destination);
      const keys = await listKeys(repository.backend);
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
      for (const { id, file } of keys) {
        output.out(
          `${id === repository.keyId ? "*" : " "} ${
            id.slice(0, 12)
          }  ${file.created}  ${file.username}@${file.host}\n`,
        );
      }
    });
  key.command("add")
    .description("add a key with a new password (from --new-password-file, KEPT_NEW_PASSWORD or a prompt)")
    .option("--destination <name>", "destination (needed when several are defined)")
    .option("--new-password-file <path>", "file whose first line is the new password")
    .action(async (options) => {
      const { repository } = await openNamed(options.destination);
      const id = await addKeyWithNewPassword(repository, options);
      output.out(`added key ${id.slice(0, 12)}\n`);
    });
  key.command("remove")
    .description("remove a key (not the one in use)")
    .argument("<key>", "key id or unique prefix")
    .option("--destination <name>", "destination (needed when several are defined)")
    .action(async (ref, options) => {
      const { repository } = await openNamed(options.destination);
      const matches = (await listKeys(repository.backend)).filter((k) => k.id.startsWith(ref));
      if (matches.length !== 1) {
        throw new UserError(matches.length === 0 ? `No key "${ref}"` : `Key prefix "${ref}" is ambiguous`);
      }
      const { id } = matches[0]!;
      if (id === repository.keyId) {
        throw new UserError(`Key ${id.slice(0, 12)} is the one in use`, {
          hint:
            "open the repository with another key's password to remove this one, or use `kept key passwd`",
        });
      }
      await repository.backend.delete({ kind: "keys", name: id });
      output.out(`removed key ${id.slice(0, 12)}\n`);
    });
  key.command("passwd")
    .description("change the password: add a key with the new password, then remove the current key")
    .option("--destination <name>", "destination (needed when several are defined)")
    .option("--new-password-file <path>", "file whose first line is the new password")
    .action(async (options) => {
      const { repository } = await openNamed(options.destination);
      const id = await addKeyWithNewPassword(repository, options);
      await repository.backend.delete({ kind: "keys", name: repository.keyId });
      output.out(`password changed: key ${id.slice(0, 12)} replaces ${repository.keyId.slice(0, 12)}\n`);
    });
}

function modeString(mode: number): string {
  const bits = "rwxrwxrwx";
  let out = "";
  for (let i = 0; i < 9; i++) out += mode & (1 << (8 - i)) ? bits[i] : "-";
  return out;
}
