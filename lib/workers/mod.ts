/**
 * The machinery every use case shares for running jobs on Web Workers: a pool that hands out jobs in
 * batches and settles each job's promise, a counter that bounds the work in flight, and errors that cross
 * a worker boundary with their kind (`io`, `integrity`, `bug`). A leaf: it knows nothing of repositories
 * or files.
 *
 * @module
 */

export { BatchingPool, type BatchLimits, type PoolHandlers, type PoolJob } from "./batching_pool.ts";
export { Slots } from "./slots.ts";
export {
  decodeWorkerError,
  encodeWorkerError,
  type ErrorKind,
  errorKind,
  IoError,
  WorkerBugError,
  type WorkerError,
} from "./worker_error.ts";
