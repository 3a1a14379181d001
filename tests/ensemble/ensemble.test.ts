// Ensembles on the CPU backend: the ensemble's metrics are those of the members' averaged probabilities,
// with the average computed here, independently, from each member's own predict; a snapshot ensemble keeps
// exactly the weights a plain run has at the cycle ends; the members' files say what they hold.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { compileProgram } from "../../compiler/compile.js";
import { cpuBackend } from "../../runtime/cpu/train.js";
import { prepareData } from "../../runtime/data/pipeline.js";
import { decodeSafetensors } from "../../runtime/checkpoint/safetensors.js";
import { weightsByName } from "../../runtime/ensemble/files.js";
import { trainEnsemble, type WithBackend } from "../../runtime/ensemble/train.js";
import { runTraining } from "../../runtime/loop.js";
import type { Program } from "../../runtime/program.js";
import { memoryProbe } from "../helpers/parse.js";

const onCpu: WithBackend = (program, use) => use(cpuBackend(program));

function compile(settings: string, loss = "cross_entropy()", model = "  return x |> dense(12) |> relu |> dropout(0.1) |> dense(3)\n", outputs = 3, data = "spirals(n: 300) |> split(val: 0.2, test: 0.2)", input = 2): Program {
  const text = `model M(x: f32[N, ${input}]) -> f32[N, ${outputs}] {\n${model}}\ntrain {\n  data = ${data}\n  loss = ${loss}\n  optimizer = sgd(lr: 0.1, momentum: 0.9)\n  epochs 6\n  batch 32\n  seed 3\n${settings}}\n`;
  const result = compileProgram(text, "/virtual/model.dl", memoryProbe({}));
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return result.program!;
}

function softmaxRows(output: Float32Array, size: number): number[][] {
  const rows: number[][] = [];
  for (let r = 0; r * size < output.length; r++) {
    const x = Array.from(output.subarray(r * size, (r + 1) * size));
    const max = Math.max(...x);
    const e = x.map((v) => Math.exp(v - max));
    const sum = e.reduce((a, b) => a + b, 0);
    rows.push(e.map((v) => v / sum));
  }
  return rows;
}

/** Accuracy and NLL of averaged probability rows, written out here rather than taken from the runtime. */
function scoreAverage(members: number[][][], labels: Float32Array): { accuracy: number; loss: number } {
  let correct = 0;
  let nll = 0;
  members[0]!.forEach((_, n) => {
    const mean = members[0]![n]!.map((_, c) => members.reduce((a, m) => a + m[n]![c]!, 0) / members.length);
    const best = mean.indexOf(Math.max(...mean));
    if (best === labels[n]) correct++;
    nll -= Math.log(mean[labels[n]!]!);
  });
  return { accuracy: correct / labels.length, loss: nll / labels.length };
}

describe("independent ensembles", () => {
  it("members train with seeds seed, seed + 1, …; the ensemble scores the mean of their probabilities", async () => {
    const program = compile("  ensemble = independent(members: 3)\n");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-ensemble-"));
    const { ensemble } = await trainEnsemble(program, onCpu, { dir });
    expect(ensemble.members.map((m) => m.seed)).toEqual([3, 4, 5]);
    // Each member again, by hand: its own run and its own predict on the base seed's splits.
    const data = prepareData(program.data, 3);
    const probabilities: Record<"val" | "test", number[][][]> = { val: [], test: [] };
    for (let i = 0; i < 3; i++) {
      const member: Program = { ...program, loop: { ...program.loop, seed: 3 + i, dataSeed: 3 } };
      const backend = cpuBackend(member);
      await runTraining(member, backend, {});
      for (const split of ["val", "test"] as const) probabilities[split].push(softmaxRows(await backend.predict(data[split]!), 3));
      // The written member holds this member's final weights.
      const file = decodeSafetensors(fs.readFileSync(path.join(dir, `member-${i}.safetensors`)));
      for (const [name, data] of weightsByName(member, await backend.saveWeights())) expect(file.tensors.get(name)!.data, `member ${i} ${name}`).toEqual(data);
    }
    // Members differ (else averaging would prove nothing).
    expect(probabilities.val[0]).not.toEqual(probabilities.val[1]);
    for (const split of ["val", "test"] as const) {
      const expected = scoreAverage(probabilities[split], data[split]!.y);
      expect(ensemble.ensemble[split]!.accuracy).toBeCloseTo(expected.accuracy, 12);
      expect(ensemble.ensemble[split]!.loss).toBeCloseTo(expected.loss, 9);
      probabilities[split].forEach((member, i) => expect(ensemble.members[i]![split]!.loss).toBeCloseTo(scoreAverage([member], data[split]!.y).loss, 9));
    }
    const listed = JSON.parse(fs.readFileSync(path.join(dir, "members.json"), "utf8"));
    expect(listed).toMatchObject({ format: "dslc-ensemble/1", model: "M", kind: "independent", prediction: "softmax", members: [{ file: "member-0.safetensors", seed: 3 }, { seed: 4 }, { seed: 5 }] });
  });

  it("a member's validation NLL is the run's own cross-entropy on the validation split", async () => {
    const program = compile("  ensemble = independent(members: 2)\n");
    const { ensemble } = await trainEnsemble(program, onCpu);
    const member: Program = { ...program, loop: { ...program.loop, seed: 4, dataSeed: 3 } };
    const backend = cpuBackend(member);
    const done = await runTraining(member, backend, {});
    expect(ensemble.members[1]!.val!.loss).toBeCloseTo(done.val_loss!, 5);
    expect(ensemble.members[1]!.val!.accuracy).toBeCloseTo(done.val_accuracy!, 12);
  });

  it("bce_with_logits averages sigmoids; regression averages the outputs and reports their MSE", async () => {
    const binary = compile("  ensemble = independent(members: 2)\n", "bce_with_logits()", "  return x |> dense(8) |> relu |> dense(1)\n", 1, "xor(n: 200) |> split(val: 0.25)");
    const b = await trainEnsemble(binary, onCpu);
    const data = prepareData(binary.data, 3);
    const sigmoids: number[][][] = [];
    for (let i = 0; i < 2; i++) {
      const member: Program = { ...binary, loop: { ...binary.loop, seed: 3 + i, dataSeed: 3 } };
      const backend = cpuBackend(member);
      await runTraining(member, backend, {});
      sigmoids.push(Array.from(await backend.predict(data.val!), (v) => [1 - 1 / (1 + Math.exp(-v)), 1 / (1 + Math.exp(-v))]));
    }
    const expected = scoreAverage(sigmoids, data.val!.y);
    expect(b.ensemble.ensemble.val!.accuracy).toBeCloseTo(expected.accuracy, 12);
    expect(b.ensemble.ensemble.val!.loss).toBeCloseTo(expected.loss, 6);

    const regression = compile("  ensemble = independent(members: 2)\n", "mse()", "  return x |> dense(8) |> tanh |> dense(1)\n", 1, "sine(n: 200) |> split(val: 0.25)", 1);
    const r = await trainEnsemble(regression, onCpu);
    const sine = prepareData(regression.data, 3);
    const outputs: Float32Array[] = [];
    for (let i = 0; i < 2; i++) {
      const member: Program = { ...regression, loop: { ...regression.loop, seed: 3 + i, dataSeed: 3 } };
      const backend = cpuBackend(member);
      await runTraining(member, backend, {});
      outputs.push(await backend.predict(sine.val!));
    }
    expect(outputs[0]).not.toEqual(outputs[1]);
    const mse = Array.from(sine.val!.y, (y, n) => ((outputs[0]![n]! + outputs[1]![n]!) / 2 - y) ** 2).reduce((a, b) => a + b, 0) / sine.val!.count;
    expect(r.ensemble.ensemble.val).toEqual({ loss: expect.closeTo(mse, 9) });
    expect(r.ensemble.ensemble.val!.accuracy).toBeUndefined();
  });
});

describe("snapshot ensembles", () => {
  it("keeps exactly the weights a plain run has after each cycle end, and averages the last k", async () => {
    // 180 training examples: 6 steps per epoch; cycles of 2 epochs end after steps 12, 24 and 36.
    const program = compile("  schedule = sgdr(t0: 2 epochs)\n  ensemble = snapshot(last: 2)\n");
    expect(program.ensemble).toEqual({ kind: "snapshot", last: 2, cycleEnds: [12, 24, 36] });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-snapshot-"));
    const { ensemble, done } = await trainEnsemble(program, onCpu, { dir });
    expect(done.steps).toBe(36);
    expect(ensemble.members.map((m) => m.step)).toEqual([24, 36]);
    const data = prepareData(program.data, program.loop.seed);
    const probabilities: number[][][] = [];
    for (const [i, epochs] of [4, 6].entries()) {
      // The schedule follows the compiled run's length, so stopping after `epochs` gives the weights at that step.
      const backend = cpuBackend(program);
      const plain = await runTraining(program, backend, { stopAfterEpochs: epochs });
      expect(plain.steps).toBe(epochs * 6);
      const file = decodeSafetensors(fs.readFileSync(path.join(dir, `member-${i}.safetensors`)));
      for (const [name, values] of weightsByName(program, await backend.saveWeights())) expect(file.tensors.get(name)!.data, `snapshot ${i} ${name}`).toEqual(values);
      probabilities.push(softmaxRows(await backend.predict(data.val!), 3));
    }
    const expected = scoreAverage(probabilities, data.val!.y);
    expect(ensemble.ensemble.val!.accuracy).toBeCloseTo(expected.accuracy, 12);
    expect(ensemble.ensemble.val!.loss).toBeCloseTo(expected.loss, 9);
  });
});
