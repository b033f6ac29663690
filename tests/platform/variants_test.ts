// The Linux calls have stand-ins for C libraries that lack a wrapper (statx before musl 1.2.5,
// getdents64 before glibc 2.30: syscall(2)), and readdir64 for reading folders one entry at a time:
// each reads the same as the call used by default.

import assert from "node:assert/strict";
import { FfiPlatform } from "../../lib/platform/_ffi_platform.ts";
import { decodeStatx, STATX } from "../../lib/platform/_layouts.ts";
import { openLibc } from "../../lib/platform/_libc.ts";
import { describePath } from "../../lib/platform/mod.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { hex, python } from "./_python.ts";

const LINUX = Deno.build.os === "linux";

Deno.test("statx through syscall(2) reads the same as the statx wrapper", { ignore: !LINUX }, () => {
  using dir = tempDir("kept-platform-variants-");
  Deno.writeTextFileSync(`${dir.path}/file`, "abc");
  const buffers = [new Uint8Array(STATX.SIZE), new Uint8Array(STATX.SIZE)];
  const path = new TextEncoder().encode(`${dir.path}/file\0`);
  assert.equal(openLibc().lstat(path, buffers[0]!), 0);
  assert.equal(openLibc({ statxThroughSyscall: true }).lstat(path, buffers[1]!), 0);
  const [wrapper, syscall] = buffers.map((buffer) => decodeStatx(new DataView(buffer.buffer)));
  assert.deepEqual(syscall, wrapper);
  assert.equal(syscall!.size, 3);
});

Deno.test(
  "getdents64, getdents64 through syscall(2) and readdir64 list the same entries",
  { ignore: !LINUX },
  () => {
    using dir = tempDir("kept-platform-variants-");
    // Enough entries for several getdents64 calls of 64 KiB, with names up to the 255-byte limit.
    python(
      `root = bytes.fromhex(args)
for i in range(3000):
  open(root + b"/" + (b"%05d-" % i) + bytes([0x80 + i % 64]) * (i % 250), "wb").close()
os.mkdir(root + b"/folder\\xff")
os.symlink(b"x", root + b"/link")`,
      hex(dir.path),
    );
    const listings = [
      new FfiPlatform(openLibc()),
      new FfiPlatform(openLibc({ getdentsThroughSyscall: true })),
      new FfiPlatform({ ...openLibc(), getdents: undefined }),
    ].map((platform) =>
      platform.readDir(dir.path).map((entry) => `${entry.type} ${describePath(entry.name)}`).sort()
    );
    assert.equal(listings[0]!.length, 3002);
    assert.ok(listings[0]!.includes("dir folder\\xff"));
    assert.ok(listings[0]!.includes("symlink link"));
    assert.deepEqual(listings[1], listings[0]);
    assert.deepEqual(listings[2], listings[0]);
  },
);
