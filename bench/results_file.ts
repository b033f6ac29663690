/**
 * bench/RESULTS.md as a main report and sections: the main report (the sized corpus, `# kept benchmark
 * results` with its own `## Corpus`, `## How it was measured` and `## Results`) comes first; every other
 * `## ` heading starts a section of its own (`--files`, `--tree`, S3, reconcile), which a later run
 * replaces by title while the others stay.
 *
 * @module
 */

/** The `## ` headings of the main report itself (report.ts, renderMarkdown). */
const MAIN_HEADINGS = new Set(["Corpus", "How it was measured", "Results"]);
/** Sections that always come last, in this order: a new corpus section goes before them. */
const TRAILING = ["S3", "Reconcile"];

/** A section's title: its `## ` heading without the hashes. */
function titleOf(section: string): string {
  return /^## (.*)$/m.exec(section)?.[1]?.trim() ?? "";
}

/** Splits a results file into its main report and its sections (each from its `## ` heading). */
export function splitResults(text: string): { main: string; sections: string[] } {
  const lines = text.split("\n");
  const starts: number[] = [];
  let fenced = false;
  lines.forEach((line, i) => {
    if (line.startsWith("```")) fenced = !fenced;
    const heading = !fenced && /^## (.*)$/.exec(line)?.[1]?.trim();
    if (heading && !MAIN_HEADINGS.has(heading)) starts.push(i);
  });
  const cut = (from: number, to: number) => lines.slice(from, to).join("\n").trim() + "\n";
  return {
    main: starts.length === 0 ? cut(0, lines.length) : cut(0, starts[0]!),
    sections: starts.map((start, i) => cut(start, starts[i + 1] ?? lines.length)),
  };
}

/**
 * The results file with `update` applied: `main` replaces the main report; each of `sections` replaces the
 * section of the same title, or is added (before the S3 and reconcile sections); the rest stays as it was.
 */
export function mergeResults(
  existing: string | undefined,
  update: { main?: string; sections: string[] },
): string {
  const old = existing === undefined
    ? { main: "# kept benchmark results\n", sections: [] }
    : splitResults(existing);
  const sections = [...old.sections];
  for (const section of update.sections) {
    const title = titleOf(section);
    const at = sections.findIndex((old) => titleOf(old) === title);
    if (at >= 0) {
      sections[at] = section.trim() + "\n";
      continue;
    }
    const trailing = (text: string) => TRAILING.some((name) => titleOf(text).startsWith(name));
    const before = trailing(section) ? -1 : sections.findIndex(trailing);
    sections.splice(before < 0 ? sections.length : before, 0, section.trim() + "\n");
  }
  return [(update.main ?? old.main).trim() + "\n", ...sections].join("\n");
}
