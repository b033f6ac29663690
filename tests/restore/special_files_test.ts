// FIFOs and device nodes come back from a restore with their mode, time and (as root) owner; sockets are
// left out, as restic does: they mean nothing without the process that listens on them.

import assert from "node:assert/strict";
import { splitDeviceNumber } from "../../lib/restore/special_files.ts";
import { makeFixture } from "../_support/fixture.ts";

const IS_ROOT = Deno.uid() === 0;

function mkfifo(path: string, mode: string): void {
  const result = new Deno.Command("mkfifo", { args: ["-m", mode, path] }).outputSync();
  assert.ok(result.success, "mkfifo is needed for this test");
}

Deno.test("restore recreates FIFOs (and device nodes as root) and skips sockets", async () => {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  const src = `${fixture.root}/src`;
  try {
    Deno.mkdirSync(src);
    mkfifo(`${src}/pipe`, "0640");
    Deno.utimeSync(`${src}/pipe`, 1_500_000_000, 1_500_000_000);
    if (IS_ROOT) {
      const made = new Deno.Command("mknod", { args: ["-m", "0600", `${src}/null`, "c", "1", "3"] })
        .outputSync();
      assert.ok(made.success);
    }
    const listener = Deno.listen({ transport: "unix", path: `${src}/socket` });
    Deno.writeTextFileSync(`${src}/plain.txt`, "plain\n");
    await fixture.backup("p");
    listener.close();

    const out = `${fixture.root}/out`;
    const first = await fixture.keptOk(["restore", "latest", "--target", out]);
    const pipe = Deno.lstatSync(`${out}${src}/pipe`);
    assert.equal(pipe.isFifo, true);
    assert.equal(pipe.mode! & 0o7777, 0o640);
    assert.equal(pipe.mtime?.getTime(), 1_500_000_000_000);
    if (IS_ROOT) {
      const device = Deno.lstatSync(`${out}${src}/null`);
      assert.equal(device.isCharDevice, true);
      assert.equal(device.rdev, Deno.lstatSync(`${src}/null`).rdev);
      assert.equal(device.mode! & 0o7777, 0o600);
    }
    assert.throws(() => Deno.lstatSync(`${out}${src}/socket`), Deno.errors.NotFound);
    assert.equal(Deno.readTextFileSync(`${out}${src}/plain.txt`), "plain\n");
    assert.match(first.stdout, /restored snapshot/);

    // Run again: what is there already is kept, nothing fails.
    const again = await fixture.keptOk(["restore", "latest", "--target", out]);
    assert.match(again.stdout, /already present/);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("a regular file where a FIFO belongs is replaced only with --overwrite", async () => {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  const src = `${fixture.root}/src`;
  try {
    Deno.mkdirSync(src);
    mkfifo(`${src}/pipe`, "0600");
    await fixture.backup("p");
    const out = `${fixture.root}/out`;
    Deno.mkdirSync(`${out}${src}`, { recursive: true });
    Deno.writeTextFileSync(`${out}${src}/pipe`, "a regular file\n");
    const refused = await fixture.kept(["restore", "latest", "--target", out]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /pipe exists \(use --overwrite to replace it\)/);
    await fixture.keptOk(["restore", "latest", "--target", out, "--overwrite"]);
    assert.equal(Deno.lstatSync(`${out}${src}/pipe`).isFifo, true);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("device numbers split into major and minor as glibc does", () => {
  assert.deepEqual(splitDeviceNumber(0x0103), { major: 1, minor: 3 }); // /dev/null
  assert.deepEqual(splitDeviceNumber(0x0801), { major: 8, minor: 1 }); // /dev/sda1
  // Large numbers use the high bits: major 259 minor 65536 (an NVMe partition beyond 255).
  const rdev = Number((BigInt(259 & 0xfff) << 8n) | BigInt(65536 & 0xff) | (BigInt(65536 & ~0xff) << 12n));
  assert.deepEqual(splitDeviceNumber(rdev), { major: 259, minor: 65536 });
});
