// The `dslc` command: dispatches to one command per file in cli/commands/. Thin: all the work is in the
// phases. Exit codes scripts can rely on: 0 success, 1 problems found in the input, 2 usage or internal error.
import { checkCommand } from "./commands/check.js";
import { lspCommand } from "./commands/lsp.js";
import { trainCommand } from "./commands/train.js";
import { gradcheckCommand } from "./commands/gradcheck.js";
import { compileCommand } from "./commands/compile.js";
import { VERSION } from "./version.js";
import { fmtCommand } from "./commands/fmt.js";
import { scheduleCommand } from "./commands/schedule.js";
import { lrFindCommand } from "./commands/lr-find.js";
import { searchCommand } from "./commands/search.js";
import { exportCommand } from "./commands/export.js";
import { UsageError, type CliIO } from "./io.js";
import { runFilteredChild, wantsFilteredChild } from "./native-stderr.js";
import { parseArgs, type FlagSpec, type ParsedArgs } from "./options.js";
import { didYouMean } from "../compiler/check/suggest.js";
import { DataError } from "../runtime/data/errors.js";
import { escapeText } from "../compiler/diagnostics/escape.js";
import * as path from "node:path";

interface Command {
  name: string;
  usage: string;
  summary: string;
  details: string;
  flags: FlagSpec[];
  minFiles: number;
  run: (args: ParsedArgs, io: CliIO) => number | Promise<number>;
}

const COLOR: FlagSpec = { name: "color", values: ["auto", "always", "never"], doc: "Colored output (default: auto, when stdout is a terminal and NO_COLOR is unset)." };

const COMMANDS: Command[] = [
  {
    name: "compile",
    usage: "dslc FILE -o DIR   (or: dslc compile FILE -o DIR)",
    summary: "Compile a .dl file to WGSL kernels, a manifest and a TypeScript trainer",
    details: "Writes DIR/kernels/{train,eval}/*.wgsl (one kernel per op, in dispatch order), DIR/manifest.json (the\nprogram, buffers, kernels and dispatch order) and DIR/train.mts, which imports only `dslc/runtime`.\nRun the trainer with `npx tsx DIR/train.mts [--backend cpu] [--epochs N]` from a project where dslc is installed.",
    flags: [{ name: "out", values: [], doc: "Output folder (also `-o`)." }, COLOR],
    minFiles: 1,
    run: compileCommand,
  },
  {
    name: "check",
    usage: "dslc check FILE… [--format human|json] [--deny-warnings] [--memory]",
    summary: "Parse and check .dl files: syntax, names, arguments, shapes, data and training settings",
    details: "Prints every problem found, rustc-style, with the file, line and column, the source line, and a help line.\nThe file is also lowered as `dslc train` would, so what the backends cannot run yet (E0601) is an error\nhere too. With --memory, also prints the device memory it needs on WebGPU: parameters, gradients,\noptimizer state, activations (shared by liveness), the batch and the total, with E0602 for anything beyond WebGPU's default limits.\nExit status: 0 when no errors, 1 when errors were found (or warnings, with --deny-warnings), 2 on a usage error.",
    flags: [
      { name: "format", values: ["human", "json"], doc: "`json` prints one JSON object per diagnostic on stdout (and `{\"memory\": …}` with --memory)." },
      { name: "deny-warnings", doc: "Treat warnings as errors for the exit status." },
      { name: "memory", doc: "Report the device memory training needs, and check it against WebGPU's default limits." },
      COLOR,
    ],
    minFiles: 1,
    run: checkCommand,
  },
  {
    name: "fmt",
    usage: "dslc fmt FILE… [--check | --write]",
    summary: "Format .dl files in the canonical layout, keeping comments",
    details: "Without a flag, prints the formatted file. --check lists files that are not formatted (exit 1 if any);\n--write rewrites them in place, atomically. Files with syntax errors are left untouched (exit 1).",
    flags: [
      { name: "check", doc: "Report files whose layout differs; change nothing." },
      { name: "write", doc: "Rewrite files in place." },
      COLOR,
    ],
    minFiles: 1,
    run: fmtCommand,
  },
  {
    name: "train",
    usage: "dslc train FILE [--backend cpu] [--epochs N] [--seed S] [--overfit N] [--json] [--report PATH] [--resume DIR] [--workers N] [--tune]",
    summary: "Compile a .dl file and train its model",
    details: "Checks the file, lowers it to a compute graph, differentiates it and runs the training loop, printing\nloss, accuracy and learning rate per epoch. --json prints one JSON object per line: an `epoch` event per\nepoch and a final `done` event. Exit status: 0 trained, 1 errors in the file, training aborted (NaN/Inf\nloss, divergence), an unusable checkpoint or no WebGPU adapter, 2 usage error, 130 interrupted (Ctrl-C; with\nthe `checkpoint` directive a checkpoint is written at the next step boundary first). Backends: `cpu` (the reference) and `webgpu`\n(Dawn; one kernel per op for now).",
    flags: [
      { name: "backend", values: ["cpu", "webgpu"], doc: "Where to train (default: WebGPU when an adapter exists, else cpu)." },
      { name: "epochs", values: [], doc: "Override the file's epochs." },
      { name: "seed", values: [], doc: "Override the file's seed." },
      { name: "overfit", values: [], doc: "The notes' sanity check: train on N examples with regularization off, as `overfit(examples: N)`." },
      { name: "json", doc: "Machine-readable output, one JSON object per line." },
      { name: "adapter", values: [], doc: "With --backend webgpu: use the adapter whose name contains this (e.g. llvmpipe)." },
      { name: "report", values: [], doc: "Write an HTML report of the run (plots, settings, warnings) to this file; replaces the `report` directive's path." },
      { name: "resume", values: [], doc: "Continue from a checkpoint directory, or the newest one in a `checkpoint` folder (E0703 if it is another model's or damaged)." },
      { name: "set", values: [], repeatable: true, doc: "`name=value`: train with this value for the top-level `let name` (repeatable; E0801 if it names no `let` or its kind differs)." },
      { name: "workers", values: [], doc: "An `independent` ensemble's members trained at once, each in its own process (default: the machine's cores, at most the members; 1: one after another in this process)." },
      { name: "tune", doc: "Measure the WebGPU matmul configurations for this model's shapes on this adapter once and cache the fastest (in $XDG_CACHE_HOME/dslc or ~/.cache/dslc); later runs read the cache without the flag." },
      COLOR,
    ],
    minFiles: 1,
    run: trainCommand,
  },
  {
    name: "search",
    usage: "dslc search FILE [--workers N] [--backend cpu|webgpu] [--out DIR] [--json]",
    summary: "Random search over the `let`s of a `search { }` block, coarse to fine, in parallel",
    details: "Runs the stages of the file's `search` block: each trial is a normal training run (as `dslc train`) with\nvalues sampled for the searched `let`s, and each later stage samples ranges narrowed around the best trials.\nPrints a line per finished trial and, at the end, every trial sorted best first; warns (W0801) when the best\nvalue lies in the outer 10% of its range. The study lives in DIR (default: FILE's name with .search, beside\nit): log.jsonl (the state: one line per finished trial, so a rerun continues and never repeats a trial; E0802\nif it is another study's), results.csv, results.jsonl and report.html (the metric against each hyperparameter).\nExit status: 0 done, 1 errors in the file or every trial failed, 2 usage error, 130 interrupted (Ctrl-C).",
    flags: [
      { name: "workers", values: [], doc: "Trials run at once, each in its own process (default: the machine's cores)." },
      { name: "backend", values: ["cpu", "webgpu"], doc: "Where trials train (default: cpu; parallel trials on a software WebGPU adapter only slow each other down)." },
      { name: "out", values: [], doc: "The study's folder (also `-o`)." },
      { name: "json", doc: "One JSON object per line: `stage` and `trial` events, `warning`, and a final `done` with the best trial." },
      COLOR,
    ],
    minFiles: 1,
    run: searchCommand,
  },
  {
    name: "export",
    usage: "dslc export FILE --weights CHECKPOINT -o DIR [--seed S] [--set name=value]…",
    summary: "Export a trained model for inference: ONNX, folded weights, WGSL kernels and predict.mts",
    details: "Reads the trained weights (CHECKPOINT: a checkpoint directory, the folder the `checkpoint` directive writes\n(the newest is taken), a .safetensors file, or an ensemble's NAME.ensemble folder, exported as one model\nthat averages its members), switches the model to evaluation mode, drops dropout, folds every BatchNorm\ninto the dense or conv before it and merges RepVGG's branches into one 3×3 conv, and prepends the data\npipeline's preprocessing (scale, standardize, center, pca, whiten, fitted on the run's training split), so\nthe model takes examples as the data files hold them. Writes DIR/model.onnx\n(opset 13, any batch size), DIR/weights.safetensors (the folded weights), DIR/inference.json (the\nforward program), and the WGSL bundle: DIR/bundle.json, DIR/kernels/*.wgsl and DIR/predict.mts.\nExit status: 0 exported, 1 errors in the file or weights that do not fit it (E0820), an op ONNX cannot\nexpress (E0821), 2 usage error.",
    flags: [
      { name: "weights", values: [], doc: "The trained weights: a checkpoint directory or folder, a .safetensors file, or an ensemble's folder." },
      { name: "out", values: [], doc: "Output folder (also `-o`)." },
      { name: "seed", values: [], doc: "The seed the weights were trained with (`dslc train --seed`), when they do not record it (a .safetensors file): its data split fits the preprocessing." },
      { name: "set", values: [], repeatable: true, doc: "`name=value`: the `let` values the weights were trained with (`dslc train --set`), so the model has their shapes." },
      COLOR,
    ],
    minFiles: 1,
    run: exportCommand,
  },
  {
    name: "schedule",
    usage: "dslc schedule FILE [--svg PATH] [--epochs N] [--json]",
    summary: "Show the learning rate at every step of the run, before training",
    details: "Prints the learning rate over the whole run as a chart (and the momentum, when the schedule cycles it),\nwith its first, highest, lowest and last values, and writes the same curve as an SVG file (FILE's name\nwith .schedule.svg, in the current folder, unless --svg names another). --json prints every step's value\ninstead. The values come from the function training calls at each step. A `plateau` schedule depends on\nthe measured metric and is known only while training.",
    flags: [
      { name: "svg", values: [], doc: "Where to write the SVG chart." },
      { name: "epochs", values: [], doc: "Override the file's epochs (the schedule's horizon follows)." },
      { name: "json", doc: "Print {steps, steps_per_epoch, lr: […]} (and momentum) as one JSON object." },
      COLOR,
    ],
    minFiles: 1,
    run: scheduleCommand,
  },
  {
    name: "lr-find",
    usage: "dslc lr-find FILE [--steps N] [--min-lr X] [--max-lr Y] [--backend cpu|webgpu] [--svg PATH] [--json]",
    summary: "Run the learning-rate range test and suggest a rate",
    details: "Trains the file's model from its initial weights with the learning rate growing exponentially from\n--min-lr (1e-8) to --max-lr (1) over --steps (100) batches, and stops once the smoothed loss exceeds 4×\nits best (Lightning's lr_find). Prints the smoothed loss as a chart and the suggested rate, where the\nsmoothed loss falls fastest, and writes loss against rate as an SVG (FILE's name with .lr-find.svg unless\n--svg names another). --json prints every step's rate, loss and smoothed loss, and the suggestion.",
    flags: [
      { name: "steps", values: [], doc: "Steps of the ramp (at least 12)." },
      { name: "min-lr", values: [], doc: "The first rate." },
      { name: "max-lr", values: [], doc: "The last rate." },
      { name: "backend", values: ["cpu", "webgpu"], doc: "Where to train (default: WebGPU when an adapter exists, else cpu)." },
      { name: "adapter", values: [], doc: "With --backend webgpu: use the adapter whose name contains this." },
      { name: "svg", values: [], doc: "Where to write the SVG chart." },
      { name: "json", doc: "Print {lr, loss, smoothed, suggestion, stopped} as one JSON object." },
      COLOR,
    ],
    minFiles: 1,
    run: lrFindCommand,
  },
  {
    name: "gradcheck",
    usage: "dslc gradcheck FILE",
    summary: "Compare autodiff gradients with finite differences",
    details: "Runs the training loss on one small batch in float64 on the CPU reference backend and compares every\nparameter's gradient with central finite differences. Prints the worst relative error per parameter;\nexit status 1 if any exceeds 1e-5.",
    flags: [],
    minFiles: 1,
    run: gradcheckCommand,
  },
  {
    name: "lsp",
    usage: "dslc lsp [--stdio]",
    summary: "Run the language server (LSP over stdio) for editors",
    details: "Speaks the Language Server Protocol on stdin/stdout: diagnostics as you type, hover with shapes,\ncompletion, go to definition, references, rename, outline, formatting and quick fixes.\nThe VS Code extension in editors/vscode starts it.",
    flags: [{ name: "stdio", doc: "Use stdin/stdout (the default and only transport)." }],
    minFiles: 0,
    run: lspCommand,
  },
];

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `dslc ${VERSION}: a compiler for .dl files, which describe a neural network and how to train it.`,
    "",
    "Usage: dslc COMMAND [OPTIONS] FILE…",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Options:",
    "  --help      Show help (also `dslc COMMAND --help`)",
    "  --version   Print the version",
    "  --debug     Show stack traces for internal errors",
    "",
    "Docs: docs/language.md (the language), docs/diagnostics.md (every error code), docs/cli.md (this tool).",
    "",
  ].join("\n");
}

function commandHelp(command: Command): string {
  const width = Math.max(...command.flags.map((f) => f.name.length + (f.values ? 8 : 0)), 6);
  return [
    `${command.summary}.`,
    "",
    `Usage: ${command.usage}`,
    "",
    command.details,
    "",
    "Options:",
    ...command.flags.map((f) => `  --${(f.name + (f.values ? " <value>" : "")).padEnd(width)}  ${f.doc}`),
    `  --${"help".padEnd(width)}  Show this help`,
    "",
  ].join("\n");
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  const debug = argv.includes("--debug");
  const args = argv.filter((a) => a !== "--debug");
  let sourceFile: string | undefined;
  try {
    if (args.length === 0 || args[0] === "--help" || args[0] === "-h" || args[0] === "help") {
      const topic = args[0] === "help" ? COMMANDS.find((c) => c.name === args[1]) : undefined;
      io.stdout(topic ? commandHelp(topic) : mainHelp());
      return args.length === 0 ? 2 : 0;
    }
    if (args[0] === "--version") {
      io.stdout(`dslc ${VERSION}\n`);
      return 0;
    }
    // `dslc FILE -o DIR` is `dslc compile FILE -o DIR`; `-o` is `--out`.
    if (args[0]!.endsWith(".dl")) args.unshift("compile");
    for (let i = 0; i < args.length; i++) if (args[i] === "-o") args[i] = "--out";
    const command = COMMANDS.find((c) => c.name === args[0]);
    if (!command) {
      const hint = didYouMean(args[0]!, COMMANDS.map((c) => c.name));
      throw new UsageError(`unknown command \`${args[0]}\`${hint ? `; ${hint}` : ""} (see \`dslc --help\`)`);
    }
    const rest = args.slice(1);
    if (rest.includes("--help") || rest.includes("-h")) {
      io.stdout(commandHelp(command));
      return 0;
    }
    const parsed = parseArgs(rest, command.flags, command.name);
    sourceFile = parsed.positional[0];
    if (parsed.positional.length < command.minFiles) throw new UsageError(`\`dslc ${command.name}\` needs a file; usage: ${command.usage}`);
    if (wantsFilteredChild(command.name, parsed.flags.get("backend"), debug, io)) return await runFilteredChild(argv, io);
    return await command.run(parsed, io);
  } catch (error) {
    return reportFailure(error, debug, io, sourceFile);
  }
}

/**
 * Usage errors get one line; a data file that fails while a command reads it (changed since `check`, or a
 * command that reads data without checking it first) gets its code and help; anything else is a bug in
 * dslc: one line asking for a report, no stack trace unless --debug.
 */
export function reportFailure(error: unknown, debug: boolean, io: CliIO, sourceFile?: string): number {
  if (error instanceof UsageError) {
    io.stderr(`error: ${error.message}\n`);
    return 2;
  }
  if (error instanceof DataError) {
    // Files named relative to the .dl file's folder, as in the file itself (the loaders see absolute paths).
    const message = escapeText(error.describe(path.dirname(path.resolve(sourceFile ?? "."))));
    io.stderr(`error[${error.code}]: ${message}\n  = help: ${escapeText(error.help ?? "fix the data file, then run again")}\n`);
    return 1;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr(`error: internal compiler error: ${message}\nnote: this is a bug in dslc; please report it with the .dl file that caused it${debug ? "" : " (run with --debug for a stack trace)"}\n`);
  if (debug && error instanceof Error && error.stack) io.stderr(error.stack + "\n");
  return 2;
}
