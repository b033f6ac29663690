// A worker for the BatchingPool test: answers each batch with its jobs' ids, but dies (an uncaught
// error) on a batch holding job 0.

/// <reference lib="deno.worker" />

self.onmessage = (event: MessageEvent<{ ids: number[] }>) => {
  if (event.data.ids.includes(0)) throw new Error("boom");
  self.postMessage({ ids: event.data.ids });
};
