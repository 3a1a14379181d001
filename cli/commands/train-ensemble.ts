// `dslc train` of a file with `ensemble = …`: the members' runs (their epoch lines as usual, or one line
// per finished member when independent members train in worker processes), then each member's and the
// ensemble's validation and test metrics side by side, as a table or as `--json` events
// (`{"event":"member",…}` per member, then `{"event":"ensemble",…}`).
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import type { TrainOverrides } from "../../compiler/check/train.js";
import { ensembleDir } from "../../runtime/ensemble/files.js";
import { ensembleRows, memberName, MemberFailed, trainEnsemble, type EnsembleReport, type MemberReport, type MemberResult } from "../../runtime/ensemble/train.js";
import { TrainingAborted, type DoneReport, type TrainOptions } from "../../runtime/loop.js";
import type { Program } from "../../runtime/program.js";
import type { ReportOptions } from "../../runtime/report/report.js";
import type { CliIO } from "../io.js";
import { chooseBackend, type MemberJob, type MemberJobResult } from "../workers/member-job.js";
import { ProcessPool, workerPath } from "../workers/pool.js";

const MEMBER_WORKER = workerPath(import.meta.url, "../workers/member-worker");

/** Ctrl-C while members trained in worker processes: the workers were ended, nothing was kept. */
export class EnsembleInterrupted extends Error {}

export interface EnsembleRun {
  file: string;
  options: TrainOptions;
  /** --backend: undefined chooses WebGPU when an adapter exists, else the CPU. */
  backend: string | undefined;
  adapter: string | undefined;
  report: ReportOptions | undefined;
  json: boolean;
  io: CliIO;
  /** Clears the progress bar before a line is printed. */
  clear: () => void;
  /** The file's text and the overrides it was compiled with, for the worker processes to compile it alike. */
  text: string;
  overrides: TrainOverrides;
  /** Worker processes for independent members; 1 trains them one after another in this process. */
  workers: number;
}

export async function runEnsemble(program: Program, run: EnsembleRun): Promise<{ done: DoneReport; ensemble: EnsembleReport }> {
  const { io, json } = run;
  const withBackend = chooseBackend(run.backend, run.adapter, (note) => io.stderr(note));
  const spec = program.ensemble!;
  const onMemberStart = (member: number, members: number) => {
    run.clear();
    if (json) io.stdout(JSON.stringify({ event: "member_start", member: member + 1, members, seed: program.loop.seed + member }) + "\n");
    else io.stdout(`member ${member + 1} of ${members} (seed ${program.loop.seed + member})\n`);
  };
  const parallel = spec.kind === "independent" && run.workers > 1;
  const started = performance.now();
  const onMember = (m: MemberReport) => {
    if (json) io.stdout(JSON.stringify({ event: "member", ...m, member: m.member + 1 }) + "\n");
    else if (parallel) {
      run.clear();
      io.stdout(`${memberName(program, m.member)} done: ${memberSummary(m)} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
    }
  };
  const pool = parallel ? new ProcessPool<MemberJob, MemberJobResult>(MEMBER_WORKER) : undefined;
  // Ctrl-C ends the workers at once (their members are lost); a second Ctrl-C exits without waiting.
  let stopping = false;
  const onSigint = () => {
    if (stopping) process.exit(130);
    stopping = true;
    pool?.close();
  };
  if (pool) process.on("SIGINT", onSigint);
  const notes = new Set<string>();
  const runMember = async (member: number, record: boolean): Promise<MemberResult> => {
    if (json) io.stdout(JSON.stringify({ event: "member_start", member: member + 1, members: spec.kind === "independent" ? spec.members : 0, seed: program.loop.seed + member }) + "\n");
    const job: MemberJob = { text: run.text, path: path.resolve(run.file), overrides: run.overrides, member, backend: run.backend, adapter: run.adapter, record };
    const outcome = await pool!.run(job);
    if (stopping) throw new EnsembleInterrupted();
    if (!outcome.ok) throw new MemberFailed(member, program.loop.seed + member, `${memberName(program, member)} failed: ${outcome.crashed}`);
    const answer = outcome.result;
    if (!answer.ok) {
      if (answer.code) throw new TrainingAborted(answer.reason, answer.help ?? "", answer.epoch ?? 0, answer.code, answer.step);
      throw new MemberFailed(member, program.loop.seed + member, `${memberName(program, member)} failed: ${answer.reason}`);
    }
    for (const note of answer.notes) if (!notes.has(note)) notes.add(note) && io.stderr(note);
    for (const w of answer.warnings) run.options.onWarning?.({ ...w, message: `${memberName(program, member)}: ${w.message}` });
    return answer.result;
  };
  let result: { done: DoneReport; ensemble: EnsembleReport };
  try {
    result = await trainEnsemble(program, withBackend, { train: run.options, onMemberStart, onMember, dir: ensembleDir(run.file), ...(run.report && { report: run.report }), ...(pool && { runMember }) });
  } catch (error) {
    // Promise.all gives the first failure; the members still training are not waited for.
    if (stopping) throw new EnsembleInterrupted();
    throw error;
  } finally {
    pool?.close();
    process.off("SIGINT", onSigint);
  }
  run.clear();
  const e = result.ensemble;
  if (json) {
    io.stdout(JSON.stringify({ event: "ensemble", kind: e.kind, members: e.members.length, val: e.ensemble.val ?? null, test: e.ensemble.test ?? null, mean_member: e.mean_member, members_file: e.members_file ?? null, seconds: e.seconds }) + "\n");
  } else if (e.members.length === 0) {
    io.stderr(`note: the run stopped before the first cycle ended (steps ${spec.kind === "snapshot" ? spec.cycleEnds.join(", ") : ""}): no snapshot was kept, so there is no ensemble\n`);
  } else {
    io.stdout(`ensemble: ${e.kind === "snapshot" ? `the last ${e.members.length} of ${spec.kind === "snapshot" ? spec.cycleEnds.length : e.members.length} cycle-end snapshots` : `${e.members.length} independent members`}, predicted probabilities averaged\n`);
    io.stdout(formatTable(ensembleRows(e)));
    if (e.members_file) io.stderr(`note: members written to ${e.members_file.replace(/members\.json$/, "")}\n`);
  }
  return result;
}

function memberSummary(m: MemberReport): string {
  const parts: string[] = [];
  for (const split of ["val", "test"] as const) {
    const metrics = m[split];
    if (metrics?.accuracy !== undefined) parts.push(`${split}_acc ${(metrics.accuracy * 100).toFixed(2)}%`);
    else if (metrics?.loss !== undefined) parts.push(`${split}_loss ${metrics.loss.toFixed(4)}`);
  }
  return parts.join(", ") || `${m.step} steps`;
}

function formatTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ").trimEnd() + "\n").join("");
}
