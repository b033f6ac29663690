// `kept schedule show` and `kept schedule install`: systemd units and crontab lines written into a temporary
// root (the hidden --root), checked with systemd-analyze where it exists; a fake `crontab` for --user.

import assert from "node:assert/strict";
import { runKept } from "../_support/run_cli.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { MARKER } from "../../lib/schedule/mod.ts";

/** Writes a config of local-destination plans, `schedules[name]` (null: no schedule), into `root/config`. */
function writeConfig(
  root: string,
  schedules: Record<string, string | null>,
  zones: Record<string, string> = {},
) {
  const plans = Object.fromEntries(
    Object.entries(schedules).map(([name, schedule]) => [name, {
      sources: [`${root}/src`],
      destinations: ["local"],
      ...(schedule === null ? {} : { schedule }),
      ...(zones[name] ? { timezone: zones[name] } : {}),
    }]),
  );
  const document = { version: 1, destinations: { local: { url: `${root}/repo`, password: "pw" } }, plans };
  Deno.mkdirSync(`${root}/config`, { recursive: true });
  Deno.writeTextFileSync(`${root}/config/kept.yaml`, JSON.stringify(document, null, 2));
  return `${root}/config`;
}

function schedule(root: string, args: string[], env: Record<string, string> = {}) {
  return runKept(["--config", `${root}/config`, "schedule", ...args], {
    env: { HOME: "/home/test", TZ: "UTC", ...env },
  });
}

const UNITS = "/etc/systemd/system";

const hasSystemdAnalyze = await (async () => {
  try {
    return (await new Deno.Command("systemd-analyze", { args: ["--version"], stdout: "null" }).output())
      .success;
  } catch {
    return false;
  }
})();

Deno.test("`schedule install --systemd` writes a service and a timer per scheduled plan and prints the systemctl line", async () => {
  using dir = tempDir("kept-schedule-");
  writeConfig(dir.path, { web: "15 2 * * *", db: "*/30 * * * *", docs: null }, { web: "Europe/Berlin" });
  const result = await schedule(dir.path, ["install", "--systemd", "--root", `${dir.path}/root`]);
  assert.equal(result.code, 0, result.stderr);
  const folder = `${dir.path}/root${UNITS}`;
  assert.deepEqual([...Deno.readDirSync(folder)].map((entry) => entry.name).sort(), [
    "kept-db.service",
    "kept-db.timer",
    "kept-web.service",
    "kept-web.timer",
  ]);
  const service = Deno.readTextFileSync(`${folder}/kept-web.service`);
  assert.ok(service.startsWith(MARKER));
  assert.match(service, /^Type=oneshot$/m);
  assert.match(service, new RegExp(`^ExecStart=\\S+ .*--config ${dir.path}/config apply web$`, "m"));
  assert.match(service, /^Environment=HOME=\/home\/test$/m);
  const timer = Deno.readTextFileSync(`${folder}/kept-web.timer`);
  assert.match(timer, /^OnCalendar=\*-\*-\* 02:15:00 Europe\/Berlin$/m);
  assert.match(timer, /^Persistent=true$/m);
  assert.match(Deno.readTextFileSync(`${folder}/kept-db.timer`), /^OnCalendar=\*-\*-\* \*:00,30:00$/m);
  assert.match(
    result.stdout,
    /^run: systemctl daemon-reload && systemctl enable --now kept-web.timer kept-db.timer$/m,
  );
  assert.match(result.stdout, /^not scheduled \(no schedule\): docs$/m);
});

Deno.test({
  name: "the installed units pass `systemd-analyze verify`",
  ignore: !hasSystemdAnalyze,
  fn: async () => {
    using dir = tempDir("kept-schedule-");
    writeConfig(dir.path, { web: "15 2 * * *", db: "0 4 1,15 * SUN", last: "0 3 L * *" }, {
      web: "Europe/Berlin",
    });
    assert.equal((await schedule(dir.path, ["install", "--systemd", "--root", `${dir.path}/root`])).code, 0);
    const folder = `${dir.path}/root${UNITS}`;
    const files = [...Deno.readDirSync(folder)].map((entry) => `${folder}/${entry.name}`).sort();
    const verify = await new Deno.Command("systemd-analyze", {
      args: ["verify", ...files],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(verify.stderr);
    // verify only warns (exit 0) about some bad settings: its output must be empty too.
    assert.equal(verify.code, 0, stderr);
    assert.equal(stderr.trim(), "");
  },
});
if (!hasSystemdAnalyze) {
  console.warn("schedule_cli_test: systemd-analyze not found; the verify test is skipped");
}

Deno.test("scheduled jobs run with the --lock-wait and --no-cache install was given, not its -q/-v", async () => {
  using dir = tempDir("kept-schedule-");
  const config = writeConfig(dir.path, { web: "15 2 * * *" });
  const install = (globals: string[], how: string) =>
    runKept(["--config", config, ...globals, "schedule", "install", how, "--root", `${dir.path}/root`], {
      env: { HOME: "/home/test", TZ: "UTC" },
    });
  const globals = ["--lock-wait", "10min", "--no-cache", "-v"];
  assert.equal((await install(globals, "--systemd")).code, 0);
  const service = () => Deno.readTextFileSync(`${dir.path}/root${UNITS}/kept-web.service`);
  assert.match(
    service(),
    new RegExp(`^ExecStart=\\S+ .*--config ${config} --lock-wait 10min --no-cache apply web$`, "m"),
  );
  assert.equal((await install(globals, "--cron")).code, 0);
  const cron = [...Deno.readDirSync(`${dir.path}/root/etc/cron.d`)].map((entry) => entry.name);
  const line = Deno.readTextFileSync(`${dir.path}/root/etc/cron.d/${cron[0]}`);
  assert.match(line, new RegExp(` --config ${config} --lock-wait 10min --no-cache --quiet apply web`));
  // A --lock-wait the jobs would refuse is refused now, and nothing is written.
  const before = service();
  const refused = await install(["--lock-wait", "forever"], "--systemd");
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /^kept: Invalid --lock-wait "forever"/);
  assert.equal(service(), before);
  // Installed again without them: the same units, now without the options.
  const again = await install([], "--systemd");
  assert.equal(again.code, 0, again.stderr);
  assert.match(service(), new RegExp(`^ExecStart=\\S+ .*--config ${config} apply web$`, "m"));
});

Deno.test("`schedule install` twice writes the same files and says they are unchanged", async () => {
  using dir = tempDir("kept-schedule-");
  writeConfig(dir.path, { web: "15 2 * * *" });
  const root = `${dir.path}/root`;
  assert.equal((await schedule(dir.path, ["install", "--systemd", "--root", root])).code, 0);
  const before = snapshot(`${root}${UNITS}`);
  const again = await schedule(dir.path, ["install", "--systemd", "--root", root]);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(snapshot(`${root}${UNITS}`), before);
  assert.match(again.stdout, /^unchanged .*kept-web\.service$/m);
  assert.match(again.stdout, /^unchanged .*kept-web\.timer$/m);
  assert.doesNotMatch(again.stdout, /^wrote /m);
});

Deno.test("`schedule install` removes the units it wrote for a plan that is gone, and nobody else's", async () => {
  using dir = tempDir("kept-schedule-");
  const root = `${dir.path}/root`;
  const folder = `${root}${UNITS}`;
  writeConfig(dir.path, { web: "15 2 * * *", old: "0 * * * *" });
  assert.equal((await schedule(dir.path, ["install", "--systemd", "--root", root])).code, 0);
  // What `systemctl enable` leaves, and a unit of someone else's that happens to share the prefix.
  Deno.mkdirSync(`${folder}/timers.target.wants`);
  Deno.symlinkSync(`${folder}/kept-old.timer`, `${folder}/timers.target.wants/kept-old.timer`);
  Deno.writeTextFileSync(`${folder}/kept-mine.service`, "[Service]\nExecStart=/bin/true\n");
  writeConfig(dir.path, { web: "15 2 * * *" });
  const result = await schedule(dir.path, ["install", "--systemd", "--root", root]);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual([...Deno.readDirSync(folder)].filter((e) => e.isFile).map((e) => e.name).sort(), [
    "kept-mine.service",
    "kept-web.service",
    "kept-web.timer",
  ]);
  assert.deepEqual([...Deno.readDirSync(`${folder}/timers.target.wants`)], []);
  assert.match(result.stdout, /^removed .*\/kept-old\.timer$/m);
  // The timer and its timers.target.wants link are removed: the timer is stopped once.
  assert.match(
    result.stdout,
    /^run: systemctl daemon-reload && systemctl stop kept-old\.timer && systemctl enable/m,
  );
});

Deno.test("`schedule install` for one config leaves the units of another config alone, and refuses a clash", async () => {
  using dir = tempDir("kept-schedule-");
  const root = `${dir.path}/root`;
  const folder = `${root}${UNITS}`;
  const a = `${dir.path}/a`;
  const b = `${dir.path}/b`;
  writeConfig(a, { web: "15 2 * * *" });
  writeConfig(b, { db: "0 * * * *" });
  const install = (config: string) =>
    runKept(["--config", `${config}/config`, "schedule", "install", "--systemd", "--root", root], {
      env: { HOME: "/home/test", TZ: "UTC" },
    });
  assert.equal((await install(a)).code, 0);
  const second = await install(b);
  assert.equal(second.code, 0, second.stderr);
  assert.doesNotMatch(second.stdout, /^removed /m);
  const names = () => [...Deno.readDirSync(folder)].map((e) => e.name).sort();
  assert.deepEqual(names(), ["kept-db.service", "kept-db.timer", "kept-web.service", "kept-web.timer"]);
  assert.match(
    Deno.readTextFileSync(`${folder}/kept-web.service`),
    new RegExp(`^# Config: ${a}/config$`, "m"),
  );
  // b's plan loses its schedule: b's units go, a's stay.
  writeConfig(b, { db: null });
  assert.match((await install(b)).stdout, /^removed .*kept-db\.timer$/m);
  assert.deepEqual(names(), ["kept-web.service", "kept-web.timer"]);
  // b names a plan "web" too: its units would replace a's.
  writeConfig(b, { web: "0 * * * *" });
  const clash = await install(b);
  assert.equal(clash.code, 1);
  assert.match(
    clash.stderr,
    new RegExp(
      `^kept: Cannot write \\S+/kept-web\\.service: kept installed it for another config, "${a}/config"`,
      "m",
    ),
  );
  assert.match(
    Deno.readTextFileSync(`${folder}/kept-web.service`),
    new RegExp(`--config ${a}/config apply web`),
  );
  // Units an older kept wrote for a name no config: b's install (no plan "web" now) leaves a's alone.
  for (const unit of ["kept-web.service", "kept-web.timer"]) {
    const path = `${folder}/${unit}`;
    Deno.writeTextFileSync(path, Deno.readTextFileSync(path).replace(/^# Config: .*\n/m, ""));
  }
  writeConfig(b, { db: "0 * * * *" });
  assert.equal((await install(b)).code, 0);
  assert.deepEqual(names(), ["kept-db.service", "kept-db.timer", "kept-web.service", "kept-web.timer"]);
});

Deno.test("`schedule install --cron` writes one /etc/cron.d file per config, and leaves the others' alone", async () => {
  using dir = tempDir("kept-schedule-");
  const root = `${dir.path}/root`;
  const a = `${dir.path}/a`;
  const b = `${dir.path}/b`;
  writeConfig(a, { web: "15 2 * * *" });
  writeConfig(b, { db: "0 * * * *" });
  const install = (config: string) =>
    runKept(["--config", `${config}/config`, "schedule", "install", "--cron", "--root", root], {
      env: { HOME: "/home/test", TZ: "UTC" },
    });
  // What an older kept wrote for a: one file for every config, without a config line.
  Deno.mkdirSync(`${root}/etc/cron.d`, { recursive: true });
  const old =
    `${MARKER}\nSHELL=/bin/sh\n15 2 * * * root /usr/bin/kept --config ${a}/config --quiet apply web\n`;
  Deno.writeTextFileSync(`${root}/etc/cron.d/kept`, old);
  // b's install is not a's: the old file stays.
  assert.equal((await install(b)).code, 0);
  assert.equal(Deno.readTextFileSync(`${root}/etc/cron.d/kept`), old);
  const first = await install(a);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /^removed \S+\/etc\/cron\.d\/kept$/m);
  const files = [...Deno.readDirSync(`${root}/etc/cron.d`)].map((e) => e.name).sort();
  const slug = (config: string) => `kept-${config.slice(1).replace(/[^A-Za-z0-9_-]+/g, "-")}-config`;
  assert.deepEqual(files, [slug(a), slug(b)].sort());
  assert.match(Deno.readTextFileSync(`${root}/etc/cron.d/${slug(a)}`), / --quiet apply web$/m);
  assert.match(Deno.readTextFileSync(`${root}/etc/cron.d/${slug(b)}`), / --quiet apply db$/m);
  // a's plan loses its schedule: a's file goes, b's stays.
  writeConfig(a, { web: null });
  assert.equal((await install(a)).code, 0);
  assert.deepEqual([...Deno.readDirSync(`${root}/etc/cron.d`)].map((e) => e.name), [slug(b)]);
});

Deno.test("`schedule install` warns about the variables the config uses that the jobs will not have", async () => {
  using dir = tempDir("kept-schedule-");
  writeConfig(dir.path, { web: "15 2 * * *" });
  const path = `${dir.path}/config/kept.yaml`;
  const document = JSON.parse(Deno.readTextFileSync(path));
  document.destinations.local.password = "${MYPASS}";
  document.plans.web.sources = ["${DATA:-/srv}/www", "${HOME}/notes"];
  Deno.writeTextFileSync(path, JSON.stringify(document));
  const env = { MYPASS: "secret", DATA: "/data" };
  const systemd = await schedule(dir.path, ["install", "--systemd", "--root", `${dir.path}/root`], env);
  assert.equal(systemd.code, 0, systemd.stderr);
  assert.match(
    systemd.stderr,
    /^warning: the scheduled jobs will not have DATA, MYPASS, which the config uses now .*password_file or password_command, or set them in an EnvironmentFile=/m,
  );
  assert.doesNotMatch(systemd.stderr, /secret/);
  const cron = await schedule(dir.path, ["install", "--cron", "--root", `${dir.path}/root`], env);
  assert.match(cron.stderr, /^warning: the scheduled jobs will not have DATA, MYPASS, .*\/etc\/environment/m);
  // Not set even for the install: every scheduled backup there would fail, so install says so.
  const unset = await schedule(dir.path, ["install", "--systemd", "--root", `${dir.path}/root`], {
    DATA: "/d",
  });
  assert.equal(unset.code, 0, unset.stderr);
  assert.match(
    unset.stderr,
    /^warning: destination "local": .*environment variable MYPASS is not set .*: its scheduled backups will fail$/m,
  );
  // Without a variable from outside, no warning.
  writeConfig(dir.path, { web: "15 2 * * *" });
  const quiet = await schedule(dir.path, ["install", "--systemd", "--root", `${dir.path}/root`], env);
  assert.equal(quiet.stderr, "");
});

Deno.test("`schedule install` refuses to replace a unit kept did not write", async () => {
  using dir = tempDir("kept-schedule-");
  const root = `${dir.path}/root`;
  writeConfig(dir.path, { web: "15 2 * * *" });
  Deno.mkdirSync(`${root}${UNITS}`, { recursive: true });
  Deno.writeTextFileSync(`${root}${UNITS}/kept-web.timer`, "[Timer]\nOnCalendar=daily\n");
  const result = await schedule(dir.path, ["install", "--systemd", "--root", root]);
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    /^kept: Cannot write \S+kept-web\.timer: it exists and was not written by kept$/m,
  );
  assert.equal(Deno.readTextFileSync(`${root}${UNITS}/kept-web.timer`), "[Timer]\nOnCalendar=daily\n");
  assert.throws(() => Deno.statSync(`${root}${UNITS}/kept-web.service`), Deno.errors.NotFound);
});

Deno.test("a schedule systemd or cron cannot express is a one-line error naming the file, plan and key", async () => {
  using dir = tempDir("kept-schedule-");
  writeConfig(dir.path, { web: "0 0 15W * *" });
  const systemd = await schedule(dir.path, ["install", "--systemd", "--root", `${dir.path}/root`]);
  assert.equal(systemd.code, 1);
  assert.equal(
    systemd.stderr,
    `kept: ${dir.path}/config/kept.yaml: plans.web.schedule "0 0 15W * *" cannot be written as a systemd ` +
      `OnCalendar: systemd has no nearest weekday ("15W")\n`,
  );
  assert.throws(() => Deno.statSync(`${dir.path}/root`), Deno.errors.NotFound);
  writeConfig(dir.path, { web: "*/5 * * * * *" });
  const cron = await schedule(dir.path, ["show", "--cron"]);
  assert.equal(cron.code, 1);
  assert.match(
    cron.stderr,
    /^kept: \S+kept\.yaml: plans\.web\.schedule "\*\/5 \* \* \* \* \*" cannot be written as a crontab line: cron has no seconds field/,
  );
  assert.equal(cron.stderr.split("\n").length, 2);
});

Deno.test("`schedule install --cron` writes /etc/cron.d/kept-CONFIG with CRON_TZ for zoned plans, idempotently", async () => {
  using dir = tempDir("kept-schedule-");
  const root = `${dir.path}/root`;
  writeConfig(dir.path, { web: "15 2 * * *", db: "0 */6 * * *", docs: null }, { web: "Europe/Berlin" });
  const result = await schedule(dir.path, ["install", "--cron", "--root", root]);
  assert.equal(result.code, 0, result.stderr);
  const file = `${root}/etc/cron.d/kept-${dir.path.slice(1).replace(/[^A-Za-z0-9_-]+/g, "-")}-config`;
  const text = Deno.readTextFileSync(file);
  const lines = text.split("\n").filter((line) => !line.startsWith("# "));
  assert.deepEqual(lines.map((line) => line.replace(/ \/\S+.*--config \S+/, " KEPT")), [
    "SHELL=/bin/sh",
    "HOME=/home/test",
    "0 */6 * * * root KEPT --quiet apply db",
    "CRON_TZ=Europe/Berlin",
    "15 2 * * * root KEPT --quiet apply web",
    "CRON_TZ=UTC",
    "",
  ]);
  assert.equal(Deno.statSync(file).mode! & 0o777, 0o644);
  const again = await schedule(dir.path, ["install", "--cron", "--root", root]);
  assert.match(again.stdout, new RegExp(`^unchanged ${file}$`, "m"));
  assert.equal(Deno.readTextFileSync(file), text);
  const shown = await schedule(dir.path, ["show", "--cron"]);
  assert.equal(shown.stdout, `# ${file.slice(root.length)}\n${text}`);
});

Deno.test("`schedule install --cron --user` replaces kept's block in the crontab and keeps the user's lines", async () => {
  using dir = tempDir("kept-schedule-");
  const bin = `${dir.path}/bin`;
  const store = `${dir.path}/crontab.txt`;
  Deno.mkdirSync(bin);
  // A crontab program that keeps the table in a file, as `crontab -l` and `crontab -` do.
  Deno.writeTextFileSync(
    `${bin}/crontab`,
    `#!/bin/sh\nif [ "$1" = "-l" ]; then\n  [ -f '${store}' ] || { echo "no crontab for test" >&2; exit 1; }\n` +
      `  cat '${store}'\nelif [ "$1" = "-" ]; then\n  cat > '${store}'\nfi\n`,
    { mode: 0o755 },
  );
  const env = { PATH: `${bin}:${Deno.env.get("PATH")}` };
  writeConfig(dir.path, { web: "15 2 * * *" });
  const first = await schedule(dir.path, ["install", "--cron", "--user"], env);
  assert.equal(first.code, 0, first.stderr);
  assert.match(Deno.readTextFileSync(store), /^# BEGIN kept schedule\n/);
  const mine = "MAILTO=me\n0 5 * * * /home/me/bin/sync\n";
  Deno.writeTextFileSync(store, mine + Deno.readTextFileSync(store));
  writeConfig(dir.path, { web: "15 3 * * *" });
  assert.equal((await schedule(dir.path, ["install", "--cron", "--user"], env)).code, 0);
  const table = Deno.readTextFileSync(store);
  assert.ok(table.startsWith(mine));
  assert.match(table, /^15 3 \* \* \* \S+.* --quiet apply web$/m);
  assert.doesNotMatch(table, /^15 2 /m);
  const again = await schedule(dir.path, ["install", "--cron", "--user"], env);
  assert.equal(again.stdout, "unchanged your crontab\n");
  assert.equal(Deno.readTextFileSync(store), table);
});

Deno.test("`schedule show` prints the units of the plans asked for and writes nothing", async () => {
  using dir = tempDir("kept-schedule-");
  writeConfig(dir.path, { web: "15 2 * * *", db: "@daily", docs: null });
  const result = await schedule(dir.path, ["show", "db"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^# \/etc\/systemd\/system\/kept-db\.service$/m);
  assert.match(result.stdout, /^OnCalendar=\*-\*-\* 00:00:00$/m);
  assert.doesNotMatch(result.stdout, /kept-web/);
  const user = await schedule(dir.path, ["show", "--user", "db"]);
  assert.match(user.stdout, /^# \/home\/test\/\.config\/systemd\/user\/kept-db\.timer$/m);
  assert.doesNotMatch(user.stdout, /network-online/);
  const unscheduled = await schedule(dir.path, ["show", "docs"]);
  assert.equal(unscheduled.code, 1);
  assert.equal(unscheduled.stderr, 'kept: Plan "docs" has no schedule\n');
});

Deno.test("`schedule install` without --systemd or --cron is a usage error", async () => {
  using dir = tempDir("kept-schedule-");
  writeConfig(dir.path, { web: "15 2 * * *" });
  const result = await schedule(dir.path, ["install"]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /Choose where to install: --systemd or --cron/);
});

/** Every file's content and modification time below `folder`. */
function snapshot(folder: string): Record<string, [string, number | undefined]> {
  const files: Record<string, [string, number | undefined]> = {};
  for (const entry of Deno.readDirSync(folder)) {
    const path = `${folder}/${entry.name}`;
    files[entry.name] = [Deno.readTextFileSync(path), Deno.statSync(path).mtime?.getTime()];
  }
  return files;
}
