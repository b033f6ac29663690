/**
 * A plan's hooks around one backup to one destination (docs/reconcile.md#hooks): `before` commands in
 * order (the first failure fails the backup, which is then not run), the backup, `after` commands when it
 * succeeded (a failing one fails the run, the snapshot stays), and `on_failure` commands whenever the run
 * failed. Every command's output goes into one log.
 *
 * @module
 */

import { formatMs, hookEnvironment, runHookCommand } from "./run_hook.ts";

/** A plan's hooks, as the plan loader gives them. */
export interface PlanHooks {
  readonly before: readonly string[];
  readonly after: readonly string[];
  readonly onFailure: readonly string[];
  /** The time limit of each command. */
  readonly timeoutMs: number;
}

/** Where and for what the hooks run. */
export interface HookContext {
  readonly plan: string;
  readonly destination: string;
  /** The folder the commands run in (the plan file's); undefined: kept's. */
  readonly cwd?: string | undefined;
  /** kept's environment, which the commands inherit (without kept's secret variables). */
  readonly env: Readonly<Record<string, string>>;
  /** Aborted when kept is interrupted: the running command's process group is killed. */
  readonly signal?: AbortSignal | undefined;
}

/** What the hooked work returns: its value and the snapshot it saved, or why it failed. */
export type HookedWork<T> =
  | { readonly ok: true; readonly value: T; readonly snapshot?: string | undefined }
  | { readonly ok: false; readonly error: string };

/** How the whole run went: the work's outcome, or the first failure (work or hook), and the hooks' log. */
export type HookedOutcome<T> =
  | { readonly ok: true; readonly value: T; readonly log: string }
  | {
    readonly ok: false;
    readonly error: string;
    /** The work's value when it succeeded and an `after` hook failed. */
    readonly value?: T;
    readonly log: string;
  };

/** Runs `work` between the `before` and `after` hooks, and the `on_failure` hooks if anything failed. */
export async function withHooks<T>(
  hooks: PlanHooks,
  context: HookContext,
  work: () => Promise<HookedWork<T>>,
): Promise<HookedOutcome<T>> {
  const log: string[] = [];
  const before = await runStage("before", hooks.before, hooks.timeoutMs, context, {}, log);
  if (before !== undefined) {
    await runStage("on_failure", hooks.onFailure, hooks.timeoutMs, context, failed(before), log);
    return { ok: false, error: before, log: log.join("") };
  }
  const outcome = await work();
  if (!outcome.ok) {
    await runStage("on_failure", hooks.onFailure, hooks.timeoutMs, context, failed(outcome.error), log);
    return { ok: false, error: outcome.error, log: log.join("") };
  }
  const snapshot = outcome.snapshot ?? "";
  const succeeded = { KEPT_RESULT: "success", KEPT_SNAPSHOT: snapshot };
  const after = await runStage("after", hooks.after, hooks.timeoutMs, context, succeeded, log);
  if (after !== undefined) {
    const variables = { ...failed(after), KEPT_SNAPSHOT: snapshot };
    await runStage("on_failure", hooks.onFailure, hooks.timeoutMs, context, variables, log);
    return { ok: false, error: after, value: outcome.value, log: log.join("") };
  }
  return { ok: true, value: outcome.value, log: log.join("") };
}

/**
 * Runs only the `on_failure` hooks, for a run that failed before its `before` hooks could run (its
 * destination could not be reached or created). Returns their log.
 */
export async function runFailureHooks(
  hooks: PlanHooks,
  context: HookContext,
  error: string,
): Promise<string> {
  const log: string[] = [];
  await runStage("on_failure", hooks.onFailure, hooks.timeoutMs, context, failed(error), log);
  return log.join("");
}

function failed(error: string): Record<string, string> {
  return { KEPT_RESULT: "failure", KEPT_ERROR: error };
}

/** Runs one stage's commands in order; returns why the first failing one failed, or undefined. */
async function runStage(
  stage: string,
  commands: readonly string[],
  timeoutMs: number,
  context: HookContext,
  variables: Record<string, string>,
  log: string[],
): Promise<string | undefined> {
  const env = hookEnvironment(context.env, {
    KEPT_PLAN: context.plan,
    KEPT_DESTINATION: context.destination,
    KEPT_SNAPSHOT: "",
    KEPT_RESULT: "",
    KEPT_ERROR: "",
    ...variables,
  });
  for (const command of commands) {
    log.push(`${stage} $ ${command}\n`);
    const result = await runHookCommand(command, {
      env,
      cwd: context.cwd,
      timeoutMs,
      signal: context.signal,
    });
    if (result.output) log.push(result.output.endsWith("\n") ? result.output : `${result.output}\n`);
    const took = formatMs(Math.round(result.durationMs / 100) * 100);
    log.push(`${stage}: ${result.ok ? "ok" : result.failure} in ${took}\n`);
    if (!result.ok) {
      const last = result.output.trim().split("\n").at(-1) ?? "";
      return `${stage} hook "${command}" failed: ${result.failure}${last ? `: ${last}` : ""}`;
    }
  }
  return undefined;
}
