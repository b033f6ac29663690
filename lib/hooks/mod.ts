/**
 * Hooks: a plan's `before`, `after` and `on_failure` shell commands around a backup, each in its own
 * process group with a time limit, their output captured (docs/reconcile.md#hooks). A leaf: imports
 * nothing of ours.
 *
 * @module
 */

export {
  formatMs,
  type HookCommandOptions,
  type HookCommandResult,
  hookEnvironment,
  KILL_GRACE_MS,
  MAX_OUTPUT_BYTES,
  runHookCommand,
} from "./run_hook.ts";
export {
  type HookContext,
  type HookedOutcome,
  type HookedWork,
  type PlanHooks,
  runFailureHooks,
  withHooks,
} from "./with_hooks.ts";
