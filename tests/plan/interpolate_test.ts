import assert from "node:assert/strict";
import { interpolate } from "../../lib/plan/_interpolate.ts";

const ENV: Record<string, string> = { USER: "alice", EMPTY: "", PASS: "p@$$" };
const env = (name: string) => ENV[name];

Deno.test("interpolate() replaces ${VAR} with its value", () => {
  assert.deepEqual(interpolate("/home/${USER}/docs", env), { value: "/home/alice/docs", unset: [] });
  assert.deepEqual(interpolate("${USER}${USER}", env), { value: "alicealice", unset: [] });
});

Deno.test("interpolate() leaves text without variables alone, including a lone $ and $NAME", () => {
  assert.deepEqual(interpolate("plain", env), { value: "plain", unset: [] });
  assert.deepEqual(interpolate("cost: 5$", env), { value: "cost: 5$", unset: [] });
  assert.deepEqual(interpolate("$USER", env), { value: "$USER", unset: [] });
});

Deno.test("interpolate() uses the default of ${VAR:-default} when VAR is unset or empty", () => {
  assert.deepEqual(interpolate("${NOPE:-fallback}", env), { value: "fallback", unset: [] });
  assert.deepEqual(interpolate("${EMPTY:-fallback}", env), { value: "fallback", unset: [] });
  assert.deepEqual(interpolate("${USER:-fallback}", env), { value: "alice", unset: [] });
  assert.deepEqual(interpolate("${NOPE:-}", env), { value: "", unset: [] });
  assert.deepEqual(interpolate("${NOPE:-a:-b}", env), { value: "a:-b", unset: [] });
});

Deno.test("interpolate() reports an unset variable without default and substitutes nothing", () => {
  assert.deepEqual(interpolate("x${NOPE}y${ALSO_NOPE}", env), { value: "xy", unset: ["NOPE", "ALSO_NOPE"] });
});

Deno.test("interpolate() keeps a set but empty variable without a report", () => {
  assert.deepEqual(interpolate("[${EMPTY}]", env), { value: "[]", unset: [] });
});

Deno.test("interpolate() turns $$ into a literal $, so $${VAR} is not a variable", () => {
  assert.deepEqual(interpolate("$$", env), { value: "$", unset: [] });
  assert.deepEqual(interpolate("pa$$word", env), { value: "pa$word", unset: [] });
  assert.deepEqual(interpolate("$${USER}", env), { value: "${USER}", unset: [] });
});

Deno.test("interpolate() does not interpolate inside a variable's value", () => {
  assert.deepEqual(interpolate("${PASS}", env), { value: "p@$$", unset: [] });
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
