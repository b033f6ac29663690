// One destination that cannot be reached (an unmounted USB disk) must not stop the others: backup saves to
// what it can, `snapshots` lists what it can, each names the failure and exits 1.

import assert from "node:assert/strict";
import { runKept } from "../_support/run_cli.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { eachDestination } from "../../lib/destinations/mod.ts";
import { UserError } from "../../lib/errors.ts";

/** A config backing up `data/` to `usb` (a folder that is not there) and then `local`. */
function writeConfig(root: string): void {
  Deno.mkdirSync(`${root}/data`);
  Deno.writeTextFileSync(`${root}/data/a.txt`, "hello\n");
  Deno.writeTextFileSync(
    `${root}/kept.yaml`,
    JSON.stringify({
      version: 1,
      destinations: {
        usb: { url: `${root}/media/usb/kept`, password: "pw" },
        local: { url: `${root}/repo`, password: "pw" },
      },
      plans: { docs: { sources: [`${root}/data`], destinations: ["usb", "local"] } },
    }),
  );
}

const kept = (root: string, args: string[]) =>
  runKept(["--config", `${root}/kept.yaml`, ...args], { env: { KEPT_KDF_N: "1024" } });

Deno.test("backup to [usb, local] with the USB disk absent saves to local, names usb and exits 1", async () => {
  using dir = tempDir("kept-dests-");
  writeConfig(dir.path);
  assert.equal((await kept(dir.path, ["init", "local"])).code, 0);

  const result = await kept(dir.path, ["backup", "docs"]);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /^kept: destination "usb": .*media\/usb\/kept.*does not exist/m);
  assert.match(result.stdout, /^local: snapshot [0-9a-f]{12} saved: 1 file,/m);
  assert.doesNotMatch(result.stderr, /^\s+at /m);

  const json = await kept(dir.path, ["backup", "docs", "--json"]);
  assert.equal(json.code, 1);
  const outcomes = JSON.parse(json.stdout) as { destination: string; error?: string; snapshot_id?: string }[];
  assert.deepEqual(outcomes.map((o) => o.destination), ["usb", "local"]);
  assert.match(outcomes[0]!.error!, /does not exist/);
  assert.match(outcomes[1]!.snapshot_id!, /^[0-9a-f]{64}$/);
});

Deno.test("`kept snapshots` lists the destinations it can read, names the one it cannot and exits 1", async () => {
  using dir = tempDir("kept-dests-");
  writeConfig(dir.path);
  assert.equal((await kept(dir.path, ["init", "local"])).code, 0);
  assert.equal((await kept(dir.path, ["backup", "docs", "--destination", "local"])).code, 0);

  const result = await kept(dir.path, ["snapshots"]);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /^kept: destination "usb": /m);
  assert.match(result.stdout, /docs\s+local/);
  assert.match(result.stdout, /^1 snapshot$/m);

  const json = await kept(dir.path, ["snapshots", "--json"]);
  assert.equal(json.code, 1);
  assert.equal((JSON.parse(json.stdout) as unknown[]).length, 1);
});

Deno.test("eachDestination() goes on after a user error but throws a bug at once", async () => {
  const seen: string[] = [];
  const outcomes = await eachDestination(["a", "b"], (name) => {
    seen.push(name);
    if (name === "a") return Promise.reject(new UserError("disk gone"));
    return Promise.resolve(name.toUpperCase());
  });
  assert.deepEqual(seen, ["a", "b"]);
  assert.deepEqual(outcomes.map((o) => o.ok ? o.value : o.error.message), ["disk gone", "B"]);

  await assert.rejects(
    eachDestination(["a", "b"], (name) => {
      seen.push(name);
      return Promise.reject(new TypeError("bug"));
    }),
    TypeError,
  );
  assert.deepEqual(seen, ["a", "b", "a"]);
});
