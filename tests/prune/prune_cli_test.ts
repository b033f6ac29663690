// `kept prune` and `kept forget --prune` end to end: real processes on a real repository in a temp folder.

import assert from "node:assert/strict";
import { assertRestores, copyTree, listFiles, makeHistory, storedBytes } from "./_history.ts";
import { makeFixture } from "../_support/fixture.ts";

Deno.test("forget --prune with --max-unused 0% gives the space back: the repository is a fresh backup's size", async () => {
  const history = await makeHistory();
  const { fixture, snapshots, states } = history;
  try {
    const before = storedBytes(fixture.repo);
    const started = performance.now();
    const forgot = await fixture.keptOk([
      "forget",
      "--snapshot",
      ...snapshots.slice(0, 4),
      "--prune",
      "--max-unused",
      "0%",
    ]);
    const seconds = (performance.now() - started) / 1000;
    // Said before acting, then what was done.
    assert.match(forgot.stdout, /^local: forgot 4 snapshots$/m);
    assert.match(forgot.stdout, /^local: will delete \d+ packs? \(.+\), repack \d+ packs? /m);
    assert.match(forgot.stdout, /^local: freed .+: removed \d+ packs?, copied \d+ blobs/m);
    assert.ok(
      forgot.stdout.indexOf("will delete") < forgot.stdout.indexOf("freed"),
      "the plan is printed before the result",
    );
    const after = storedBytes(fixture.repo);

    const fresh = await makeFixture(() => ({ p: { sources: [history.src] } }));
    try {
      await fresh.backup("p");
      const freshBytes = storedBytes(fresh.repo);
      console.log(
        `forget 4 of 5 + prune: ${
          seconds.toFixed(2)
        } s; ${before} → ${after} bytes; fresh backup ${freshBytes}`,
      );
      assert.ok(
        Math.abs(after - freshBytes) <= 0.05 * freshBytes,
        `pruned repository ${after} bytes, a fresh backup ${freshBytes}`,
      );
    } finally {
      await fresh.cleanup();
    }

    const check = await fixture.keptOk(["check", "--read-data"]);
    assert.match(check.stdout, /no errors in 1 snapshots/);
    assert.doesNotMatch(check.stderr, /info:|warning:/, "nothing is left unused");
    await assertRestores(history, snapshots[4]!, states[4]!);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("prune --dry-run prints the plan and changes nothing; --json prints the plan as data", async () => {
  const history = await makeHistory();
  const { fixture, snapshots } = history;
  try {
    await fixture.keptOk(["forget", "--snapshot", ...snapshots.slice(0, 3)]);
    const check = await fixture.keptOk(["check"]);
    assert.match(check.stderr, /^info: \d+ index entries \(.+\) are used by no snapshot; .*kept prune/m);
    const files = listFiles(fixture.repo);

    const dry = await fixture.keptOk(["prune", "--dry-run"]);
    assert.match(dry.stdout, /^local: 2 snapshots use \d+ blobs; \d+ index entries are unused$/m);
    assert.match(dry.stdout, /^local: would delete \d+ packs? \(.+\), repack \d+ packs? \(.+\), keep /m);
    assert.match(dry.stdout, /^local: would free .+ \(dry run: nothing changed\)$/m);
    assert.deepEqual(listFiles(fixture.repo), files, "a dry run changed the repository");

    const json = JSON.parse((await fixture.keptOk(["prune", "--dry-run", "--json"])).stdout);
    assert.deepEqual(Object.keys(json), ["prune"]);
    const [plan] = json.prune;
    assert.deepEqual(Object.keys(plan), [
      "destination",
      "dry_run",
      "snapshots",
      "blobs",
      "delete",
      "repack",
      "keep",
      "unindexed",
      "missing",
      "index_files",
      "freed_bytes",
      "done",
    ]);
    assert.equal(plan.destination, "local");
    assert.equal(plan.dry_run, true);
    assert.equal(plan.snapshots, 2);
    assert.equal(plan.done, null);
    assert.ok(plan.freed_bytes > 0);
    assert.ok(plan.delete.packs + plan.repack.packs > 0);
    assert.deepEqual(Object.keys(plan.repack), ["packs", "bytes", "copy_blobs", "copy_bytes", "ids"]);
    assert.deepEqual(listFiles(fixture.repo), files, "a dry run changed the repository");

    const done =
      JSON.parse((await fixture.keptOk(["prune", "--json", "--max-unused", "0%"])).stdout).prune[0];
    assert.equal(done.dry_run, false);
    assert.equal(done.done.packs_removed, done.delete.packs + done.repack.packs);
    const again =
      JSON.parse((await fixture.keptOk(["prune", "--json", "--max-unused", "0%"])).stdout).prune[0];
    assert.equal(again.freed_bytes, 0, "a second prune has nothing left to do");
    assert.equal(again.blobs.unused, 0);
    for (const i of [3, 4]) await assertRestores(history, snapshots[i]!, history.states[i]!);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("prune refuses bad input with one line and a non-zero exit, and deletes nothing", async (t) => {
  const history = await makeHistory();
  const { fixture, snapshots } = history;
  try {
    await fixture.keptOk(["forget", "--snapshot", ...snapshots.slice(0, 3)]);
    const files = listFiles(fixture.repo);
    const refused = async (args: string[], code: number, message: RegExp) => {
      const result = await fixture.kept(args);
      assert.equal(result.code, code, `kept ${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr.split("\n")[0]!, message);
      assert.deepEqual(listFiles(fixture.repo), files, `kept ${args.join(" ")} changed the repository`);
    };
    await t.step("flags", async () => {
      await refused(["prune", "--max-unused", "5"], 2, /^kept: Invalid --max-unused "5": give a percentage/);
      await refused(["prune", "--max-unused", "120%"], 2, /^kept: Invalid --max-unused "120%"/);
      await refused(["prune", "--max-repack", "lots"], 2, /^kept: Invalid --max-repack "lots": give a size/);
      await refused(
        ["prune", "--max-unused", "0%", "--max-repack", "0"],
        2,
        /^kept: Cannot combine --max-unused "0%" with --max-repack "0"/,
      );
      await refused(
        ["forget", "--max-unused", "1%"],
        2,
        /^kept: Cannot use --max-unused or --max-repack without --prune$/,
      );
      await refused(["prune", "--destination", "nas"], 1, /^kept: Unknown destination "nas"/);
    });

    await t.step("a repository held by a live lock", async () => {
      const holder = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          new URL("../_support/hold_lock.ts", import.meta.url).pathname,
          fixture.repo,
          "correct horse battery staple",
          "shared",
          "20000",
        ],
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      const reader = holder.stdout.pipeThrough(new TextDecoderStream()).getReader();
      const { value } = await reader.read();
      assert.match(value ?? "", /"ok":true/);
      try {
        await refused(
          ["prune"],
          11,
          /^kept: destination "local": Repository .* is locked \(shared\) by holder@/,
        );
      } finally {
        holder.kill("SIGKILL");
        await holder.status;
        reader.releaseLock();
        await holder.stdout.cancel().catch(() => {});
      }
      await fixture.keptOk(["unlock"]);
    });

    await t.step("a damaged index file", async () => {
      const index = [...Deno.readDirSync(`${fixture.repo}/index`)].find((entry) =>
        !entry.name.startsWith(".")
      );
      const path = `${fixture.repo}/index/${index!.name}`;
      const bytes = Deno.readFileSync(path);
      Deno.chmodSync(path, 0o600);
      const damaged = bytes.slice();
      damaged[40] = damaged[40]! ^ 0xff;
      Deno.writeFileSync(path, damaged);
      try {
        await refused(["prune"], 1, /^kept: destination "local": index file ".*" does not match its id$/);
        const { stderr } = await fixture.kept(["prune"]);
        assert.match(stderr, /\nhint: run `kept repair index`: it rebuilds the index from the packs/);
        assert.doesNotMatch(stderr, /warning/, "said once, as the error that stops prune");
      } finally {
        Deno.writeFileSync(path, bytes);
      }
    });

    await t.step("a pack a snapshot needs is missing", async () => {
      const repo = `${fixture.root}/missing-repo`;
      await copyTree(fixture.repo, repo);
      const data = `${fixture.repo}/data`;
      // The newest snapshot's only file of its own is in the last data pack written; remove every pack.
      for (const sub of Deno.readDirSync(data)) Deno.removeSync(`${data}/${sub.name}`, { recursive: true });
      const left = listFiles(fixture.repo);
      const result = await fixture.kept(["prune"]);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /^kept: destination "local": Cannot (prune|read tree)/m);
      assert.deepEqual(listFiles(fixture.repo), left);
      Deno.removeSync(fixture.repo, { recursive: true });
      Deno.renameSync(repo, fixture.repo);
    });
  } finally {
    await fixture.cleanup();
  }
});
