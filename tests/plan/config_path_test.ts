import assert from "node:assert/strict";
import { join } from "node:path";
import { resolveConfigPath } from "../../lib/plan/mod.ts";
import { UserError } from "../../lib/errors.ts";
import { tempDir } from "../_support/temp_dir.ts";

/** A temp dir as cwd, with or without a `plans` folder in it. */
async function withCwd(hasPlans: boolean, fn: (cwd: string) => void): Promise<void> {
  using dir = tempDir("kept-config-path-");
  const cwd = dir.path;
  if (hasPlans) await Deno.mkdir(join(cwd, "plans"));
  fn(cwd);
}

const envOf = (values: Record<string, string>) => (name: string) => values[name];

Deno.test("resolveConfigPath() takes --config first, relative to the cwd", async () => {
  await withCwd(true, (cwd) => {
    const env = envOf({ KEPT_CONFIG: "/etc/kept", XDG_CONFIG_HOME: "/xdg", HOME: "/home/a" });
    assert.equal(resolveConfigPath({ flag: "my/plans.yaml", env, cwd }), join(cwd, "my/plans.yaml"));
    assert.equal(resolveConfigPath({ flag: "/abs/plans", env, cwd }), "/abs/plans");
  });
});

Deno.test("resolveConfigPath() takes KEPT_CONFIG when there is no --config", async () => {
  await withCwd(true, (cwd) => {
    const env = envOf({ KEPT_CONFIG: "conf", XDG_CONFIG_HOME: "/xdg", HOME: "/home/a" });
    assert.equal(resolveConfigPath({ env, cwd }), join(cwd, "conf"));
    assert.equal(resolveConfigPath({ flag: undefined, env, cwd }), join(cwd, "conf"));
  });
});

Deno.test("resolveConfigPath() takes ./plans when it exists and nothing else is set", async () => {
  await withCwd(true, (cwd) => {
    const env = envOf({ KEPT_CONFIG: "", XDG_CONFIG_HOME: "/xdg", HOME: "/home/a" });
    assert.equal(resolveConfigPath({ env, cwd }), join(cwd, "plans"));
  });
});

Deno.test("resolveConfigPath() falls back to $XDG_CONFIG_HOME/kept, then ~/.config/kept, when it exists", async () => {
  using home = tempDir("kept-config-home-");
  const xdg = join(home.path, "xdg");
  await Deno.mkdir(join(xdg, "kept"), { recursive: true });
  await Deno.mkdir(join(home.path, ".config", "kept"), { recursive: true });
  await withCwd(false, (cwd) => {
    assert.equal(
      resolveConfigPath({ env: envOf({ XDG_CONFIG_HOME: xdg, HOME: home.path }), cwd }),
      join(xdg, "kept"),
    );
    assert.equal(
      resolveConfigPath({ env: envOf({ HOME: home.path }), cwd }),
      join(home.path, ".config/kept"),
    );
    assert.equal(
      resolveConfigPath({ env: envOf({ XDG_CONFIG_HOME: "", HOME: home.path }), cwd }),
      join(home.path, ".config/kept"),
    );
  });
});

Deno.test("resolveConfigPath() without a config names both defaults, --config, KEPT_CONFIG and ./plans", async () => {
  await withCwd(false, (cwd) => {
    assert.throws(
      () => resolveConfigPath({ env: envOf({ XDG_CONFIG_HOME: "/no/such/xdg", HOME: "/home/a" }), cwd }),
      (error: unknown) => {
        assert.ok(error instanceof UserError);
        assert.equal(
          error.message,
          `No config found: neither ${join(cwd, "plans")} nor /no/such/xdg/kept exists`,
        );
        assert.match(error.hint!, /--config PATH or the KEPT_CONFIG variable, or create \.\/plans/);
        return true;
      },
    );
  });
});
