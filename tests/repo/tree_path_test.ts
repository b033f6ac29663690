import assert from "node:assert/strict";
import { asBlobId, resolveTreePath, type Tree } from "../../lib/repo/mod.ts";
import { UserError } from "../../lib/errors.ts";

const node = (name: string, type: "dir" | "file", subtree?: string) => ({
  name,
  type,
  mode: 0o644,
  mtime: 0,
  uid: 0,
  gid: 0,
  ...(subtree ? { subtree: asBlobId(subtree) } : {}),
});
const trees: Record<string, Tree> = {
  root: { nodes: [node("etc", "dir", "etc")] },
  etc: { nodes: [node("ssh", "dir", "ssh"), node("hosts", "file")] },
  ssh: { nodes: [] },
};
const loadTree = (id: string) => Promise.resolve(trees[id]!);

Deno.test("resolveTreePath() finds the root, a folder and a file, skipping empty and '.' parts", async () => {
  assert.deepEqual(await resolveTreePath(loadTree, asBlobId("root"), "/"), { parts: [], node: undefined });
  const ssh = await resolveTreePath(loadTree, asBlobId("root"), "/etc/./ssh/");
  assert.deepEqual(ssh.parts, ["etc", "ssh"]);
  assert.equal(ssh.node?.subtree, "ssh");
  assert.equal((await resolveTreePath(loadTree, asBlobId("root"), "etc/hosts")).node?.type, "file");
});

Deno.test("resolveTreePath() names a missing path, and the file a path passes through", async () => {
  await assert.rejects(resolveTreePath(loadTree, asBlobId("root"), "/etc/nope"), (error) => {
    assert.ok(error instanceof UserError);
    assert.equal(error.message, 'Path "/etc/nope" is not in the snapshot');
    return true;
  });
  await assert.rejects(resolveTreePath(loadTree, asBlobId("root"), "/etc/hosts/x"), (error) => {
    assert.ok(error instanceof UserError);
    assert.equal(error.message, 'Path "/etc/hosts" is not a folder');
    return true;
  });
});
