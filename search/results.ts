// The results beside the log, for other tools: CSV (one row per trial, one column per hyperparameter) and
// JSON lines (the log's trial lines, sorted, numbered from 1 as the tables are). Rewritten whole and atomically whenever the search stops.
import { writeFileAtomic } from "../runtime/atomic-write.js";
import type { TrialResult } from "./plan.js";
import type { SearchSpace } from "./space.js";

function csvCell(value: unknown): string {
  const text = value === null || value === undefined ? "" : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function resultsCsv(space: SearchSpace, results: readonly TrialResult[]): string {
  const header = ["stage", "trial", ...space.dimensions.map((d) => d.name), space.metric, "seconds", "failed"];
  const rows = results.map((r) => [r.stage + 1, r.trial + 1, ...space.dimensions.map((d) => r.params[d.name]), r.metric, r.seconds, r.failed]);
  return [header, ...rows].map((cells) => cells.map(csvCell).join(",")).join("\n") + "\n";
}

export function writeResults(dir: string, space: SearchSpace, results: readonly TrialResult[]): { csv: string; jsonl: string } {
  const files = { csv: `${dir}/results.csv`, jsonl: `${dir}/results.jsonl` };
  writeFileAtomic(files.csv, resultsCsv(space, results));
  writeFileAtomic(files.jsonl, results.map((r) => JSON.stringify({ ...r, stage: r.stage + 1, trial: r.trial + 1 }) + "\n").join(""));
  return files;
}
