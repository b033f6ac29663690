// The service and timer written for each scheduled plan.

import assert from "node:assert/strict";
import { MARKER, systemdUnits } from "../../lib/schedule/mod.ts";

const WEB = {
  name: "web",
  definedIn: "/etc/kept/kept.yaml",
  cron: "0 4 1,15 * SUN",
  timeZone: "Europe/Berlin",
};

Deno.test("systemdUnits() writes a oneshot service and a timer with one OnCalendar per calendar", () => {
  const [service, timer] = systemdUnits([WEB], {
    command: ["/usr/local/bin/kept", "--config", "/etc/kept"],
    config: "/etc/kept",
    environment: { HOME: "/root" },
    user: false,
  });
  assert.equal(service?.name, "kept-web.service");
  assert.equal(
    service?.content,
    [
      MARKER,
      "# Config: /etc/kept",
      "[Unit]",
      "Description=kept: apply plan web",
      "Wants=network-online.target",
      "After=network-online.target",
      "",
      "[Service]",
      "Type=oneshot",
      "ExecStart=/usr/local/bin/kept --config /etc/kept apply web",
      "Environment=HOME=/root",
      "Nice=10",
      "IOSchedulingClass=best-effort",
      "IOSchedulingPriority=7",
      "KillMode=mixed",
      "",
    ].join("\n"),
  );
  assert.equal(timer?.name, "kept-web.timer");
  assert.deepEqual(timer?.content.split("\n").filter((line) => line.startsWith("OnCalendar=")), [
    "OnCalendar=*-*-01,15 04:00:00 Europe/Berlin",
    "OnCalendar=Sun *-*-* 04:00:00 Europe/Berlin",
  ]);
  assert.match(timer!.content, /^Persistent=true$/m);
  assert.match(timer!.content, /^WantedBy=timers\.target$/m);
});

Deno.test("systemdUnits() quotes words with spaces and escapes systemd's % specifiers and $ variables", () => {
  const [service] = systemdUnits([WEB], {
    command: ["/opt/my kept/kept", "--config", "/etc/100%/$HOME"],
    config: "/etc/100%/$HOME",
    environment: { HOME: "/home/a b" },
    user: true,
  });
  assert.match(
    service!.content,
    /^ExecStart="\/opt\/my kept\/kept" --config "\/etc\/100%%\/\$\$HOME" apply web$/m,
  );
  assert.match(service!.content, /^Environment="HOME=\/home\/a b"$/m);
  // A user's systemd cannot see network-online.target.
  assert.doesNotMatch(service!.content, /network-online/);
});

Deno.test("systemdUnits() names the file, plan and key of a schedule systemd cannot express", () => {
  assert.throws(
    () =>
      systemdUnits([{ ...WEB, cron: "0 0 LW * *" }], {
        command: ["kept"],
        config: "/k",
        environment: {},
        user: false,
      }),
    {
      message:
        '/etc/kept/kept.yaml: plans.web.schedule "0 0 LW * *" cannot be written as a systemd OnCalendar: ' +
        'systemd has no nearest weekday ("LW")',
    },
  );
});
