// Training an ensemble (the `ensemble` setting, Program.ensemble). `independent`: k normal runs, one after
// another in this process or each in a worker process (EnsembleOptions.runMember), with seeds seed,
// seed + 1, … on the base seed's data split (so every member is evaluated on the same held-out examples). `snapshot`: one run that saves the weights after each cycle end
// the compiler worked out, then restores each of the last k and predicts with it. Either way each member's
// eval-mode outputs on the validation and test splits are turned into probabilities by the loss's rule and
// averaged (average.ts), and every member and the ensemble are measured the same way.
import { performance } from "node:perf_hooks";
import { prepareData } from "../data/pipeline.js";
import type { Dataset } from "../data/sources.js";
import { runTraining, TrainingAborted, type DoneReport, type TrainingBackend, type TrainOptions } from "../loop.js";
import type { Program } from "../program.js";
import { HistoryRecorder, type RunHistory } from "../report/history.js";
import { writeReport, type ReportOptions } from "../report/report.js";
import { firstImageLayer, savedValues } from "../report/weights.js";
import { averagePredictions, predictionMetrics, predictionRule, toPredictions, type PredictionMetrics } from "./average.js";
import { modelSignature } from "../checkpoint/state.js";
import { weightsByName, writeMember, writeMembersFile } from "./files.js";

/** Runs `use` with a fresh backend for `program` (its seed initializes it), released afterwards. */
export type WithBackend = <T>(program: Program, use: (backend: TrainingBackend) => Promise<T>) => Promise<T>;

export interface SplitMetrics {
  val?: PredictionMetrics;
  test?: PredictionMetrics;
}

export interface MemberReport extends SplitMetrics {
  /** 0-based. */
  member: number;
  seed: number;
  /** Optimizer steps behind the member's weights (a snapshot's cycle end, or the member's run). */
  step: number;
  /** The member's weights, when the ensemble's folder was written. */
  file?: string;
}

export interface EnsembleReport {
  kind: "independent" | "snapshot";
  members: MemberReport[];
  /** The averaged predictions' metrics. */
  ensemble: SplitMetrics;
  /** The mean over members of each metric: what the ensemble is compared with. */
  mean_member: SplitMetrics;
  /** members.json, when the folder was written. */
  members_file?: string;
  seconds: number;
}

export interface EnsembleOptions {
  /** Callbacks for every run (each member's, or the snapshot run). */
  train?: TrainOptions;
  /** Called before each independent member's run (0-based), and after each member is measured. */
  onMemberStart?: (member: number, members: number) => void;
  onMember?: (member: MemberReport) => void;
  /** Where to write the members (ensembleDir of the .dl file); nothing is written without it. */
  dir?: string;
  /** The HTML report: of the snapshot run, or of the last independent member's run, with the ensemble's table. */
  report?: ReportOptions;
  /**
   * Trains independent member `member` elsewhere (a worker process: cli/workers/member-job.ts), as
   * trainMember would here, recording its history when `record`. With it every member is asked for at once
   * (the runner decides how many run together), and a rejection fails the ensemble.
   */
  runMember?: (member: number, record: boolean) => Promise<MemberResult>;
}

interface Measured {
  report: MemberReport;
  predictions: { val?: Float64Array; test?: Float64Array };
  weights: Map<string, Float32Array>;
}

/** An independent member's run and measurements: plain data, so that a worker process can send it. */
export interface MemberResult extends Measured {
  done: DoneReport;
  /** The run's history and the weights the report draws, when asked for (the member the report shows). */
  history?: RunHistory;
  reportWeights?: Map<number, Float32Array>;
}

/** Independent member `member` (0-based): the program with its seed, trained on the base seed's data split. */
export function memberProgram(program: Program, member: number): Program {
  return { ...program, loop: { ...program.loop, seed: program.loop.seed + member, dataSeed: program.loop.seed } };
}

/**
 * Trains and measures independent member `member` of `program` (the ensemble's program, not the member's).
 * A member whose run aborts throws the TrainingAborted with the member named in its message.
 */
export async function trainMember(program: Program, member: number, withBackend: WithBackend, train: TrainOptions, record: boolean): Promise<MemberResult> {
  const p = memberProgram(program, member);
  const data = prepareData(program.data, program.loop.seed);
  const recorder = record ? new HistoryRecorder(program) : undefined;
  try {
    return await withBackend(p, async (backend) => {
      const done = await runTraining(p, backend, recorder ? recorder.wrap(train) : train);
      let reportWeights: Map<number, Float32Array> | undefined;
      if (recorder) {
        recorder.history.done = done;
        if (firstImageLayer(program)) reportWeights = savedValues(await backend.saveWeights());
      }
      const measured = await measureMember(program, data, backend, member, p.loop.seed, done.steps);
      return { ...measured, done, ...(recorder && { history: recorder.history }), ...(reportWeights && { reportWeights }) };
    });
  } catch (error) {
    if (!(error instanceof TrainingAborted)) throw error;
    throw new TrainingAborted(`${memberName(program, member)}: ${error.message}`, error.help, error.epoch, error.code, error.step);
  }
}

/** "member 2 of 3 (seed 1)", for messages about independent member `member` (0-based). */
export function memberName(program: Program, member: number): string {
  const members = program.ensemble?.kind === "independent" ? program.ensemble.members : member + 1;
  return `member ${member + 1} of ${members} (seed ${program.loop.seed + member})`;
}

/** An independent member that failed other than by an abort (its worker process died). */
export class MemberFailed extends Error {
  constructor(
    readonly member: number,
    readonly seed: number,
    message: string,
  ) {
    super(message);
  }
}

async function measureMember(program: Program, data: ReturnType<typeof prepareData>, backend: TrainingBackend, member: number, seed: number, step: number): Promise<Measured> {
  const rule = predictionRule(program);
  const outputSize = program.nodes[program.output]!.shape.slice(1).reduce<number>((a, d) => a * (d as number), 1);
  const report: MemberReport = { member, seed, step };
  const predictions: Measured["predictions"] = {};
  for (const split of ["val", "test"] as const) {
    const set: Dataset | undefined = data[split];
    if (!set) continue;
    predictions[split] = toPredictions(rule, await backend.predict(set), outputSize);
    report[split] = predictionMetrics(rule, program.task, predictions[split]!, set);
  }
  return { report, predictions, weights: weightsByName(program, await backend.saveWeights()) };
}

export async function trainEnsemble(program: Program, withBackend: WithBackend, options: EnsembleOptions = {}): Promise<{ done: DoneReport; ensemble: EnsembleReport }> {
  const spec = program.ensemble;
  if (!spec) throw new Error("internal: trainEnsemble of a program without an ensemble");
  const started = performance.now();
  // Every member is evaluated on the splits of the base seed, which independent members also train on.
  const data = prepareData(program.data, program.loop.seed);
  const rule = predictionRule(program);
  let history: RunHistory | undefined;
  let reportWeights: Map<number, Float32Array> | undefined;
  const members: Measured[] = [];
  let done: DoneReport;
  if (spec.kind === "independent") {
    const last = spec.members - 1;
    const record = options.report !== undefined;
    let results: MemberResult[];
    if (options.runMember) {
      const runMember = options.runMember;
      // Reported as they finish; kept in member order, so the table and files do not depend on the finishing order.
      results = await Promise.all(
        Array.from({ length: spec.members }, (_, i) =>
          runMember(i, record && i === last).then((result) => {
            options.onMember?.(result.report);
            return result;
          }),
        ),
      );
    } else {
      results = [];
      for (let i = 0; i < spec.members; i++) {
        options.onMemberStart?.(i, spec.members);
        const result = await trainMember(program, i, withBackend, options.train ?? {}, record && i === last);
        // Ctrl-C stops the ensemble with the member it interrupted (its run wrote a checkpoint, if it has the directive).
        if (result.done.interrupted) return { done: result.done, ensemble: { kind: spec.kind, members: [], ensemble: {}, mean_member: {}, seconds: (performance.now() - started) / 1000 } };
        results.push(result);
        options.onMember?.(result.report);
      }
    }
    members.push(...results);
    done = results[last]!.done;
    history = results[last]!.history;
    reportWeights = results[last]!.reportWeights;
  } else {
    const recorder = options.report ? new HistoryRecorder(program) : undefined;
    history = recorder?.history;
    done = await withBackend(program, async (backend) => {
      const keep = spec.last ?? spec.cycleEnds.length;
      const kept: { step: number; weights: unknown }[] = [];
      // Only the last `keep` snapshots are averaged, so older ones are dropped as newer arrive.
      const take = (step: number, weights: unknown) => {
        kept.push({ step, weights });
        if (kept.length > keep) kept.shift();
      };
      const snapshots = { at: new Set(spec.cycleEnds), take };
      const train = { ...options.train, snapshots };
      const result = await runTraining(program, backend, recorder ? recorder.wrap(train) : train);
      if (recorder) {
        recorder.history.done = result;
        if (firstImageLayer(program)) reportWeights = savedValues(await backend.saveWeights());
      }
      if (result.interrupted) return result;
      const final = await backend.saveWeights();
      for (const [i, snapshot] of kept.entries()) {
        backend.restoreWeights(snapshot.weights);
        const measured = await measureMember(program, data, backend, i, program.loop.seed, snapshot.step);
        members.push(measured);
        options.onMember?.(measured.report);
      }
      backend.restoreWeights(final);
      return result;
    });
  }
  const ensemble: SplitMetrics = {};
  const meanMember: SplitMetrics = {};
  for (const split of ["val", "test"] as const) {
    const set = data[split];
    if (!set || members.length === 0) continue;
    ensemble[split] = predictionMetrics(rule, program.task, averagePredictions(members.map((m) => m.predictions[split]!)), set);
    meanMember[split] = meanOf(members.map((m) => m.report[split]!));
  }
  let membersFile: string | undefined;
  if (options.dir && members.length > 0) {
    for (const m of members) m.report.file = writeMember(program, options.dir, m.report.member, m.weights, m.report);
    membersFile = writeMembersFile(options.dir, {
      format: "dslc-ensemble/1",
      model: program.model,
      model_hash: modelSignature(program).hash,
      kind: spec.kind,
      prediction: rule,
      members: members.map((m) => ({ file: `member-${m.report.member}.safetensors`, seed: m.report.seed, step: m.report.step })),
    });
  }
  const report: EnsembleReport = { kind: spec.kind, members: members.map((m) => m.report), ensemble, mean_member: meanMember, ...(membersFile && { members_file: membersFile }), seconds: (performance.now() - started) / 1000 };
  if (options.report && history) await writeReport(program, history, reportWeights, { ...options.report, ensemble: ensembleTable(report) });
  return { done, ensemble: report };
}

function meanOf(metrics: PredictionMetrics[]): PredictionMetrics {
  const mean = (key: keyof PredictionMetrics) => (metrics.every((m) => m[key] !== undefined) ? metrics.reduce((a, m) => a + m[key]!, 0) / metrics.length : undefined);
  const out: PredictionMetrics = {};
  for (const key of ["loss", "accuracy", "top5"] as const) {
    const value = mean(key);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** The rows of the side-by-side table: one per member, the members' mean, and the ensemble. */
export function ensembleRows(report: EnsembleReport): string[][] {
  const splits = (["val", "test"] as const).filter((s) => report.ensemble[s]);
  const keys = (["accuracy", "top5", "loss"] as const).filter((k) => splits.some((s) => report.ensemble[s]![k] !== undefined));
  const name = (s: string, k: string) => `${s}_${k === "accuracy" ? "acc" : k}`;
  const cell = (m: SplitMetrics, s: "val" | "test", k: (typeof keys)[number]) => {
    const v = m[s]?.[k];
    return v === undefined ? "—" : k === "loss" ? v.toFixed(4) : `${(v * 100).toFixed(2)}%`;
  };
  const row = (label: string, m: SplitMetrics) => [label, ...splits.flatMap((s) => keys.map((k) => cell(m, s, k)))];
  return [
    ["", ...splits.flatMap((s) => keys.map((k) => name(s, k)))],
    ...report.members.map((m) => row(report.kind === "snapshot" ? `snapshot ${m.member + 1} (step ${m.step})` : `member ${m.member + 1} (seed ${m.seed})`, m)),
    row("mean of members", report.mean_member),
    row("ensemble", report.ensemble),
  ];
}

function ensembleTable(report: EnsembleReport): { note: string; rows: string[][] } {
  const what = report.kind === "snapshot" ? `${report.members.length} snapshots of one run, kept at the ends of its last learning-rate cycles; the charts show that run` : `${report.members.length} independently trained members; the charts show the last member's run`;
  return { note: `${what}. The ensemble averages the members' predicted probabilities (outputs, for regression); losses are the negative log-likelihood of the averaged probabilities (mean squared error for regression).`, rows: ensembleRows(report) };
}
