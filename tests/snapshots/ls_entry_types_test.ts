// `kept ls` writes each entry's type and mode as `ls -l` does: a letter for FIFOs, devices and sockets, and
// the setuid, setgid and sticky bits in the execute places. GNU ls, run on the same files, is the witness.

import assert from "node:assert/strict";
import { makeFixture, parseLines } from "../_support/fixture.ts";
import { makeDevice, platform } from "../../lib/platform/mod.ts";

const IS_ROOT = Deno.uid() === 0;

/** The first ten characters of `ls -ld path`: type and mode. */
function lsMode(path: string): string {
  const { stdout, success } = new Deno.Command("ls", { args: ["-ld", path], env: { LC_ALL: "C" } })
    .outputSync();
  assert.ok(success, `ls -ld ${path}`);
  return new TextDecoder().decode(stdout).slice(0, 10);
}

Deno.test("ls shows FIFOs, devices and sockets by their letter, and setuid, setgid and sticky bits, as ls -l does", async () => {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  const src = `${fixture.root}/src`;
  const fs = platform();
  let socket: Deno.Listener | undefined;
  try {
    Deno.mkdirSync(src);
    const expected: Record<string, string> = {
      "setuid": "-rwsr-xr-x",
      "setgid-no-x": "-rw-r-Sr--",
      "setuid-no-x": "-rwSr--r--",
      "sticky": "drwxrwxrwt",
      "sticky-no-x": "drwxrwx--T",
      "fifo": "prw-r-----",
      "socket": "srwxr-xr-x",
      ...(IS_ROOT ? { "chardev": "crw-rw-rw-", "blockdev": "brw-------" } : {}),
    };
    const modes: Record<string, number> = {
      "setuid": 0o4755,
      "setgid-no-x": 0o2644,
      "setuid-no-x": 0o4644,
      "sticky": 0o1777,
      "sticky-no-x": 0o1770,
      "fifo": 0o640,
      "socket": 0o755,
    };
    for (const name of ["setuid", "setgid-no-x", "setuid-no-x"]) {
      Deno.writeTextFileSync(`${src}/${name}`, "x");
    }
    for (const name of ["sticky", "sticky-no-x"]) Deno.mkdirSync(`${src}/${name}`);
    fs.mkfifo(`${src}/fifo`, 0o640);
    // A socket lives as long as its listener: keep it open until the backup has seen it.
    socket = Deno.listen({ transport: "unix", path: `${src}/socket` });
    if (IS_ROOT) {
      fs.mknod(`${src}/chardev`, { type: "chardev", mode: 0o666, rdev: makeDevice({ major: 1, minor: 3 }) });
      fs.mknod(`${src}/blockdev`, {
        type: "blockdev",
        mode: 0o600,
        rdev: makeDevice({ major: 7, minor: 0 }),
      });
    }
    for (const [name, mode] of Object.entries(modes)) Deno.chmodSync(`${src}/${name}`, mode);
    for (const [name, shown] of Object.entries(expected)) {
      assert.equal(lsMode(`${src}/${name}`), shown, `the witness: ls -ld ${name}`);
    }
    await fixture.backup("p");

    const lines = (await fixture.keptOk(["ls", "latest", src])).stdout.trimEnd().split("\n");
    const shown = Object.fromEntries(
      lines.slice(1).map((line) => [line.slice(line.lastIndexOf("/") + 1), line.slice(0, 10)]),
    );
    assert.deepEqual(shown, expected);
    assert.equal(lines[0]!.slice(0, 10), lsMode(src));

    // --json keeps the type by name and the mode as a number with its special bits.
    const entries = parseLines<{ path: string; type: string; mode: number }>(
      (await fixture.keptOk(["ls", "latest", src, "--json"])).stdout,
    );
    const byName = new Map(entries.map((entry) => [entry.path.slice(src.length + 1), entry]));
    assert.equal(byName.get("fifo")!.type, "fifo");
    assert.equal(byName.get("socket")!.type, "socket");
    assert.equal(byName.get("sticky")!.mode, 0o1777);
    assert.equal(byName.get("setuid")!.mode, 0o4755);
    if (IS_ROOT) assert.equal(byName.get("chardev")!.type, "chardev");
  } finally {
    socket?.close();
    await fixture.cleanup();
  }
});
