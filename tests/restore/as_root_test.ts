// Whether a restore sets owners is the caller's to say (`asRoot`; the CLI passes whether it runs as root),
// never read by the library itself. Told it does not run as root, a restore leaves every entry to the user
// running it; told it does, it sets each entry's owner from the snapshot, which only root can.

import assert from "node:assert/strict";
import { LocalBackend } from "../../lib/backends/mod.ts";
import { restore } from "../../lib/restore/mod.ts";
import type { TreeNode } from "../../lib/repo/types.ts";
import { SnapshotCrafter } from "../_support/craft.ts";
import { testRepository } from "../_support/repository.ts";
import { tempDir } from "../_support/temp_dir.ts";

const RUNNING_AS_ROOT = Deno.uid() === 0;

/** A folder, a file in it, a symlink and a FIFO, each owned by someone who is not running this test. */
async function ownedSnapshot(root: string) {
  const repository = await testRepository(await LocalBackend.create(`${root}/repo`));
  const craft = new SnapshotCrafter(repository);
  const owned = (node: TreeNode, id: number): TreeNode => ({ ...node, uid: id, gid: id + 1 });
  const id = await craft.snapshot([
    owned(craft.dir("folder", [owned(craft.file("file", "owned\n"), 65530)]), 4242),
    owned(craft.symlink("link", "folder/file"), 4343),
    owned({ name: "fifo", type: "fifo", mode: 0o600, mtime: 1_600_000_000_000, uid: 0, gid: 0 }, 4444),
  ]);
  const { snapshot } = await repository.findSnapshot(id);
  return { repository, tree: snapshot.tree };
}

function owners(out: string): Record<string, string> {
  const owner = (path: string) => {
    const info = Deno.lstatSync(`${out}/${path}`);
    return `${info.uid}:${info.gid}`;
  };
  return Object.fromEntries(["folder", "folder/file", "link", "fifo"].map((path) => [path, owner(path)]));
}

Deno.test("a restore not told it runs as root leaves every entry to the user running it", async () => {
  using dir = tempDir("kept-as-root-");
  const { repository, tree } = await ownedSnapshot(dir.path);
  const out = `${dir.path}/out`;
  const result = await restore(repository, { tree, target: out, asRoot: false });
  assert.deepEqual(result.problems, []);
  const me = `${Deno.uid()}:${Deno.gid()}`;
  assert.deepEqual(owners(out), { "folder": me, "folder/file": me, "link": me, "fifo": me });
});

Deno.test("a restore told it runs as root sets every entry's owner from the snapshot", async () => {
  using dir = tempDir("kept-as-root-");
  const { repository, tree } = await ownedSnapshot(dir.path);
  const out = `${dir.path}/out`;
  const result = await restore(repository, { tree, target: out, asRoot: true });
  if (RUNNING_AS_ROOT) {
    assert.deepEqual(result.problems, []);
    assert.deepEqual(owners(out), {
      "folder": "4242:4243",
      "folder/file": "65530:65531",
      "link": "4343:4344",
      "fifo": "4444:4445",
    });
  } else {
    // Not root in fact: each chown it was told to make is refused, which proves it was made.
    const refused = result.problems.map((problem) => `${problem.path}: ${problem.error?.kind}`).sort();
    assert.deepEqual(refused, ["/fifo: io", "/folder/file: io", "/folder: io", "/link: io"]);
  }
});

Deno.test({
  name: "a root restore into a setgid folder gives root:root files root:root, not the folder's group",
  ignore: !RUNNING_AS_ROOT,
  fn: async () => {
    using dir = tempDir("kept-as-root-");
    const repository = await testRepository(await LocalBackend.create(`${dir.path}/repo`));
    const craft = new SnapshotCrafter(repository);
    const secret = { ...craft.file("secret", "root only\n"), mode: 0o640 };
    const grouped = { ...craft.file("grouped", "group 5678\n"), gid: 5678 };
    const id = await craft.snapshot([craft.dir("etc", [secret, grouped, craft.dir("deep", [secret])])]);
    const { snapshot } = await repository.findSnapshot(id);
    // A folder whose group (not root's) every file made below it gets, as setgid folders pass it on.
    const out = `${dir.path}/shared`;
    Deno.mkdirSync(out);
    Deno.chownSync(out, 0, 5678);
    Deno.chmodSync(out, 0o2775);
    const result = await restore(repository, { tree: snapshot.tree, target: out, asRoot: true });
    assert.deepEqual(result.problems, []);
    const owner = (path: string) => {
      const info = Deno.lstatSync(`${out}/${path}`);
      return `${info.uid}:${info.gid} ${(info.mode! & 0o7777).toString(8)}`;
    };
    assert.deepEqual(
      ["etc", "etc/secret", "etc/grouped", "etc/deep", "etc/deep/secret"].map(owner),
      ["0:0 755", "0:0 640", "0:5678 644", "0:0 755", "0:0 640"],
    );
  },
});
