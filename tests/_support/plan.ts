// A plan as the loader would build it, for tests that call the engine without a config file.

import type { Plan } from "../../lib/plan/mod.ts";

/** A plan named "p" backing up `sources` with no excludes; `overrides` sets any other field. */
export function testPlan(sources: string[], overrides: Partial<Plan> = {}): Plan {
  return {
    name: "p",
    definedIn: "test",
    sources,
    excludes: [],
    excludeIfPresent: [],
    ignoreFiles: [],
    excludeLargerThan: undefined,
    oneFileSystem: false,
    schedule: undefined,
    timezone: undefined,
    destinations: [],
    retention: undefined,
    hooks: { before: [], after: [], onFailure: [], timeoutMs: 0 },
    tags: [],
    ...overrides,
  };
}
