// Golden files: compare text with a stored expectation; `UPDATE_GOLDEN=1 deno task test` rewrites them.

import assert from "node:assert/strict";

/** Asserts `actual` equals the content of `path`, or writes it there when UPDATE_GOLDEN=1. */
export async function assertGolden(path: string, actual: string): Promise<void> {
  if (Deno.env.get("UPDATE_GOLDEN") === "1") {
    await Deno.writeTextFile(path, actual);
    return;
  }
  let expected: string;
  try {
    expected = await Deno.readTextFile(path);
  } catch {
    throw new Error(`golden file ${path} is missing; run with UPDATE_GOLDEN=1 to create it`);
  }
  assert.equal(actual, expected, `output differs from golden file ${path}`);
}
