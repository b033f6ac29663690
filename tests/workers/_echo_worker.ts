// A worker for the BatchingPool test: answers each batch with its jobs' ids.

/// <reference lib="deno.worker" />

self.onmessage = (event: MessageEvent<{ ids: number[] }>) => {
  self.postMessage({ ids: event.data.ids });
};
