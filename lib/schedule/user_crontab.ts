/**
 * A user's crontab through the `crontab` program: `crontab -l` reads it, `crontab -` replaces it. No
 * crontab yet reads as empty.
 *
 * @module
 */

import { UserError } from "../errors.ts";

/** Reads and replaces a crontab. */
export interface CrontabStore {
  read(): Promise<string>;
  write(text: string): Promise<void>;
}

/** The invoking user's crontab, through the `crontab` program found on PATH. */
export const userCrontab: CrontabStore = {
  async read() {
    const { code, stdout, stderr } = await crontab(["-l"]);
    if (code === 0) return stdout;
    // "no crontab for alice": cronie and Vixie cron say so with exit code 1.
    if (/no crontab/i.test(stderr)) return "";
    throw new UserError(`Cannot read your crontab: crontab -l failed: ${firstLine(stderr, code)}`);
  },
  async write(text) {
    const { code, stderr } = await crontab(["-"], text);
    if (code !== 0) {
      throw new UserError(`Cannot write your crontab: crontab - failed: ${firstLine(stderr, code)}`);
    }
  },
};

async function crontab(
  args: string[],
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("crontab", {
      args,
      stdin: input === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    throw new UserError(`Cannot run crontab: ${error instanceof Error ? error.message : String(error)}`, {
      hint: "install cron (cronie or cron), or use --systemd",
    });
  }
  if (input !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(input));
    await writer.close();
  }
  const output = await child.output();
  const decoder = new TextDecoder();
  return { code: output.code, stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) };
}

function firstLine(stderr: string, code: number): string {
  return stderr.trim().split("\n")[0] || `exit code ${code}`;
}
