// Generates a large, valid .dl file for timing the front end: blocks, a long model, and a train block.
export function generateModel(lines: number): string {
  const out: string[] = [
    "# generated for benchmarking",
    "let width = 64",
    "",
    "block Residual(x: f32[N, D], act: activation = relu) -> f32[N, D] {",
    "  h = x |> dense(D) |> act |> dense(D)",
    "  return (x + h) |> act",
    "}",
    "",
    "model Big(x: f32[N, 64]) -> f32[N, 10] {",
    "  h0 = x |> dense(width) |> batchnorm |> relu",
  ];
  let i = 0;
  while (out.length < lines - 12) {
    i++;
    const step = i % 3;
    if (step === 0) out.push(`  h${i} = h${i - 1} |> Residual(act: leaky_relu(0.1)) # stage ${i}`);
    else if (step === 1) out.push(`  h${i} = h${i - 1} |> dense(width, init: kaiming_normal(nonlinearity: relu)) |> relu |> dropout(0.1)`);
    else out.push(`  h${i} = (h${i - 1} + h${i - 2}) * 0.5`);
  }
  out.push(`  return h${i} |> dense(10)`, "}", "", "train {");
  out.push("  data = blobs(n: 1000, classes: 10, features: 64) |> split(val: 0.2) |> standardize");
  out.push("  loss = cross_entropy(label_smoothing: 0.1) + 1e-4 * l2(weights)");
  out.push("  optimizer = adamw(lr: 1e-3) |> group(biases, weight_decay: 0)");
  out.push("  schedule = warmup(100 steps) then cosine(to: 1e-5)");
  out.push("  epochs 10", "  batch 64", "}");
  return out.join("\n") + "\n";
}
