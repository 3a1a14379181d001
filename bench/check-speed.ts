// How fast the front end checks a large file: parse alone, and parse + check, on a generated 2,000-line
// model, after warm-up. Prints timings; asserts nothing (speed is measured, not tested).
// Run: npm run bench:check
import { performance } from "node:perf_hooks";
import { parse } from "../grammar/parse.js";
import { runFrontend } from "../compiler/frontend.js";
import { generateModel } from "./generate.js";

function measure(label: string, runs: number, fn: () => void): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  const p95 = times[Math.min(times.length - 1, Math.floor(times.length * 0.95))]!;
  console.log(`${label.padEnd(34)} median ${median.toFixed(1).padStart(6)} ms   p95 ${p95.toFixed(1).padStart(6)} ms   (${runs} runs)`);
  return median;
}

const text = generateModel(2000);
const lines = text.split("\n").length - 1;
const first = performance.now();
const result = runFrontend(text, "generated.dl");
const cold = performance.now() - first;
if (result.diagnostics.length > 0) {
  console.error("the generated model does not check clean:", result.diagnostics.slice(0, 3).map((d) => d.message));
  process.exit(1);
}
console.log(`generated model: ${lines} lines, ${text.length} bytes; first check (cold) ${cold.toFixed(1)} ms`);
for (let i = 0; i < 20; i++) runFrontend(text, "generated.dl");
measure("parse only (warm)", 30, () => parse(text));
const median = measure("parse + check (warm)", 30, () => runFrontend(text, "generated.dl"));
console.log(`target: well under 100 ms after warm-up; measured median is ${(median / 100).toFixed(2)}× the target`);
