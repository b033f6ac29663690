/**
 * The benchmark's results as data, and their rendering as Markdown: one table per tool and the ratios
 * of kept against each other tool. The same text is printed and, with `--write-results`, saved to
 * bench/RESULTS.md.
 *
 * @module
 */

import { formatBytes as formatSize } from "../lib/plan/units.ts";
import type { Measurement } from "./measure.ts";
import type { ToolName } from "./tools.ts";

/** The measured steps, in the order they run. */
export type StepName = "initial" | "unchanged" | "snapshots" | "changed" | "restore" | "check" | "prune";

/** Every step with its label. */
export const STEPS: readonly { name: StepName; label: string }[] = [
  { name: "initial", label: "initial backup" },
  { name: "unchanged", label: "no-change backup" },
  { name: "snapshots", label: "list snapshots" },
  { name: "changed", label: "backup after 1% changed" },
  { name: "restore", label: "full restore" },
  { name: "check", label: "check, reading all data" },
  { name: "prune", label: "forget + prune, 5 snapshots to 1" },
];

/** The label of a step, e.g. "initial backup". */
export function stepLabel(step: StepName): string {
  return STEPS.find((entry) => entry.name === step)!.label;
}

/** One step of one tool. */
export interface StepResult {
  step: StepName;
  /** corpus bytes at this step: the numerator of MB/s */
  corpusBytes: number;
  measurement?: Measurement;
  /** repository size after the step */
  repoBytes?: number;
  /** why the step does not count: a failing exit code, a wrong restore, or a skip */
  failure?: string;
  /** extra facts, e.g. the restore verification */
  note?: string;
}

/** Everything measured for one tool. */
export interface ToolReport {
  name: ToolName;
  version?: string;
  settings?: string;
  /** set when the tool could not be found, installed or initialised */
  unavailable?: string;
  steps: StepResult[];
}

/** The machine the benchmark ran on. */
export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryBytes: number;
  os: string;
  filesystem: string;
  /** 1-minute load average when the run started and when it ended: other work competing for the CPUs */
  loadAverage: { start: number; end: number };
}

/** A whole run, ready to render. */
export interface RunReport {
  commandLine: string;
  date: string;
  machine: MachineInfo;
  /** files and bytes per corpus group */
  corpusGroups: { group: string; files: number; bytes: number }[];
  corpusFiles: number;
  corpusBytes: number;
  corpusAction: string;
  /** more about the corpus, a line each (files left out of a real tree's copy) */
  corpusNotes?: string[];
  /**
   * Set for a corpus other than the sized one (`--files`, `--tree`): the title of its section of
   * RESULTS.md, rendered by {@link renderSection}
   */
  section?: string;
  /** one line describing the 1% change, when that step ran */
  changeSummary?: string;
  /** each step's median round, per tool (see {@link combineRounds}) */
  tools: ToolReport[];
  /** every round's reports, in the order of `tools` */
  rounds: ToolReport[][];
  /** how the measurements were taken */
  conditions: string[];
  /** free text given with --note */
  note?: string;
  totalSeconds: number;
}

const MiB = 1024 * 1024;

/**
 * Per tool, each step as measured in its median round by wall time (the lower middle of an even number);
 * a step that failed in any round is shown with that failure, since a tool that fails sometimes fails.
 */
export function combineRounds(rounds: ToolReport[][]): ToolReport[] {
  return rounds[0]!.map((first, tool) => {
    // A tool that could not be opened in the first round may have been in a later one.
    const base = rounds.map((round) => round[tool]).find((report) => report && !report.unavailable) ?? first;
    return {
      ...base,
      steps: base.steps.map((step, index) => {
        const results = rounds.map((round) => stepOf(round, tool, index));
        const failed = results.find((result) => result !== undefined && !succeeded(result));
        if (failed) return failed;
        const measured = results.filter(succeeded);
        if (measured.length < results.length) {
          return { step: step.step, corpusBytes: step.corpusBytes, failure: "not measured in every round" };
        }
        const sorted = measured.toSorted((a, b) => a.measurement.wallSeconds - b.measurement.wallSeconds);
        return sorted[Math.floor((sorted.length - 1) / 2)]!;
      }),
    };
  });
}

/** Step `index` of tool `tool` in one round; undefined when the tool could not run in that round. */
function stepOf(round: readonly ToolReport[], tool: number, index: number): StepResult | undefined {
  return round[tool]?.steps[index];
}

/** Renders the whole report as Markdown. */
export function renderMarkdown(report: RunReport): string {
  const lines: string[] = ["# kept benchmark results", ""];
  const preliminary = preliminaryReason(report);
  if (preliminary) lines.push(`> **Preliminary run without kept:** ${preliminary}`, "");
  if (report.note) lines.push(`> ${report.note}`, "");
  lines.push(...renderSetup(report), "");
  if (report.rounds.length > 1) {
    lines.push(
      `${report.rounds.length} rounds, each from empty repositories. The tables show each step as measured ` +
        "in its median round (by wall time); each ratio is the median of the rounds' ratios, with their " +
        "range in brackets.",
      "",
    );
  }
  lines.push(...renderCorpus(report, "##"), "");
  lines.push("## How it was measured", "", ...report.conditions.map((line) => `- ${line}`), "");
  lines.push("## Results", "");
  for (const tool of report.tools) lines.push(...renderTool(tool), "");
  lines.push(...renderRatios(report));
  return lines.join("\n").trimEnd() + "\n";
}

/** Why kept's figures are missing or incomplete, or undefined when kept completed every step. */
export function preliminaryReason(report: RunReport): string | undefined {
  const kept = report.tools.find((tool) => tool.name === "kept");
  if (kept === undefined) return "kept was not selected (--tools), so there are no kept figures or ratios.";
  if (kept.unavailable) {
    return `kept could not run: ${kept.unavailable}. The other tools' figures are real.`;
  }
  const failed = kept.steps.filter((step) => step.failure !== undefined);
  if (failed.length === 0) return undefined;
  return `kept failed ${failed.length} of ${kept.steps.length} steps (first: ${failed[0]!.failure}). ` +
    "Its figures and ratios are missing; the other tools' figures are real.";
}

function renderSetup(report: RunReport): string[] {
  const { machine } = report;
  const tools = report.tools.map((tool) => tool.version ?? `${tool.name} (unavailable)`).join("; ");
  return [
    `- Command: \`${report.commandLine}\``,
    `- Date: ${report.date} (whole run ${report.totalSeconds.toFixed(0)} s)`,
    `- Machine: ${machine.cpus} CPUs (\`nproc\`)${machine.cpuModel ? ` ${machine.cpuModel}` : ""}, ${
      (machine.memoryBytes / 1024 ** 3).toFixed(1)
    } GiB memory, ${machine.os}, work folder on ${machine.filesystem}`,
    `- Load average (1 min): ${machine.loadAverage.start.toFixed(2)} before the run${
      busy(machine) ? " — other processes competed for the CPUs, so absolute figures are noisy" : ""
    }; ${machine.loadAverage.end.toFixed(2)} at the end, which counts the run's own last steps`,
    `- Tools: ${tools}`,
  ];
}

/** Whether other work kept the CPUs busy when the run started (at the end, the load is mostly the run's). */
function busy(machine: MachineInfo): boolean {
  return machine.loadAverage.start > machine.cpus / 2;
}

/**
 * A run on another corpus than the sized one (`--files`, `--tree`) as one section of RESULTS.md, to stand
 * beside the main report: `## title`, the run's setup and corpus, every tool's table and the ratios. How
 * it was measured is the main report's.
 */
export function renderSection(report: RunReport, title: string): string {
  const lines: string[] = [`## ${title}`, ""];
  const preliminary = preliminaryReason(report);
  if (preliminary) lines.push(`> **Preliminary run without kept:** ${preliminary}`, "");
  if (report.note) lines.push(`> ${report.note}`, "");
  lines.push(...renderSetup(report), "");
  lines.push(
    "Measured as the main report says (How it was measured)" +
      (report.rounds.length > 1
        ? `; ${report.rounds.length} rounds: each step's median round, each ratio the median of the rounds' ` +
          "ratios with their range."
        : "."),
    "",
  );
  lines.push(...renderCorpus(report, "###"), "");
  for (const tool of report.tools) lines.push(...renderTool(tool), "");
  lines.push(...renderRatios(report));
  return lines.join("\n").trimEnd() + "\n";
}

function renderCorpus(report: RunReport, heading: string): string[] {
  const lines = [
    `${heading} Corpus`,
    "",
    `${report.corpusFiles} files, ${formatBytes(report.corpusBytes)} (${report.corpusAction}).`,
    "",
    "| part | files | size |",
    "|---|--:|--:|",
    ...report.corpusGroups.map((entry) =>
      `| ${entry.group} | ${entry.files} | ${formatBytes(entry.bytes)} |`
    ),
  ];
  for (const note of report.corpusNotes ?? []) lines.push("", `${note}.`);
  if (report.changeSummary) lines.push("", `1% change before step 3: ${report.changeSummary}.`);
  return lines;
}

function renderTool(tool: ToolReport): string[] {
  const title = `### ${tool.version ?? tool.name}`;
  if (tool.unavailable) return [title, "", `Not measured: ${tool.unavailable}.`];
  const lines = [title, ""];
  if (tool.settings) lines.push(`Settings: ${tool.settings}.`, "");
  lines.push(
    "| step | wall s | MB/s | CPU s | peak RSS MiB | repo MiB | note |",
    "|---|--:|--:|--:|--:|--:|---|",
  );
  for (const step of tool.steps) lines.push(renderStepRow(step));
  return lines;
}

function renderStepRow(step: StepResult): string {
  const m = step.measurement;
  const ok = step.failure === undefined && m !== undefined;
  const cells = [
    stepLabel(step.step),
    ok ? m.wallSeconds.toFixed(2) : "—",
    ok ? (step.corpusBytes / 1e6 / m.wallSeconds).toFixed(1) : "—",
    ok && m.cpuSeconds !== undefined ? m.cpuSeconds.toFixed(2) : "—",
    ok && m.peakRssBytes !== undefined ? (m.peakRssBytes / MiB).toFixed(0) : "—",
    step.repoBytes !== undefined ? (step.repoBytes / MiB).toFixed(1) : "—",
    escapeCell([step.failure, step.note].filter((text) => text !== undefined).join("; ")),
  ];
  return `| ${cells.join(" | ")} |`;
}

function renderRatios(report: RunReport): string[] {
  const keptIndex = report.tools.findIndex((tool) => tool.name === "kept");
  const kept = report.tools[keptIndex];
  const others = report.tools.flatMap((tool, index) =>
    tool.name !== "kept" && !tool.unavailable ? [{ tool, index }] : []
  );
  if (kept === undefined || others.length === 0) {
    return ["### Ratios", "", "No ratios: they need kept and at least one other tool in the same run."];
  }
  const header = others.flatMap(({ tool }) => [`time ÷ ${tool.name}`, `peak RSS ÷ ${tool.name}`]);
  const lines = [
    "### Ratios: kept ÷ other tool (below 1 means kept is faster, leaner or smaller)",
    "",
    `| step | ${header.join(" | ")} |`,
    `|---|${header.map(() => "--:").join("|")}|`,
  ];
  kept.steps.forEach((step, stepIndex) => {
    const cells = others.flatMap(({ index }) => {
      const pairs = report.rounds.map((r) => [stepOf(r, keptIndex, stepIndex), stepOf(r, index, stepIndex)]);
      return [
        roundRatios(pairs, (m) => m.wallSeconds),
        roundRatios(pairs, (m) => m.peakRssBytes),
      ];
    });
    lines.push(`| ${stepLabel(step.step)} | ${cells.join(" | ")} |`);
  });
  const sizes = others.map(({ tool }) => `kept ÷ ${tool.name} ${repoRatio(kept, tool)}`).join(", ");
  lines.push("", `Final repository size: ${sizes}.`);
  return lines;
}

/** The median of each round's ratio, and their range when there are several rounds. */
function roundRatios(
  pairs: (StepResult | undefined)[][],
  value: (m: Measurement) => number | undefined,
): string {
  const ratios = pairs.map(([ours, theirs]) => ratio(ours, theirs, value));
  if (ratios.some((r) => r === undefined)) return "n/a";
  const sorted = (ratios as number[]).toSorted((a, b) => a - b);
  const median = sorted.length % 2 === 1
    ? sorted[(sorted.length - 1) / 2]!
    : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  if (sorted.length === 1) return median.toFixed(2);
  return `${median.toFixed(2)} (${sorted[0]!.toFixed(2)}-${sorted.at(-1)!.toFixed(2)})`;
}

function ratio(
  ours: StepResult | undefined,
  theirs: StepResult | undefined,
  value: (m: Measurement) => number | undefined,
): number | undefined {
  const a = succeeded(ours) ? value(ours.measurement) : undefined;
  const b = succeeded(theirs) ? value(theirs.measurement) : undefined;
  return a !== undefined && b !== undefined && b > 0 ? a / b : undefined;
}

function succeeded(step: StepResult | undefined): step is StepResult & { measurement: Measurement } {
  return step !== undefined && step.failure === undefined && step.measurement !== undefined;
}

function repoRatio(kept: ToolReport, other: ToolReport): string {
  const last = (tool: ToolReport) => tool.steps.findLast((step) => step.repoBytes !== undefined);
  const ours = last(kept);
  const theirs = last(other);
  if (kept.unavailable || !succeeded(ours) || !succeeded(theirs) || !theirs.repoBytes) return "n/a";
  return (ours.repoBytes! / theirs.repoBytes).toFixed(2);
}

function escapeCell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

/** `1.5 GiB`, `210.3 MiB`, `12.0 KiB`, `17 B`: one decimal, so that the report's columns line up. */
export function formatBytes(bytes: number): string {
  return formatSize(bytes, 1);
}

/** One line for the console after a step, e.g. `restic: initial backup: 3.21 s, 65.5 MB/s, …`. */
export function stepLine(tool: ToolName, step: StepResult): string {
  const head = `${tool}: ${stepLabel(step.step)}`;
  const m = step.measurement;
  if (step.failure !== undefined || m === undefined) return `${head}: ${step.failure ?? "skipped"}`;
  const parts = [
    `${m.wallSeconds.toFixed(2)} s`,
    `${(step.corpusBytes / 1e6 / m.wallSeconds).toFixed(1)} MB/s`,
  ];
  if (m.cpuSeconds !== undefined) parts.push(`CPU ${m.cpuSeconds.toFixed(2)} s`);
  if (m.peakRssBytes !== undefined) parts.push(`peak RSS ${(m.peakRssBytes / MiB).toFixed(0)} MiB`);
  if (step.repoBytes !== undefined) parts.push(`repo ${formatBytes(step.repoBytes)}`);
  if (step.note) parts.push(step.note);
  return `${head}: ${parts.join(", ")}`;
}
