// A restore as root without the C library (no --allow-ffi) says in one line that the swap race is only
// narrowed, not closed (docs/restore.md#restore-safety); with it, nothing is said.

import assert from "node:assert/strict";
import { runKeptWith, WITHOUT_FFI } from "../_support/without_ffi.ts";
import { makeFixture } from "../_support/fixture.ts";

Deno.test({
  name: "a restore as root without --allow-ffi warns that folders are checked by path only",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
    try {
      Deno.mkdirSync(`${fixture.root}/src`);
      Deno.writeTextFileSync(`${fixture.root}/src/a.txt`, "a");
      await fixture.backup("p");
      const restore = (permissions: readonly string[], target: string) =>
        runKeptWith(fixture.config, ["restore", "latest", "--target", target], permissions);
      const without = await restore(WITHOUT_FFI, `${fixture.root}/out1`);
      const stderr = new TextDecoder().decode(without.stderr);
      assert.equal(without.code, 0, stderr);
      assert.match(
        stderr,
        /^warning: restoring as root without the C library \(--allow-ffi not granted\): /m,
      );
      const withFfi = await restore(["-A"], `${fixture.root}/out2`);
      assert.equal(withFfi.code, 0);
      assert.doesNotMatch(new TextDecoder().decode(withFfi.stderr), /without the C library/);
    } finally {
      await fixture.cleanup();
    }
  },
});
