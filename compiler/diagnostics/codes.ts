// Every diagnostic dslc can emit, in one table: its code, severity and title, with the explanation, a bad
// example and the fix that docs/diagnostics.md is generated from (scripts: `npm run docs:diagnostics`).
// The tests take each `bad` example, check it, and assert that this very code is reported.
import type { Severity } from "./diagnostic.js";

export interface CodeInfo {
  severity: Severity;
  title: string;
  explanation: string;
  /** A complete .dl file that triggers the diagnostic. */
  bad: string;
  /** The same file with the mistake fixed; it must check clean. */
  good: string;
  /** Data files the example reads, relative to the .dl file. */
  files?: Record<string, string>;
  /** Reported while training (`dslc train`) rather than by `dslc check`; such codes have no source span. */
  atRunTime?: boolean;
}

const MODEL = "model M(x: f32[N, 4]) -> f32[N, 3] {\n  return x |> dense(3)\n}\n";
const TRAIN = (body: string) => `${MODEL}train {\n  data = spirals(classes: 3) |> split(val: 0.2)\n${body}}\n`;
const BASIC = "  loss = cross_entropy()\n  optimizer = sgd(lr: 0.1)\n  epochs 5\n";
const SPIRAL_MODEL = "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(3)\n}\n";
const SPIRAL = (body: string, model = SPIRAL_MODEL) => `${model}train {\n  data = spirals(classes: 3) |> split(val: 0.2)\n${body}}\n`;

export const DIAGNOSTIC_CODES = {
  E0001: {
    severity: "error",
    title: "unexpected character",
    explanation: "The file contains a character that is not part of the language (for example `$` or `%`).",
    bad: "let lr = 1e-3 $\n",
    good: "let lr = 1e-3\n",
  },
  E0002: {
    severity: "error",
    title: "unterminated string",
    explanation: "A string literal opened with `\"` is not closed on the same line.",
    bad: 'let path = "data/digits.csv\n',
    good: 'let path = "data/digits.csv"\n',
  },
  E0003: {
    severity: "error",
    title: "syntax error",
    explanation: "The parser expected something else at this point: a missing bracket, operator or name. Recovery continues after the error, so several can be reported at once.",
    bad: "model M(x: f32[N, 2] -> f32[N, 3] {\n  return x |> dense(3)\n}\n",
    good: "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(3)\n}\n",
  },
  E0004: {
    severity: "error",
    title: "expression nested too deeply",
    explanation: "An expression nests more than 256 levels deep: brackets, calls or lists inside each other, or a long chain of operators (a sum of N terms is N - 1 levels). No model needs that many; the limit keeps the compiler and the editor from running out of stack on generated or damaged files.",
    bad: `let x = ${"(".repeat(257)}1${")".repeat(257)}\n`,
    good: "let x = 1\n",
  },
  E0101: {
    severity: "error",
    title: "unknown name",
    explanation: "A name is used that is not an input, a value defined above, a `let`, or a builtin that fits here.",
    bad: "model M(x: f32[N, 2]) -> f32[N, 3] {\n  h = x |> dense(8)\n  return hh |> dense(3)\n}\n",
    good: "model M(x: f32[N, 2]) -> f32[N, 3] {\n  h = x |> dense(8)\n  return h |> dense(3)\n}\n",
  },
  E0102: {
    severity: "error",
    title: "unknown function",
    explanation: "A call names no builtin layer, function, block or other builtin of the kind expected here.",
    bad: "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dens(3)\n}\n",
    good: "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(3)\n}\n",
  },
  E0103: {
    severity: "error",
    title: "unknown argument",
    explanation: "A named argument is not a parameter of the function. Parameter names follow PyTorch where PyTorch has the same thing.",
    bad: SPIRAL("  loss = cross_entropy()\n  optimizer = sgd(lr: 0.1, momentom: 0.9)\n  epochs 5\n"),
    good: SPIRAL("  loss = cross_entropy()\n  optimizer = sgd(lr: 0.1, momentum: 0.9)\n  epochs 5\n"),
  },
  E0104: {
    severity: "error",
    title: "defined twice",
    explanation: "A model, block, `let`, training setting or argument name is defined more than once.",
    bad: "let width = 64\nlet width = 128\n",
    good: "let width = 64\nlet wide = 128\n",
  },
  E0105: {
    severity: "error",
    title: "missing argument",
    explanation: "A required argument was left out.",
    bad: "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense()\n}\n",
    good: "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(3)\n}\n",
  },
  E0106: {
    severity: "error",
    title: "too many arguments",
    explanation: "More positional arguments were given than the function has parameters.",
    bad: "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(3) |> relu(0.1)\n}\n",
    good: "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(3) |> leaky_relu(0.1)\n}\n",
  },
  E0107: {
    severity: "error",
    title: "argument given twice",
    explanation: "The same parameter received a value twice, by position and by name or by name twice.",
    bad: "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(3, units: 4)\n}\n",
    good: "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(3)\n}\n",
  },
  E0108: {
    severity: "error",
    title: "unknown setting",
    explanation: "A `train` or `search` block contains a setting the language does not know.",
    bad: SPIRAL(BASIC + "  batchsize 32\n"),
    good: SPIRAL(BASIC + "  batch 32\n"),
  },
  E0109: {
    severity: "error",
    title: "wrong kind of builtin",
    explanation: "A builtin is used where a different kind of thing is expected, e.g. a layer where an optimizer belongs.",
    bad: SPIRAL("  loss = cross_entropy()\n  optimizer = relu\n  epochs 5\n"),
    good: SPIRAL("  loss = cross_entropy()\n  optimizer = adam()\n  epochs 5\n"),
  },
  E0201: {
    severity: "error",
    title: "mismatched types",
    explanation: "A value of the wrong type: a string where a number is expected, a duration where a plain number is expected, a tensor where a layer is expected.",
    bad: SPIRAL('  loss = cross_entropy()\n  optimizer = sgd(lr: "fast")\n  epochs 5\n'),
    good: SPIRAL("  loss = cross_entropy()\n  optimizer = sgd(lr: 0.1)\n  epochs 5\n"),
  },
  E0202: {
    severity: "error",
    title: "value out of range",
    explanation: "A number outside the range its parameter allows, such as a negative learning rate or a dropout probability of 1.5.",
    bad: "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(8) |> dropout(1.5) |> dense(3)\n}\n",
    good: "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(8) |> dropout(0.5) |> dense(3)\n}\n",
  },
  E0203: {
    severity: "error",
    title: "expected an integer",
    explanation: "A count (units, channels, epochs, batch size) must be a whole number.",
    bad: "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(2.5) |> dense(3)\n}\n",
    good: "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(2) |> dense(3)\n}\n",
  },
  E0204: {
    severity: "error",
    title: "invalid option",
    explanation: "A word that is not one of the options this parameter accepts.",
    bad: SPIRAL("  loss = cross_entropy(reduction: avg)\n  optimizer = sgd(lr: 0.1)\n  epochs 5\n"),
    good: SPIRAL("  loss = cross_entropy(reduction: mean)\n  optimizer = sgd(lr: 0.1)\n  epochs 5\n"),
  },
  E0205: {
    severity: "error",
    title: "not a layer",
    explanation: "Only layers and blocks can follow `|>`, and a pipeline must start from a tensor.",
    bad: "model M(x: f32[N, 2]) -> f32[N, 2] {\n  h = x |> relu\n  return x |> h\n}\n",
    good: "model M(x: f32[N, 2]) -> f32[N, 2] {\n  h = x |> relu\n  return x + h\n}\n",
  },
  E0301: {
    severity: "error",
    title: "incompatible shapes",
    explanation: "Two tensors combined with `+`, `-`, `*`, `/`, `@` or `concat` have shapes that do not broadcast or line up.",
    bad: "model M(x: f32[N, 4]) -> f32[N, 8] {\n  h = x |> dense(8)\n  return h + x\n}\n",
    good: "model M(x: f32[N, 4]) -> f32[N, 8] {\n  h = x |> dense(8)\n  return h + (x |> dense(8))\n}\n",
  },
  E0302: {
    severity: "error",
    title: "layer cannot take this input",
    explanation: "A layer receives an input of the wrong rank or size, e.g. an image [N, C, H, W] fed to `dense`, or a shared layer fed two different sizes.",
    bad: "model M(x: f32[N, 1, 8, 8]) -> f32[N, 10] {\n  return x |> conv2d(4, kernel: 3) |> dense(10)\n}\n",
    good: "model M(x: f32[N, 1, 8, 8]) -> f32[N, 10] {\n  return x |> conv2d(4, kernel: 3) |> flatten |> dense(10)\n}\n",
  },
  E0303: {
    severity: "error",
    title: "output shape differs from the declared one",
    explanation: "The shape the model returns is not the shape after its `->`.",
    bad: "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(4)\n}\n",
    good: "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(3)\n}\n",
  },
  E0304: {
    severity: "error",
    title: "model output does not fit the loss",
    explanation: "The loss needs a different output shape: cross-entropy needs [N, classes] logits with one column per class in the data; mse needs the target's shape; binary losses need one column.",
    bad: TRAIN(BASIC).replace("x: f32[N, 4]", "x: f32[N, 2]").replace("dense(3)", "dense(4)").replace("f32[N, 3]", "f32[N, 4]"),
    good: SPIRAL(BASIC),
  },
  E0305: {
    severity: "error",
    title: "model input does not fit the data",
    explanation: "The data provides a different number of features (or image shape) than the model's input declares.",
    bad: TRAIN(BASIC),
    good: SPIRAL(BASIC),
  },
  E0306: {
    severity: "error",
    title: "window does not fit its input",
    explanation: "A convolution or pooling window is larger than its (padded) input, so the output would be empty; or a pooling window is padded by more than half its size, so a window could hold only padding (PyTorch refuses that too).",
    bad: "model M(x: f32[N, 1, 4, 4]) -> f32[N, 2] {\n  return x |> conv2d(2, kernel: 5) |> flatten |> dense(2)\n}\n",
    good: "model M(x: f32[N, 1, 4, 4]) -> f32[N, 2] {\n  return x |> conv2d(2, kernel: 3) |> flatten |> dense(2)\n}\n",
  },
  E0307: {
    severity: "error",
    title: "reshape changes the size",
    explanation: "`reshape` must keep the number of elements per example.",
    bad: "model M(x: f32[N, 64]) -> f32[N, 10] {\n  return x |> reshape([1, 8, 7]) |> flatten |> dense(10)\n}\n",
    good: "model M(x: f32[N, 64]) -> f32[N, 10] {\n  return x |> reshape([1, 8, 8]) |> flatten |> dense(10)\n}\n",
  },
  E0308: {
    severity: "error",
    title: "size not divisible",
    explanation: "`maxout(k)` needs features divisible by k; `groupnorm(groups)` needs channels divisible by groups.",
    bad: "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(10) |> maxout(k: 3) |> dense(3)\n}\n",
    good: "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(9) |> maxout(k: 3) |> dense(3)\n}\n",
  },
  E0309: {
    severity: "error",
    title: "invalid tensor type",
    explanation: "A model input or block parameter type must be a tensor type such as `f32[N, 64]`, with dimensions that are positive integers or symbols.",
    bad: "model M(x: f64[N, 2]) -> f32[N, 3] {\n  return x |> dense(3)\n}\n",
    good: "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(3)\n}\n",
  },
  E0401: {
    severity: "error",
    title: "model returns nothing",
    explanation: "A model or block body must end with `return`.",
    bad: "model M(x: f32[N, 2]) -> f32[N, 3] {\n  h = x |> dense(3)\n}\n",
    good: "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(3)\n}\n",
  },
  E0402: {
    severity: "error",
    title: "code after return",
    explanation: "Statements after `return` never run.",
    bad: "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(3)\n  h = x |> relu\n}\n",
    good: "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(3)\n}\n",
  },
  E0403: {
    severity: "error",
    title: "missing training setting",
    explanation: "A `train` block needs `data`, `loss`, `optimizer`, and `epochs` or `steps`.",
    bad: SPIRAL("  loss = cross_entropy()\n  epochs 5\n"),
    good: SPIRAL("  loss = cross_entropy()\n  optimizer = sgd(lr: 0.1)\n  epochs 5\n"),
  },
  E0404: {
    severity: "error",
    title: "which model to train",
    explanation: "`train` without a name needs exactly one model in the file; with several, write `train ModelName { … }`.",
    bad: SPIRAL(BASIC, SPIRAL_MODEL + SPIRAL_MODEL.replace("model M", "model Other")),
    good: SPIRAL(BASIC, SPIRAL_MODEL + SPIRAL_MODEL.replace("model M", "model Other")).replace("train {", "train M {"),
  },
  E0405: {
    severity: "error",
    title: "statement not allowed here",
    explanation: "Models contain assignments and `return`; `train` contains settings and directives; `search` contains `name ~ distribution` lines and settings.",
    bad: "model M(x: f32[N, 2]) -> f32[N, 3] {\n  epochs 5\n  return x |> dense(3)\n}\n",
    good: "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(3)\n}\n",
  },
  E0406: {
    severity: "error",
    title: "block uses itself",
    explanation: "A block that applies itself, directly or through other blocks, would never end.",
    bad: "block B(x: f32[N, D]) {\n  return x |> B\n}\nmodel M(x: f32[N, 2]) -> f32[N, 2] {\n  return x |> B\n}\n",
    good: "block B(x: f32[N, D]) {\n  return x |> relu\n}\nmodel M(x: f32[N, 2]) -> f32[N, 2] {\n  return x |> B\n}\n",
  },
  E0407: {
    severity: "error",
    title: "search over an undeclared value",
    explanation: "`name ~ distribution` in `search` must name a top-level `let`, whose value is then the default.",
    bad: SPIRAL(BASIC) + "search {\n  lr ~ loguniform(1e-4, 1e-1)\n  trials 10\n  epochs 2\n}\n",
    good: "let lr = 0.1\n" + SPIRAL(BASIC).replace("lr: 0.1", "lr: lr") + "search {\n  lr ~ loguniform(1e-4, 1e-1)\n  trials 10\n  epochs 2\n}\n",
  },
  E0408: {
    severity: "error",
    title: "validation metric without a validation split",
    explanation: "Early stopping or a plateau schedule watches a validation metric, but the data holds out no validation examples, so the metric is never measured and the rule never acts.",
    bad: "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(3)\n}\ntrain {\n  data = spirals(classes: 3)\n  loss = cross_entropy()\n  optimizer = sgd(lr: 0.1)\n  epochs 20\n  early_stopping(monitor: val_loss, patience: 3)\n}\n",
    good: "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(3)\n}\ntrain {\n  data = spirals(classes: 3) |> split(val: 0.2)\n  loss = cross_entropy()\n  optimizer = sgd(lr: 0.1)\n  epochs 20\n  early_stopping(monitor: val_loss, patience: 3)\n}\n",
  },
  E0409: {
    severity: "error",
    title: "schedule part without an end",
    explanation: "In `a then b`, every part but the last must say how long it lasts (`warmup(200 steps)`, `cosine(t_max: 10 epochs)`, `linear(over: …)`, `poly(over: …)`); a part that runs to the end of the run would never let the next one start.",
    bad: SPIRAL("  loss = cross_entropy()\n  optimizer = sgd(lr: 0.1)\n  schedule = cosine() then constant\n  epochs 5\n"),
    good: SPIRAL("  loss = cross_entropy()\n  optimizer = sgd(lr: 0.1)\n  schedule = cosine(t_max: 3 epochs) then constant\n  epochs 5\n"),
  },
  E0501: {
    severity: "error",
    title: "data file not found",
    explanation: "A data source names a file that does not exist. Paths are relative to the .dl file.",
    bad: SPIRAL(BASIC).replace("spirals(classes: 3)", 'csv("no_such_file.csv", label: "label")'),
    good: SPIRAL(BASIC),
  },
  E0502: {
    severity: "error",
    title: "unusable data file",
    explanation: "A data file exists but cannot be used as written: a CSV without the named label column, an empty file, or rows of different lengths.",
    bad: SPIRAL(BASIC).replace("spirals(classes: 3)", 'csv("points.csv", label: "class")'),
    good: SPIRAL(BASIC).replace("spirals(classes: 3)", 'csv("points.csv", label: "label")'),
    files: { "points.csv": "a,b,label\n0.1,0.2,0\n0.3,0.1,1\n0.5,0.9,2\n" },
  },
  E0601: {
    severity: "error",
    title: "not supported by the training backends yet",
    explanation: "The file is valid and `dslc check` accepts it, but training uses a layer or option the CPU and WebGPU backends do not implement yet. The message names it; the help lists what is supported.",
    bad: SPIRAL(BASIC, "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(4, init: orthogonal) |> relu |> dense(3)\n}\n"),
    good: SPIRAL(BASIC, "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(4) |> relu |> dense(3)\n}\n"),
  },
  E0602: {
    severity: "error",
    title: "beyond the device's limits",
    explanation: "A parameter, a layer's output at the batch size, or the batch itself needs a buffer larger than one storage binding of the WebGPU device (128 MiB on every device; an adapter may allow more), or a kernel binds more storage buffers than it allows. `dslc train` checks this against the adapter's limits before allocating anything, and `dslc check --memory` against WebGPU's defaults; parameters that only together exceed a binding are split across several buffers instead. Make the layer narrower, lower `batch`, or train with `--backend cpu`.",
    bad: SPIRAL(BASIC, "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(6000) |> relu |> dense(6000) |> relu |> dense(3)\n}\n"),
    good: SPIRAL(BASIC, "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(600) |> relu |> dense(600) |> relu |> dense(3)\n}\n"),
    atRunTime: true,
  },
  E0701: {
    severity: "error",
    title: "training stopped",
    explanation: "Training aborts when the loss becomes NaN or infinite, or when a logged loss (every `log_every` steps) or an epoch's mean training loss exceeds 3× the initial loss, the loss of the first step (the notes' babysitting rule); both almost always mean the learning rate is too high. The CPU and WebGPU backends apply the same rule at the same steps.",
    bad: SPIRAL("  loss = cross_entropy()\n  optimizer = sgd(lr: 1e6)\n  epochs 5\n"),
    good: SPIRAL("  loss = cross_entropy()\n  optimizer = sgd(lr: 0.1)\n  epochs 5\n"),
    atRunTime: true,
  },
  E0702: {
    severity: "error",
    title: "no WebGPU adapter",
    explanation: "`dslc train --backend webgpu` found no WebGPU adapter: no GPU driver with Vulkan (or Metal/D3D12) support, or on Linux no Mesa lavapipe. Install one, set XDG_RUNTIME_DIR to a writable folder, or train with `--backend cpu`.",
    bad: SPIRAL(BASIC),
    good: SPIRAL(BASIC),
    atRunTime: true,
  },
  E0703: {
    severity: "error",
    title: "checkpoint cannot be resumed",
    explanation: "`dslc train --resume DIR` continues a run from a checkpoint of the `checkpoint` directive only when the checkpoint belongs to the same model (the same parameter names and shapes, optimizer and graph) and run settings (seed, batch size, shuffle, drop_last), and when its files are intact (`weights.safetensors` well-formed and matching the checksum in `state.json`). The message names the difference or the damage. Here the checkpoint was written by the good example, whose first layer has 3 units, and the bad example's has 4. Resume with the file that wrote the checkpoint, from an older checkpoint, or train from scratch without --resume.",
    bad: SPIRAL(BASIC + '  checkpoint(every: 1 epochs, path: "checkpoints")\n', "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(4) |> relu |> dense(3)\n}\n"),
    good: SPIRAL(BASIC + '  checkpoint(every: 1 epochs, path: "checkpoints")\n', "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(3) |> relu |> dense(3)\n}\n"),
    atRunTime: true,
  },
  W0701: {
    severity: "warning",
    title: "initial loss far from its expected value",
    explanation: "The notes' first babysitting check: with small random weights a classifier predicts every class about equally, so its first loss should be near ln C for cross-entropy or nll over C classes, ln 2 for binary cross-entropy and (C − 1)·margin for the multiclass hinge. `dslc train` compares the first step's loss with that value (when the loss is that one term) and warns when it is outside [½, 2]× of it: usually initial weights that are too large, unnormalized inputs, or labels leaking into the inputs. Training goes on.",
    bad: SPIRAL(BASIC, "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(3, init: normal(std: 30))\n}\n"),
    good: SPIRAL(BASIC, "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(3)\n}\n"),
    atRunTime: true,
  },
  W0702: {
    severity: "warning",
    title: "update/weight ratio far from 1e-3",
    explanation: "With `update_ratio` in `monitor`, each logged step measures, per parameter, ‖Δθ‖ / ‖θ‖ of that step's update (on the device on WebGPU). The notes' rule of thumb is about 1e-3 for weights: much higher and the learning rate is too high for them, much lower and it is too low (or their gradient vanishes). Once 5% of the run (at least 10 steps) has passed (the first steps of Adam move every weight by about lr, a transient), `dslc train` looks at each epoch's last logged ratios of the weights (not biases or norm parameters) and warns once per weight and direction when one is more than 100× away from 1e-3 (too low only while the rate is at least half its peak so far: an annealed rate is meant to move weights little). Training goes on.",
    bad: SPIRAL("  loss = cross_entropy()\n  optimizer = sgd(lr: 1e-5)\n  epochs 5\n  log_every 1 steps\n  monitor [train_loss, update_ratio]\n"),
    good: SPIRAL("  loss = cross_entropy()\n  optimizer = sgd(lr: 0.1)\n  epochs 5\n  log_every 1 steps\n  monitor [train_loss, update_ratio]\n"),
    atRunTime: true,
  },
  W0001: {
    severity: "warning",
    title: "unused value",
    explanation: "A value computed in a model is never used; it still costs nothing, but it usually means a wiring mistake.",
    bad: "model M(x: f32[N, 2]) -> f32[N, 3] {\n  h = x |> dense(8)\n  return x |> dense(3)\n}\n",
    good: "model M(x: f32[N, 2]) -> f32[N, 3] {\n  h = x |> dense(8)\n  return h |> dense(3)\n}\n",
  },
  W0101: {
    severity: "warning",
    title: "batchnorm with batch size 1",
    explanation: "With one example per batch, the batch variance is zero and training-mode BatchNorm outputs only β.",
    bad: SPIRAL(BASIC + "  batch 1\n", "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(8) |> batchnorm |> relu |> dense(3)\n}\n"),
    good: SPIRAL(BASIC + "  batch 32\n", "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(8) |> batchnorm |> relu |> dense(3)\n}\n"),
  },
  W0102: {
    severity: "warning",
    title: "warmup longer than the run",
    explanation: "The warmup lasts longer than training, so the schedule after it never starts.",
    bad: SPIRAL(BASIC + "  batch 32\n  schedule = warmup(1000 steps) then cosine()\n"),
    good: SPIRAL(BASIC + "  batch 32\n  schedule = warmup(20 steps) then cosine()\n"),
  },
  W0103: {
    severity: "warning",
    title: "restart period longer than the run",
    explanation: "The first SGDR/cyclic period is longer than training, so no restart (and no snapshot) happens.",
    bad: SPIRAL(BASIC + "  schedule = sgdr(t0: 10 epochs)\n"),
    good: SPIRAL(BASIC + "  schedule = sgdr(t0: 1 epochs)\n"),
  },
  W0104: {
    severity: "warning",
    title: "patience beyond the run",
    explanation: "Plateau or early-stopping patience is at least the number of epochs, so it can never trigger.",
    bad: SPIRAL(BASIC + "  early_stopping(patience: 10)\n"),
    good: SPIRAL(BASIC + "  early_stopping(patience: 2)\n"),
  },
  W0105: {
    severity: "warning",
    title: "softmax before cross_entropy",
    explanation: "`cross_entropy` applies log-softmax to logits itself; a softmax at the end of the model applies it twice and slows learning. Remove the softmax (or use `nll` after `log_softmax`).",
    bad: SPIRAL(BASIC, "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(3) |> softmax\n}\n"),
    good: SPIRAL(BASIC),
  },
  W0106: {
    severity: "warning",
    title: "monitored validation metric without a validation split",
    explanation: "`monitor` lists a validation metric, but the data holds out no validation examples, so it is never measured.",
    bad: SPIRAL("  loss = cross_entropy()\n  optimizer = sgd(lr: 0.1)\n  epochs 5\n  monitor [train_loss, val_accuracy]\n").replace(" |> split(val: 0.2)", ""),
    good: SPIRAL("  loss = cross_entropy()\n  optimizer = sgd(lr: 0.1)\n  epochs 5\n  monitor [train_loss, val_accuracy]\n"),
  },
  W0107: {
    severity: "warning",
    title: "mixed conventions",
    explanation: "PyTorch's BatchNorm momentum is the weight of the new batch (0.1); Keras' and Caffe's is the weight of the running average (0.99, 0.999), and under `compat keras` or `compat caffe` dslc reads it their way (features.md §13). A momentum on the other side of ½ from the file's convention was most likely copied from a recipe of the other one, and keeps about 1% of what it was meant to keep, or the reverse.",
    bad: SPIRAL(BASIC + "  compat keras\n", "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(8) |> batchnorm(momentum: 0.1) |> relu |> dense(3)\n}\n"),
    good: SPIRAL(BASIC + "  compat keras\n", "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(8) |> batchnorm(momentum: 0.9) |> relu |> dense(3)\n}\n"),
  },
} satisfies Record<string, CodeInfo>;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;
