// The training data pipeline's preprocessing, prepended to an exported model so that the bundle takes inputs
// as the data files hold them: the source's `scale`, then every fitted transform (center, standardize, pca,
// whiten) with the statistics training fitted on its training split, as ordinary nodes (scale, sub, div,
// reshape, matmul) with constant parameters. `subset` and `augment` only shape training and are left out.
import type { Program, ProgramNode } from "../../runtime/program.js";
import type { Tensor } from "../../runtime/cpu/tensor.js";
import { prepareData } from "../../runtime/data/pipeline.js";
import type { FittedTransform } from "../../runtime/data/preprocess.js";
import type { ExportedModel } from "./build.js";
import { ExportError } from "./errors.js";

export interface FittedPreprocessing {
  /** The source's multiplier (`scale:` of csv/idx/npy), 1 when it has none. */
  scale: number;
  /** The fitted transforms in pipeline order, each with the words that describe it. */
  steps: { fitted: FittedTransform; words: string }[];
}

/**
 * Fits the pipeline exactly as the training run did: the same data, split and transforms under the run's
 * data seed (`dataSeed` for an ensemble member, else the run's seed), so the statistics are the run's.
 */
export function fitPreprocessing(program: Program, seed = program.loop.dataSeed ?? program.loop.seed): FittedPreprocessing {
  const source = program.data.source;
  const scale = "scale" in source && source.scale !== undefined ? source.scale : 1;
  const fittedKinds = program.data.transforms.filter((t) => t.kind !== "subset" && t.kind !== "augment");
  const fitted: FittedTransform[] = [];
  // Nothing fitted, nothing to read: the data files need not be at hand then.
  if (fittedKinds.length > 0) prepareData(program.data, seed, (f) => fitted.push(f));
  if (fittedKinds.length !== fitted.length) throw new Error(`internal: ${fittedKinds.length} fitted transforms in the pipeline, ${fitted.length} fitted`);
  const steps = fitted.map((f, i) => {
    const t = fittedKinds[i]!;
    const words =
      t.kind === "standardize"
        ? `standardize per ${t.per ?? "feature"}: subtract the training split's mean, divide by its standard deviation + ${t.eps}`
        : t.kind === "center"
          ? `center per ${t.per ?? "feature"}: subtract the training split's mean`
          : t.kind === "pca"
            ? `pca: subtract the training split's mean, project onto the top ${t.components} principal components${t.whiten ? `, each divided by √(eigenvalue + ${t.eps})` : ""}`
            : `whiten (ZCA): subtract the training split's mean, multiply by U·diag(1/√(λ + ${(t as { eps: number }).eps}))·Uᵀ`;
    return { fitted: f, words };
  });
  return { scale, steps };
}

/** Words for inference.json's `preprocessing`, one per prepended step. */
export function describePreprocessing(pre: FittedPreprocessing): string[] {
  return [...(pre.scale !== 1 ? [`multiply by ${pre.scale} (the data source's \`scale\`)`] : []), ...pre.steps.map((s) => s.words)];
}

/**
 * The model with the preprocessing before its input: a new `input` node takes raw examples, and the old
 * input's consumers read the preprocessed values. Works on single models and ensembles alike (their
 * members share the one input). Constants are named `input.*`.
 */
export function prependPreprocessing(model: ExportedModel, pre: FittedPreprocessing): ExportedModel {
  const { program } = model;
  if (pre.scale === 1 && pre.steps.length === 0) return { ...model, program: { ...program, preprocessing: [] } };
  const modelShape = program.inputShape;
  const projects = pre.steps.some((s) => s.fitted.kind === "project" && !s.fitted.keepShape);
  // A pca changes the feature count: raw examples are then what the pipeline started from.
  const rawShape = projects ? pre.steps[0]!.fitted.shape : modelShape;
  const nodes: ProgramNode[] = [];
  const weights = new Map<string, Tensor>();
  const oldInput = program.nodes[program.input]!;
  const add = (node: Omit<ProgramNode, "id">) => nodes.push({ ...node, id: nodes.length }) - 1;
  const constant = (name: string, shape: number[], values: ArrayLike<number>) => {
    weights.set(name, { shape, data: Float32Array.from(values) });
    return add({ op: "param", inputs: [], shape, attrs: { shape }, name });
  };
  let shape = [...rawShape];
  let x = add({ op: "input", inputs: [], shape: ["N", ...shape], attrs: { shape: ["N", ...shape] }, ...(oldInput.name ? { name: oldInput.name } : {}) });
  const reshape = (to: number[]) => {
    if (to.join(",") === shape.join(",")) return;
    x = add({ op: "reshape", inputs: [x], shape: ["N", ...to], attrs: { shape: ["N", ...to] } });
    shape = [...to];
  };
  const binary = (op: string, c: number) => (x = add({ op, inputs: [x, c], shape: ["N", ...shape], attrs: {} }));
  if (pre.scale !== 1) x = add({ op: "scale", inputs: [x], shape: ["N", ...shape], attrs: { c: pre.scale } });
  pre.steps.forEach(({ fitted }, index) => {
    const prefix = pre.steps.length === 1 ? "input" : `input.${index}`;
    const features = fitted.shape.reduce((a, d) => a * d, 1);
    if (features !== shape.reduce((a, d) => a * d, 1)) throw new ExportError("E0820", `the data pipeline's step ${index + 1} takes ${features} features, but the model's input before it has ${shape.reduce((a, d) => a * d, 1)}`, "export with the file the weights were trained from");
    if (fitted.kind === "rescale") {
      const { values: shift, shape: shiftShape } = compact(fitted.shift, shape);
      const { values: scale, shape: scaleShape } = compact(fitted.scale, shape);
      // A centering has scale 1 everywhere: no division to emit.
      if (shift.some((v) => v !== 0)) binary("sub", constant(`${prefix}.shift`, shiftShape, shift));
      if (scale.some((v) => v !== 1)) binary("div", constant(`${prefix}.scale`, scaleShape, scale));
      return;
    }
    const before = [...shape];
    reshape([features]);
    binary("sub", constant(`${prefix}.mean`, [features], fitted.mean));
    const matrix = constant(`${prefix}.projection`, [features, fitted.k], fitted.matrix);
    x = add({ op: "matmul", inputs: [x, matrix], shape: ["N", fitted.k], attrs: { transA: false, transB: false } });
    shape = [fitted.k];
    if (fitted.keepShape) reshape(before);
  });
  if (shape.reduce((a, d) => a * d, 1) !== modelShape.reduce((a, d) => a * d, 1)) throw new ExportError("E0820", `the data pipeline gives ${shape.reduce((a, d) => a * d, 1)} features per example, but the model's input [${modelShape.join(", ")}] takes ${modelShape.reduce((a, d) => a * d, 1)}`, "export with the file the weights were trained from");
  reshape(modelShape);
  const ids = new Map<number, number>([[program.input, x]]);
  for (const node of program.nodes) {
    if (node.id === program.input) continue;
    ids.set(node.id, add({ ...node, inputs: node.inputs.map((i) => ids.get(i)!) }));
  }
  for (const [name, t] of model.weights) {
    if (weights.has(name)) throw new ExportError("E0820", `the model has a tensor named \`${name}\`, the name of a preprocessing constant`, "rename the layer whose parameter has this name");
    weights.set(name, t);
  }
  return {
    ...model,
    program: {
      ...program,
      nodes,
      input: 0,
      output: ids.get(program.output)!,
      inputShape: rawShape,
      ...(program.members ? { members: program.members.map((m) => ids.get(m)!) } : {}),
      preprocessing: describePreprocessing(pre),
    },
    weights,
    stats: { ...model.stats, nodesAfter: nodes.length },
  };
}

/**
 * Per-feature values shaped as one example; per-channel values (constant over each channel of a [C, H, W]
 * example) as [C, 1, 1], which broadcasts, so the weights hold one value per channel.
 */
function compact(values: Float64Array, shape: number[]): { values: Float64Array; shape: number[] } {
  if (shape.length === 3) {
    const [c, h, w] = shape as [number, number, number];
    const perChannel = Float64Array.from({ length: c }, (_, k) => values[k * h * w]!);
    if (values.every((v, j) => v === perChannel[Math.floor(j / (h * w))])) return { values: perChannel, shape: [c, 1, 1] };
  }
  return { values, shape: [...shape] };
}
