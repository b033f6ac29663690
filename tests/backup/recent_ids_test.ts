import assert from "node:assert/strict";
import { RecentIds } from "../../lib/backup/_recent_ids.ts";

Deno.test("recent ids are remembered up to the limit, then the set starts over", () => {
  const ids = new RecentIds(3);
  for (const id of ["a", "b", "c"]) ids.add(id);
  assert.deepEqual(["a", "b", "c", "d"].map((id) => ids.has(id)), [true, true, true, false]);
  ids.add("d"); // the fourth: forgets the others
  assert.equal(ids.size, 1);
  assert.deepEqual(["a", "d"].map((id) => ids.has(id)), [false, true]);
});
