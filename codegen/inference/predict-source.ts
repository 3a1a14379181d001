// predict.mts of an inference bundle: a short program that reads like hand-written code, imports only the
// runtime, and classifies the examples of a file (or prints a regression model's values).
import * as prettier from "prettier";
import { tsComment } from "../escape.js";
import type { InferenceProgram } from "../../runtime/inference/types.js";

export async function predictSource(program: InferenceProgram, sourceFile: string, version: string): Promise<string> {
  const classifies = program.task === "classification";
  // The model and file names are user text: they reach the program only through tsComment, one line each.
  const report = classifies
    ? `
  const { classes, confidence } = await model.classify(x, count);
  for (let i = 0; i < count; i++) {
    console.log(\`example \${i}: class \${classes[i]} (probability \${confidence[i]!.toFixed(4)})\`);
  }`
    : `
  const values = await model.probabilities(x, count);
  for (let i = 0; i < count; i++) {
    const row = Array.from(values.subarray(i * model.outputSize, (i + 1) * model.outputSize));
    console.log(\`example \${i}: \${row.map((v) => v.toPrecision(6)).join(", ")}\`);
  }`;
  const source = `
${tsComment(`${classifies ? "Classifies examples with" : "Predicts with"} ${program.model}, exported by dslc ${version} from ${sourceFile}.`)}
// Run: npx tsx predict.mts INPUT.npy|INPUT.csv [--backend cpu] [--label COLUMN]
// INPUT holds one example per row (a CSV with a header line; --label leaves out that column) or, as .npy,
// along its first axis. The forward pass is in ./kernels, the model in ./bundle.json and its weights in
// ./weights.safetensors. Edit this file freely: it only calls the runtime.
import { describeFailure, loadModel, readExamples } from "dslc/runtime";

function option(name: string): string | undefined {
  const index = process.argv.indexOf(\`--\${name}\`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

async function main(input: string): Promise<void> {
  const backend = option("backend") === "cpu" ? "cpu" : "webgpu";
  const model = await loadModel(new URL(".", import.meta.url), { backend });
  try {
    const { x, count } = readExamples(input, model.inputSize, { label: option("label") });${report}
  } finally {
    model.close();
  }
}

const input = process.argv[2];
if (input === undefined || input.startsWith("--")) {
  console.error("usage: npx tsx predict.mts INPUT.npy|INPUT.csv [--backend cpu] [--label COLUMN]");
  process.exitCode = 2;
} else {
  await main(input).catch((error: unknown) => {
    console.error(describeFailure(error));
    process.exitCode = 1;
  });
}
`;
  return prettier.format(source, { parser: "typescript", printWidth: 100 });
}
