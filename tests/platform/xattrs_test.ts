// Extended attributes are listed, read, written and removed on the path itself (symlinks included);
// Python's os.listxattr/os.getxattr with follow_symlinks=False is the witness.

import assert from "node:assert/strict";
import { isPlatformError, platform } from "../../lib/platform/mod.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { hex, python, pythonXattrs } from "./_python.ts";

const fs = platform();
const IS_ROOT = Deno.uid() === 0;
const text = (value: string) => new TextEncoder().encode(value);

/** A value with every byte, NULs included, and one bigger than a first guess of its size would be. */
const BINARY = Uint8Array.from({ length: 256 }, (_, i) => i);
const LARGE = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff);

function namesOf(path: string): string[] {
  return fs.listXattrs(path).map((name) => new TextDecoder().decode(name)).sort();
}

Deno.test("setXattr() writes user.* attributes on a file and a folder that Python reads back", () => {
  assert.equal(fs.kind, "ffi", fs.warning);
  using dir = tempDir("kept-platform-xattrs-");
  Deno.writeTextFileSync(`${dir.path}/file`, "x");
  Deno.mkdirSync(`${dir.path}/folder`);
  for (const path of [`${dir.path}/file`, `${dir.path}/folder`]) {
    fs.setXattr(path, { name: "user.binary", value: BINARY });
    fs.setXattr(path, { name: text("user.large"), value: LARGE });
    fs.setXattr(path, { name: "user.empty", value: new Uint8Array(0) });
    assert.deepEqual(pythonXattrs(path), {
      [hex("user.binary")]: hex(BINARY),
      [hex("user.large")]: hex(LARGE),
      [hex("user.empty")]: "",
    });
    assert.deepEqual(namesOf(path), ["user.binary", "user.empty", "user.large"]);
    assert.deepEqual(fs.getXattr(path, "user.large"), LARGE);
    assert.deepEqual(fs.getXattr(path, "user.empty"), new Uint8Array(0));
  }
});

Deno.test("listXattrs() and getXattr() read what Python wrote", () => {
  using dir = tempDir("kept-platform-xattrs-");
  Deno.writeTextFileSync(`${dir.path}/file`, "x");
  python(
    `p = bytes.fromhex(args)
os.setxattr(p, "user.mime_type", b"text/plain")
os.setxattr(p, "user.k\\xe9y".encode("latin-1").decode("utf-8", "surrogateescape"), b"\\x00\\xff")`,
    hex(`${dir.path}/file`),
  );
  const names = fs.listXattrs(`${dir.path}/file`).map((name) => hex(name)).sort();
  assert.deepEqual(
    names,
    [hex("user.mime_type"), hex(new Uint8Array([...text("user.k"), 0xe9, ...text("y")]))].sort(),
  );
  assert.deepEqual(fs.getXattr(`${dir.path}/file`, "user.mime_type"), text("text/plain"));
  const latin = new Uint8Array([...text("user.k"), 0xe9, ...text("y")]);
  assert.deepEqual(fs.getXattr(`${dir.path}/file`, latin), new Uint8Array([0, 0xff]));
});

Deno.test(
  "a trusted.* attribute on a symlink stays on the symlink, not its target",
  { ignore: !IS_ROOT },
  () => {
    using dir = tempDir("kept-platform-xattrs-");
    Deno.writeTextFileSync(`${dir.path}/target`, "x");
    Deno.symlinkSync("target", `${dir.path}/link`);
    fs.setXattr(`${dir.path}/link`, { name: "trusted.kept", value: text("on the link") });
    assert.deepEqual(pythonXattrs(`${dir.path}/link`), { [hex("trusted.kept")]: hex("on the link") });
    assert.deepEqual(pythonXattrs(`${dir.path}/target`), {});
    assert.deepEqual(namesOf(`${dir.path}/link`), ["trusted.kept"]);
    assert.deepEqual(fs.getXattr(`${dir.path}/link`, "trusted.kept"), text("on the link"));
    fs.removeXattr(`${dir.path}/link`, "trusted.kept");
    assert.deepEqual(pythonXattrs(`${dir.path}/link`), {});
  },
);

Deno.test("Linux refuses user.* attributes on a symlink, and the error says so", {
  ignore: Deno.build.os !== "linux",
}, () => {
  using dir = tempDir("kept-platform-xattrs-");
  Deno.symlinkSync("anything", `${dir.path}/link`);
  assert.throws(
    () => fs.setXattr(`${dir.path}/link`, { name: "user.x", value: text("v") }),
    (error: unknown) => {
      assert.ok(error instanceof Deno.errors.PermissionDenied);
      assert.equal(
        error.message,
        `Cannot lsetxattr "user.x" of "${dir.path}/link": Operation not permitted (EPERM)`,
      );
      return true;
    },
  );
});

Deno.test("getXattr() of an attribute the file does not have throws NotFound naming both", () => {
  using dir = tempDir("kept-platform-xattrs-");
  Deno.writeTextFileSync(`${dir.path}/file`, "x");
  fs.setXattr(`${dir.path}/file`, { name: "user.present", value: text("1") });
  fs.removeXattr(`${dir.path}/file`, "user.present");
  assert.deepEqual(fs.listXattrs(`${dir.path}/file`), []);
  assert.throws(
    () => fs.getXattr(`${dir.path}/file`, "user.present"),
    (error: unknown) => {
      assert.ok(error instanceof Deno.errors.NotFound);
      assert.ok(isPlatformError(error));
      assert.equal(error.code, "ENODATA");
      assert.equal(
        error.message,
        `Cannot lgetxattr "user.present" of "${dir.path}/file": No data available (ENODATA)`,
      );
      return true;
    },
  );
});
