// The directory differ that the round-trip tests rely on must itself catch every kind of difference.

import assert from "node:assert/strict";
import { assertSameTree, diffTrees, scanTree } from "./tree_differ.ts";

async function twoCopies(): Promise<{ root: string; a: string; b: string }> {
  const root = await Deno.makeTempDir({ prefix: "kept-differ-" });
  const a = `${root}/a`;
  for (const dir of [a, `${a}/sub`]) Deno.mkdirSync(dir);
  Deno.writeTextFileSync(`${a}/file.txt`, "hello");
  Deno.writeTextFileSync(`${a}/sub/one`, "linked");
  Deno.linkSync(`${a}/sub/one`, `${a}/sub/two`);
  Deno.symlinkSync("file.txt", `${a}/link`);
  Deno.utimeSync(`${a}/file.txt`, 1_000, 1_000);
  const b = `${root}/b`;
  const copy = await new Deno.Command("cp", { args: ["-a", a, b] }).output();
  assert.ok(copy.success, "cp -a failed");
  return { root, a, b };
}

Deno.test("diffTrees() finds no difference between a folder and its exact copy", async () => {
  const { root, a, b } = await twoCopies();
  try {
    assert.deepEqual(diffTrees(a, b), []);
    assertSameTree(a, b);
    assert.deepEqual(scanTree(b).get("sub/one")?.linkedWith, ["sub/two"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("diffTrees() reports a changed mode, mtime, content, owner, target, link group and missing files", async (t) => {
  const cases: [string, (b: string) => void, RegExp][] = [
    ["mode", (b) => Deno.chmodSync(`${b}/file.txt`, 0o600), /"file.txt": mode 00644 != 00600/],
    [
      "mtime by one millisecond",
      (b) => Deno.utimeSync(`${b}/file.txt`, 1_000, 1_000.001),
      /"file.txt": mtime/,
    ],
    ["content of the same size and time", (b) => {
      Deno.writeTextFileSync(`${b}/file.txt`, "HELLO");
      Deno.utimeSync(`${b}/file.txt`, 1_000, 1_000);
    }, /"file.txt": content differs/],
    ["size", (b) => {
      Deno.writeTextFileSync(`${b}/file.txt`, "hello!");
      Deno.utimeSync(`${b}/file.txt`, 1_000, 1_000);
    }, /"file.txt": size 5 != 6/],
    ["symlink target", (b) => {
      Deno.removeSync(`${b}/link`);
      Deno.symlinkSync("elsewhere", `${b}/link`);
      Deno.utimeSync(b, 0, 0);
    }, /"link": target "file.txt" != "elsewhere"/],
    ["broken hard link", (b) => {
      const mtime = Deno.statSync(`${b}/sub`).mtime!;
      Deno.removeSync(`${b}/sub/two`);
      Deno.copyFileSync(`${b}/sub/one`, `${b}/sub/two`);
      Deno.utimeSync(
        `${b}/sub/two`,
        Deno.statSync(`${b}/sub/one`).mtime!,
        Deno.statSync(`${b}/sub/one`).mtime!,
      );
      Deno.chmodSync(`${b}/sub/two`, Deno.statSync(`${b}/sub/one`).mode! & 0o7777);
      Deno.utimeSync(`${b}/sub`, mtime, mtime);
    }, /"sub\/one": hard links \[sub\/two\] != \[\]/],
    ["owner", (b) => Deno.chownSync(`${b}/file.txt`, 1234, 5678), /"file.txt": owner 0:0 != 1234:5678/],
    ["missing file", (b) => Deno.removeSync(`${b}/sub/one`), /"sub\/one": missing/],
    ["extra file", (b) => Deno.writeTextFileSync(`${b}/extra`, ""), /"extra": unexpected file/],
    ["type", (b) => {
      Deno.removeSync(`${b}/link`);
      Deno.writeTextFileSync(`${b}/link`, "");
    }, /"link": type symlink != file/],
  ];
  for (const [name, change, expected] of cases) {
    await t.step(name, async () => {
      const { root, a, b } = await twoCopies();
      try {
        change(b);
        const differences = diffTrees(a, b);
        assert.ok(
          differences.some((line) => expected.test(line)),
          `expected ${expected} among:\n${differences.join("\n")}`,
        );
        assert.throws(() => assertSameTree(a, b), /the trees differ/);
      } finally {
        await Deno.remove(root, { recursive: true });
      }
    });
  }
});
