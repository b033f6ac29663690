import assert from "node:assert/strict";
import { closest, didYouMean, SuggestionBudget } from "../../lib/plan/_suggest.ts";

Deno.test("closest() finds a candidate one typo away, ignoring case", () => {
  assert.equal(closest("sorces", ["sources", "excludes"]), "sources");
  assert.equal(closest("keep_daly", ["keep_daily", "keep_last"]), "keep_daily");
  assert.equal(closest("Plans", ["plans"]), "plans");
  assert.equal(closest("ofsite", new Set(["nas", "offsite"])), "offsite");
});

Deno.test("closest() counts swapped neighbours as one edit", () => {
  assert.equal(closest("sourcse", ["sources"]), "sources");
  assert.equal(closest("ab", ["ba"]), "ba");
});

Deno.test("closest() suggests nothing when every candidate is too far away", () => {
  assert.equal(closest("tape", ["nas", "offsite"]), undefined);
  assert.equal(closest("x", []), undefined);
});

Deno.test("closest() prefers the nearest candidate, then the first", () => {
  assert.equal(closest("nass", ["nas2x", "nas", "mass"]), "nas");
  assert.equal(closest("cat", ["bat", "hat"]), "bat");
});

Deno.test("didYouMean() formats a suggestion or nothing", () => {
  assert.equal(didYouMean("plan", ["plans", "version"]), `; did you mean "plans"?`);
  assert.equal(didYouMean("zzz", ["plans"]), "");
});

Deno.test("a SuggestionBudget stops suggestions once spent", () => {
  const budget = new SuggestionBudget(5);
  assert.equal(closest("nass", ["nas", "b", "c"], budget), "nas");
  assert.equal(closest("nass", ["nas", "b", "c"], budget), undefined, "3 + 3 comparisons exceed 5");
  assert.equal(closest("nass", ["nas"], budget), undefined, "spent for good");
});
