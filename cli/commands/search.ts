// `dslc search FILE`: random search over the `let`s named in the file's `search { }` block, coarse to fine,
// in parallel worker processes. Thin: the search is in search/ (docs/search.md).
import * as os from "node:os";
import * as path from "node:path";
import { compileToRun } from "../compile-to-run.js";
import { readSource, UsageError, type CliIO } from "../io.js";
import { integerFlag, type ParsedArgs } from "../options.js";
import { setArgument } from "../set-flag.js";
import { borderWarnings } from "../../search/border.js";
import { writeSearchReport } from "../../search/report.js";
import { writeResults } from "../../search/results.js";
import { WorkerPool } from "../../search/runner.js";
import { searchSpace } from "../../search/space.js";
import { JsonlTrialStore, StudyLogError } from "../../search/store.js";
import { runStudy } from "../../search/study.js";
import { formatTable, LiveTable, metricText } from "../../search/table.js";
import type { TrialResult } from "../../search/plan.js";

/** The study's folder unless --out names another: beside the .dl file, named after it. */
export function defaultStudyDir(file: string): string {
  return path.join(path.dirname(path.resolve(file)), `${path.basename(file).replace(/\.dl$/, "")}.search`);
}

const trialFields = (e: TrialResult) => ({ stage: e.stage + 1, trial: e.trial + 1, params: e.params, metric: e.metric, seconds: Number(e.seconds.toFixed(3)), ...(e.failed ? { failed: e.failed } : {}) });
const event = (e: TrialResult) => ({ event: "trial", ...trialFields(e) });

export async function searchCommand(args: ParsedArgs, io: CliIO): Promise<number> {
  const [file] = args.positional;
  if (args.positional.length > 1) throw new UsageError("`dslc search` searches one file at a time");
  const json = args.flags.has("json");
  const workers = integerFlag(args, "workers", 1, 256) ?? os.availableParallelism();
  // Parallel trials on one lavapipe (software Vulkan) device contend for the same cores and run slower
  // than on the CPU backend; WebGPU is worth choosing where a real GPU is behind it.
  const backend = args.flags.get("backend") === "webgpu" ? "webgpu" : "cpu";
  const text = readSource(file!);
  const compiled = compileToRun(file!, {}, args, io);
  if (!compiled) return 1;
  const checked = compiled.frontend.check;
  if (!checked.search || !checked.searchSpace) {
    io.stderr(`error: \`${file}\` has no \`search\` block\n  = help: add one, e.g. \`search { lr ~ loguniform(1e-4, 1e-1)  trials 20  epochs 2 }\` (docs/search.md), or train once with \`dslc train ${file}\`\n`);
    return 1;
  }
  const space = searchSpace(checked.searchSpace);
  const outFlag = args.flags.get("out");
  const dir = typeof outFlag === "string" ? path.resolve(outFlag) : defaultStudyDir(file!);
  let store: JsonlTrialStore;
  try {
    store = new JsonlTrialStore(path.join(dir, "log.jsonl"), text, file!);
  } catch (error) {
    if (!(error instanceof StudyLogError)) throw error;
    io.stderr(`error[${error.code}]: ${error.message}\n  = help: ${error.help}\n`);
    return 1;
  }
  const already = store.results().length;
  const total = space.stages.reduce((n, s) => n + s.trials, 0);
  if (already > 0) io.stderr(`note: continuing the study in ${dir}: ${already} of ${total} trials finished before\n`);
  const pool = new WorkerPool({ text, path: path.resolve(file!), metric: space.metric, backend });
  const table = new LiveTable(space, io.stdout, io.isTTY && !json);
  // Ctrl-C ends the workers at once; their trials are not recorded and run again when the study resumes.
  // A second Ctrl-C exits without waiting for the files to be written.
  let stopping = false;
  const onSigint = () => {
    if (stopping) process.exit(130);
    stopping = true;
    pool.close();
  };
  process.on("SIGINT", onSigint);
  try {
    const study = await runStudy({
      space,
      store,
      run: pool.run,
      workers,
      stopped: () => stopping,
      onStage: (plan, done) => (json ? io.stdout(JSON.stringify({ event: "stage", stage: plan.stage + 1, trials: plan.trials, epochs: plan.epochs, finished: done }) + "\n") : table.stageStarted(plan, done)),
      onStart: () => table.trialStarted(),
      onTrial: (result) => (json ? io.stdout(JSON.stringify(event(result)) + "\n") : table.trialFinished(result)),
    });
    table.clear();
    const files = writeResults(dir, space, study.results);
    if (!study.complete) {
      io.stderr(`note: interrupted with ${study.results.length} of ${total} trials finished; the log is ${path.join(dir, "log.jsonl")}; continue with \`dslc search ${file}${typeof outFlag === "string" ? ` --out ${outFlag}` : ""}\`\n`);
      if (json) io.stdout(JSON.stringify({ event: "interrupted", finished: study.results.length, trials: total }) + "\n");
      return 130;
    }
    const best = study.best;
    const warnings = borderWarnings(space, best);
    const reportFile = path.join(dir, "report.html");
    await writeSearchReport(reportFile, `Search: ${path.basename(file!)}`, space, study.results, study.ranked, warnings);
    for (const w of warnings) {
      io.stderr(`warning[${w.code}]: ${w.message}\n  = help: ${w.help}\n`);
      if (json) io.stdout(JSON.stringify({ event: "warning", code: w.code, message: w.message }) + "\n");
    }
    const failed = study.results.filter((r) => r.metric === null);
    if (json) {
      io.stdout(JSON.stringify({ event: "done", best: best ? trialFields(best) : null, trials: study.results.length, failed: failed.length, log: store.file, csv: files.csv, jsonl: files.jsonl, report: reportFile }) + "\n");
    } else {
      io.stdout(`\nall ${study.results.length} trials, best first:\n${formatTable(space, [...study.ranked, ...failed])}`);
      io.stderr(`note: results in ${files.csv} and ${files.jsonl}; report in ${reportFile}\n`);
    }
    if (!best) {
      io.stderr(`error: every trial failed; the first reason: ${failed[0]?.failed ?? "none"}\n  = help: run one trial by hand with \`dslc train ${file}\` to see the problem\n`);
      return 1;
    }
    const command = `dslc train ${file} ${space.dimensions.map((d) => setArgument(d.name, best.params[d.name]!)).join(" ")}`;
    io.stderr(`note: the best trial (stage ${best.stage + 1}, trial ${best.trial + 1}) reached ${space.metric} ${metricText(best)}; train it with its values:\n  ${command}\n`);
    return 0;
  } finally {
    process.off("SIGINT", onSigint);
    pool.close();
  }
}
