/**
 * The machinery every use case shares for running jobs on Web Workers: a pool that hands out jobs in
 * batches and settles each job's promise, and a counter that bounds the work in flight. A leaf: it knows
 * nothing of repositories or files.
 *
 * @module
 */

export { BatchingPool, type BatchLimits, type PoolHandlers, type PoolJob } from "./batching_pool.ts";
export { Slots } from "./slots.ts";
