// A folder handle sets extended attributes on an entry (a symlink's own) or on the folder itself;
// Python's os.getxattr with follow_symlinks=False is the witness.

import assert from "node:assert/strict";
import { platform } from "../../lib/platform/mod.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { hex, pythonXattrs } from "./_python.ts";

const fs = platform();
const text = (value: string) => new TextEncoder().encode(value);

Deno.test("DirHandle.setXattr() sets an attribute on an entry and on the folder itself", () => {
  assert.equal(fs.kind, "ffi", fs.warning);
  using dir = tempDir("kept-platform-dir-xattrs-");
  Deno.writeTextFileSync(`${dir.path}/file`, "x");
  using folder = fs.openDir(dir.path);
  folder.setXattr({ name: "user.entry", value: text("on the file") });
  folder.setXattr({ name: "user.entry", value: text("on the file") }, "file");
  folder.setXattr({ name: text("user.binary"), value: Uint8Array.from([0, 1, 255]) }, "file");
  assert.deepEqual(fs.getXattr(`${dir.path}/file`, "user.entry"), text("on the file"));
  assert.deepEqual(fs.getXattr(`${dir.path}/file`, "user.binary"), Uint8Array.from([0, 1, 255]));
  assert.deepEqual(fs.getXattr(dir.path, "user.entry"), text("on the file"));
  assert.deepEqual(pythonXattrs(`${dir.path}/file`), {
    [hex("user.binary")]: "0001ff",
    [hex("user.entry")]: hex("on the file"),
  });
});

Deno.test({
  name: "DirHandle.setXattr() sets a trusted.* attribute on a symlink itself, not on its target",
  ignore: Deno.uid() !== 0,
  fn: () => {
    using dir = tempDir("kept-platform-dir-xattrs-");
    Deno.writeTextFileSync(`${dir.path}/target`, "x");
    Deno.symlinkSync("target", `${dir.path}/link`);
    using folder = fs.openDir(dir.path);
    folder.setXattr({ name: "trusted.kept", value: text("link") }, "link");
    assert.deepEqual(fs.getXattr(`${dir.path}/link`, "trusted.kept"), text("link"));
    assert.deepEqual(fs.listXattrs(`${dir.path}/target`), []);
  },
});
