// A worker for the BatchingPool test: answers each batch with its jobs' ids and the batch's size.

/// <reference lib="deno.worker" />

self.onmessage = (event: MessageEvent<{ ids: number[] }>) => {
  self.postMessage({ ids: event.data.ids, batch: event.data.ids.length });
};
