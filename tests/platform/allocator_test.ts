// mapLargeAllocations: with glibc, megabyte buffers freed after being live at once go back to the system,
// where by default they stay in the process (tests/platform/_allocator_probe.ts, in a child process each,
// since the setting is the whole process's and cannot be undone).

import assert from "node:assert/strict";

const IS_GLIBC = Deno.build.os === "linux" && canLoad("libc.so.6");

interface Probe {
  mapped: boolean;
  retainedMiB: number;
}

function probe(mode: "map" | "none", flags = ["--allow-ffi"]): Probe {
  const script = new URL("./_allocator_probe.ts", import.meta.url).pathname;
  const output = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-read", ...flags, script, mode],
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  assert.ok(output.success, new TextDecoder().decode(output.stderr));
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

function canLoad(library: string): boolean {
  try {
    Deno.dlopen(library, {}).close();
    return true;
  } catch {
    return false;
  }
}

Deno.test({
  name: "with glibc, freed megabyte buffers leave the process once large allocations are mapped",
  ignore: !IS_GLIBC,
  fn() {
    const mapped = probe("map");
    assert.equal(mapped.mapped, true);
    // 24 buffers of 2 MiB were live at once.
    assert.ok(mapped.retainedMiB < 12, `${mapped.retainedMiB} MiB stayed`);
    // The default, for contrast: what this guards against is real on this system.
    const unmapped = probe("none");
    assert.ok(unmapped.retainedMiB > 36, `only ${unmapped.retainedMiB} MiB stayed without it`);
  },
});

Deno.test("without --allow-ffi, mapLargeAllocations does nothing and says so", () => {
  const result = probe("map", []);
  assert.equal(result.mapped, false);
});
