// The run's settings as the report's table shows them, read from the Program (what actually ran, after
// lowering: defaults filled in, paths resolved), in the language's words where they differ.
import type { ScheduleSpec } from "../schedules.js";
import type { DataSource, DataTransform, Program } from "../program.js";

/** `kind(a: 1, b: 2)` from a tagged object; nested objects and lists are written inline. */
function call(spec: { kind: string } & object): string {
  const args = Object.entries(spec).filter(([k]) => k !== "kind").map(([k, v]) => `${snake(k)}: ${value(v)}`);
  return `${spec.kind}(${args.join(", ")})`;
}

function value(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(value).join(", ")}]`;
  if (v !== null && typeof v === "object") return "kind" in v ? call(v as { kind: string }) : `{${Object.entries(v).map(([k, x]) => `${snake(k)}: ${value(x)}`).join(", ")}}`;
  if (typeof v === "string") return JSON.stringify(v);
  return String(v);
}

/** The Program's camelCase fields in the language's snake_case (weightDecay → weight_decay). */
function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function schedule(spec: ScheduleSpec): string {
  if (spec.kind === "sequence") return spec.parts.map((p) => `${schedule(p.schedule)} for ${p.length} steps`).join(" then ");
  return call(spec);
}

function source(s: DataSource): string {
  return call(s);
}

function transform(t: DataTransform): string {
  return t.kind === "augment" ? `augment([${t.with.map(call).join(", ")}])` : call(t);
}

export function settingsRows(program: Program): [string, string][] {
  const { loop, data } = program;
  const parameters = program.params.reduce((sum, p) => sum + p.shape.reduce((a, d) => a * d, 1), 0);
  const rows: [string, string][] = [
    ["model", `${program.model} (${program.task}; ${parameters.toLocaleString("en-US")} parameters in ${program.params.length} tensors)`],
    ["optimizer", call(program.optimizer)],
    ["learning rate", String(program.optimizer.lr)],
    ["schedule", program.schedule.plateau ? call({ kind: "plateau", ...program.schedule.plateau }) : `${schedule(program.schedule.spec)}, per ${program.schedule.per}`],
    ["batch", String(loop.batch)],
    ["epochs", String(loop.epochs)],
    ["steps", String(loop.steps)],
    ["seed", String(loop.seed)],
    ["shuffle", `${loop.shuffle}${loop.dropLast ? ", drop_last" : ""}`],
    ["log_every", `${loop.logEvery} steps`],
    ["eval_every", `${loop.evalEvery.count} ${loop.evalEvery.unit}`],
    ["monitor", loop.monitor.join(", ")],
    ["data", source(data.source)],
    ["split", `val ${data.val}, test ${data.test}`],
    ["transforms", data.transforms.length ? data.transforms.map(transform).join(" |> ") : "none"],
  ];
  if (program.clip) rows.push(["clip", `grad_${program.clip.kind}(max: ${program.clip.max})`]);
  if (program.maxNorm) rows.push(["max_norm", `${program.maxNorm.value} on ${program.maxNorm.params.map((n) => program.params.find((p) => p.node === n)?.name ?? n).join(", ")}`]);
  if (loop.earlyStopping) rows.push(["early_stopping", call({ kind: "early_stopping", ...loop.earlyStopping })]);
  if (program.initialLoss) rows.push(["expected initial loss", `${program.initialLoss.value.toPrecision(4)} (${program.initialLoss.reason})`]);
  return rows;
}
