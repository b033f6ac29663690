import assert from "node:assert/strict";
import { interpolate } from "../../lib/plan/_interpolate.ts";

const ENV: Record<string, string> = { USER: "alice", EMPTY: "", PASS: "p@$$" };
const env = (name: string) => ENV[name];
/** The result for `value` when no variable was unset or empty. */
const plain = (value: string) => ({ value, unset: [], empty: [], rootedBy: [] });

Deno.test("interpolate() replaces ${VAR} with its value", () => {
  assert.deepEqual(interpolate("/home/${USER}/docs", env), plain("/home/alice/docs"));
  assert.deepEqual(interpolate("${USER}${USER}", env), plain("alicealice"));
});

Deno.test("interpolate() leaves text without variables alone, including a lone $ and $NAME", () => {
  assert.deepEqual(interpolate("plain", env), plain("plain"));
  assert.deepEqual(interpolate("cost: 5$", env), plain("cost: 5$"));
  assert.deepEqual(interpolate("$USER", env), plain("$USER"));
});

Deno.test("interpolate() uses the default of ${VAR:-default} when VAR is unset or empty", () => {
  assert.deepEqual(interpolate("${NOPE:-fallback}", env), plain("fallback"));
  assert.deepEqual(interpolate("${EMPTY:-fallback}", env), plain("fallback"));
  assert.deepEqual(interpolate("${USER:-fallback}", env), plain("alice"));
  assert.deepEqual(interpolate("${NOPE:-}", env), plain(""));
  assert.deepEqual(interpolate("${NOPE:-a:-b}", env), plain("a:-b"));
});

Deno.test("interpolate() reports an unset variable without default and substitutes nothing", () => {
  assert.deepEqual(interpolate("x${NOPE}y${ALSO_NOPE}", env), {
    value: "xy",
    unset: ["NOPE", "ALSO_NOPE"],
    empty: [],
    rootedBy: [],
  });
});

Deno.test("interpolate() reports a set but empty variable without default apart from an unset one", () => {
  assert.deepEqual(interpolate("[${EMPTY}]", env), {
    value: "[]",
    unset: [],
    empty: ["EMPTY"],
    rootedBy: [],
  });
  assert.deepEqual(interpolate("[${EMPTY:-}]", env), plain("[]"));
});

Deno.test("interpolate() names the unset and empty variables that turned a path into an absolute one", () => {
  assert.deepEqual(interpolate("${EMPTY}/etc", env), {
    value: "/etc",
    unset: [],
    empty: ["EMPTY"],
    rootedBy: ["EMPTY"],
  });
  assert.deepEqual(interpolate("${NOPE}${EMPTY}/x/${ALSO_NOPE}", env), {
    value: "/x/",
    unset: ["NOPE", "ALSO_NOPE"],
    empty: ["EMPTY"],
    rootedBy: ["NOPE", "EMPTY"],
  });
  // Absolute as written, or not absolute, or the variable gave a value: no variable is to blame.
  assert.deepEqual(interpolate("/srv/${EMPTY}/x", env).rootedBy, []);
  assert.deepEqual(interpolate("${USER}/x", env).rootedBy, []);
  assert.deepEqual(interpolate("${EMPTY}x/y", env).rootedBy, []);
});

Deno.test("interpolate() turns $$ into a literal $, so $${VAR} is not a variable", () => {
  assert.deepEqual(interpolate("$$", env), plain("$"));
  assert.deepEqual(interpolate("pa$$word", env), plain("pa$word"));
  assert.deepEqual(interpolate("$${USER}", env), plain("${USER}"));
});

Deno.test("interpolate() does not interpolate inside a variable's value", () => {
  assert.deepEqual(interpolate("${PASS}", env), plain("p@$$"));
});

Deno.test("interpolate() reports an unterminated ${ and suggests $$", () => {
  const result = interpolate("pre ${USER", env);
  assert.equal(result.error, `unterminated "\${" in "pre \${USER" (write "$$" for a literal "$")`);
});

Deno.test("interpolate() shortens long text in its messages", () => {
  const result = interpolate("x".repeat(200) + "${", env);
  assert.ok(result.error !== undefined && result.error.length < 120, result.error);
});

Deno.test("interpolate() rejects invalid names and nested variables", () => {
  assert.match(interpolate("${1X}", env).error ?? "", /^invalid variable name "1X" in "\$\{1X\}"/);
  assert.match(interpolate("${}", env).error ?? "", /^invalid variable name ""/);
  assert.match(interpolate("${A B}", env).error ?? "", /^invalid variable name "A B"/);
  assert.equal(
    interpolate("${NOPE:-${USER}}", env).error,
    `nested "\${" in "\${NOPE:-\${USER}}" is not supported`,
  );
});
