// resolveTreePath(), which `ls PATH` and `restore --path` share, reads a part as text output writes names
// (docs/format.md#names), and only when that names nothing, as typed.

import assert from "node:assert/strict";
import { nameText } from "../../lib/platform/mod.ts";
import { asBlobId, resolveTreePath, type Tree } from "../../lib/repo/mod.ts";
import { unescapeName } from "../../lib/repo/tree_path.ts";

const latin1 = (text: string) => Uint8Array.from(text, (char) => char.charCodeAt(0));
const node = (name: string, type: "dir" | "file" = "file", subtree?: string) => ({
  name,
  type,
  mode: 0o644,
  mtime: 0,
  uid: 0,
  gid: 0,
  ...(subtree ? { subtree: asBlobId(subtree) } : {}),
});
const trees: Record<string, Tree> = {
  root: { nodes: [node(nameText(latin1("d\xff")), "dir", "d")] },
  d: {
    nodes: [node(nameText(latin1("caf\xe9"))), node("caf\\xe9"), node("é"), node("a\nb"), node("\ufeffbom")],
  },
};
const loadTree = (id: string) => Promise.resolve(trees[id]!);
const resolve = (path: string) => resolveTreePath(loadTree, asBlobId("root"), path);

Deno.test("resolveTreePath() reads the escaped form first, as output writes it, then the name as typed", async () => {
  // Output writes the byte name as caf\xe9 and the one with a backslash as caf\\xe9: each finds its own.
  assert.deepEqual((await resolve("/d\\xff/caf\\xe9")).parts, [
    nameText(latin1("d\xff")),
    nameText(latin1("caf\xe9")),
  ]);
  assert.equal((await resolve("/d\\xff/caf\\\\xe9")).node?.name, "caf\\xe9");
  await assert.rejects(resolve("/d\\xff/caf\\xe8"), /Path "\/d\\xff\/caf\\xe8" is not in the snapshot/);
  // Valid UTF-8 written byte by byte is the character; control characters and backslashes unescape too.
  assert.equal((await resolve("/d\\xff/\\xc3\\xa9")).node?.name, "é");
  assert.equal((await resolve("/d\\xff/a\\nb")).node?.name, "a\nb");
  assert.equal((await resolve("/d\\xff/\\xef\\xbb\\xbfbom")).node?.name, "\ufeffbom");
});

Deno.test("unescapeName() inverts the escapes of text output and refuses a stray backslash", () => {
  assert.equal(unescapeName("caf\\xe9"), nameText(latin1("caf\xe9")));
  assert.equal(unescapeName("a\\\\b\\t\\r"), "a\\b\t\r");
  assert.equal(unescapeName("\\xe2\\x82\\xac\\xe2\\x82"), `€${nameText(latin1("\xe2\x82"))}`);
  assert.equal(unescapeName("a\\q"), undefined);
  assert.equal(unescapeName("a\\x4"), undefined);
});
