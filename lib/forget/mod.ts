/**
 * Forget: which snapshots each plan's retention no longer keeps at a destination (a plan value that
 * `--dry-run` prints), and removing them. Only snapshot files are removed; prune (lib/prune) frees the data
 * they named. Rules: docs/retention.md.
 *
 * @module
 */

export { applyForget, forgottenIds, type SnapshotRemover } from "./apply_forget.ts";
export {
  type ForgetGroup,
  type ForgetKept,
  type ForgetPlan,
  type ForgetPolicy,
  type ForgetSnapshot,
  planForget,
  type PlanForgetOptions,
} from "./plan_forget.ts";
export { selectSnapshots } from "./select_snapshots.ts";
export { type RetentionAge, type RetentionPolicy } from "../retention/mod.ts";
