import assert from "node:assert/strict";
import { LruCache } from "../lib/lru_cache.ts";

Deno.test("LruCache keeps the most recently used entries and hands the evicted ones to onEvict", () => {
  const evicted: string[] = [];
  const cache = new LruCache<string, number>(2, (key) => evicted.push(key));
  cache.set("a", 1);
  cache.set("b", 2);
  assert.equal(cache.get("a"), 1); // a is now the most recent
  cache.set("c", 3);
  assert.deepEqual(evicted, ["b"]);
  assert.equal(cache.peek("b"), undefined);
  assert.equal(cache.size, 2);

  assert.equal(cache.delete("a"), true); // removed by the caller: no onEvict
  assert.deepEqual(evicted, ["b"]);
  cache.set("d", 4);
  cache.resize(1);
  assert.deepEqual(evicted, ["b", "c"]);
  cache.clear();
  assert.deepEqual(evicted, ["b", "c", "d"]);
  assert.equal(cache.size, 0);
});
