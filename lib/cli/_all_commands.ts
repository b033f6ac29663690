/**
 * Every command module at once, in the order `kept --help` lists them: what a run loads when its line names
 * no single command (see `_commands.ts`). One import, since each dynamic import costs about a millisecond.
 *
 * @module
 */

import type { Register } from "./_commands.ts";
import { initCommand } from "./init_command.ts";
import { backupCommand } from "./backup_command.ts";
import { snapshotsCommand } from "./snapshots_command.ts";
import { lsCommand } from "./ls_command.ts";
import { diffCommand } from "./diff_command.ts";
import { restoreCommand } from "./restore_command.ts";
import { checkCommand } from "./check_command.ts";
import { keyCommand } from "./key_command.ts";
import { forgetCommand } from "./forget_command.ts";
import { pruneCommand } from "./prune_command.ts";
import { unlockCommand } from "./unlock_command.ts";
import { repairCommand } from "./repair_command.ts";
import { cacheCommand } from "./cache_command.ts";
import { planCommand } from "./plan_command.ts";
import { applyCommand } from "./apply_command.ts";
import { stateCommand } from "./state_command.ts";
import { daemonCommand } from "./daemon_command.ts";
import { scheduleCommand } from "./schedule_command.ts";
import { completionsCommand } from "./completions_command.ts";

export const ALL_COMMANDS: readonly Register[] = [
  initCommand,
  backupCommand,
  snapshotsCommand,
  lsCommand,
  diffCommand,
  restoreCommand,
  checkCommand,
  keyCommand,
  forgetCommand,
  pruneCommand,
  unlockCommand,
  repairCommand,
  cacheCommand,
  planCommand,
  applyCommand,
  stateCommand,
  daemonCommand,
  scheduleCommand,
  completionsCommand,
];
