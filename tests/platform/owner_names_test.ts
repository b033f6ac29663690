// Owner and group names come from /etc/passwd and /etc/group, first line winning; getent is the witness.

import assert from "node:assert/strict";
import { currentUserName, groupName, namesById, userName } from "../../lib/platform/mod.ts";

function getent(database: "passwd" | "group", id: number): string | undefined {
  const output = new Deno.Command("getent", { args: [database, String(id)], stdout: "piped", stderr: "null" })
    .outputSync();
  if (!output.success) return undefined;
  return new TextDecoder().decode(output.stdout).split(":")[0];
}

Deno.test("userName() and groupName() name the ids /etc/passwd and /etc/group have, as getent does", () => {
  for (const id of [0, 1, 2, 65534]) {
    assert.equal(userName(id), getent("passwd", id), `uid ${id}`);
    assert.equal(groupName(id), getent("group", id), `gid ${id}`);
  }
  assert.equal(userName(3_999_999_999), undefined);
  assert.equal(groupName(3_999_999_999), undefined);
});

Deno.test("currentUserName() names the uid this process runs as", () => {
  assert.equal(currentUserName(), getent("passwd", Deno.uid()!));
  if (Deno.uid() === 0) assert.equal(currentUserName(), "root");
});

Deno.test("namesById() takes the first name of an id and skips comments, NIS and broken lines", () => {
  const names = namesById(
    [
      "# comment",
      "root:x:0:0:root:/root:/bin/bash",
      "toor:x:0:0:second root:/root:/bin/sh",
      "+nis::::::",
      "-excluded::::::",
      "broken line",
      "noid:x::0::/:",
      "neg:x:-1:0::/:",
      "web:x:33:33::/var/www:/usr/sbin/nologin",
      "",
    ].join("\n"),
  );
  assert.deepEqual([...names], [[0, "root"], [33, "web"]]);
  assert.deepEqual([...namesById("staff:x:50:alice,bob\n")], [[50, "staff"]]);
});
