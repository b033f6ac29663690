// surveyDestinations(): what fails at a destination becomes its view; what fails in the state file is the
// state file's error, not a destination that looks unreachable.

import assert from "node:assert/strict";
import { surveyDestinations } from "../../lib/reconcile/mod.ts";
import type { Repository } from "../../lib/repo/mod.ts";
import { type StateFile, StateFileError } from "../../lib/state/mod.ts";

const emptyRepository = { listSnapshots: () => Promise.resolve([]) } as unknown as Repository;

Deno.test("a state file that cannot take a destination's listing fails the survey with its own error", async () => {
  const full = new StateFileError("/var/lib/kept/state.db", "Cannot write state file: its disk is full");
  const state = {
    cacheSnapshots: () => {
      throw full;
    },
  } as unknown as StateFile;
  await assert.rejects(
    surveyDestinations(["nas"], {
      open: () => Promise.resolve(emptyRepository),
      missingLocation: () => Promise.resolve(undefined),
      state,
      offline: false,
      readOnly: false,
      now: new Date(0),
    }),
    (error) => error === full,
  );
});

Deno.test("a destination that lists is cached and listed; read-only leaves the cache alone", async () => {
  const cached: string[] = [];
  const state = { cacheSnapshots: (destination: string) => cached.push(destination) } as unknown as StateFile;
  const options = {
    open: () => Promise.resolve(emptyRepository),
    missingLocation: () => Promise.resolve(undefined),
    state,
    offline: false,
    now: new Date(0),
  };
  const views = await surveyDestinations(["nas"], { ...options, readOnly: false });
  assert.deepEqual(views.get("nas"), { kind: "listed", snapshots: [] });
  assert.deepEqual(cached, ["nas"]);
  await surveyDestinations(["nas"], { ...options, readOnly: true });
  assert.deepEqual(cached, ["nas"]);
});
