// Lowering the data pipeline to the runtime's DataSpec: the source with its file path resolved against the
// .dl file's folder, the split, and the preprocessing transforms in order.
import * as path from "node:path";
import type { ResolvedCall } from "../builtins/types.js";
import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import type { DataSource, DataSpec, DataTransform } from "../../runtime/program.js";
import { lowerCall, type ArgReader } from "./reader.js";

export function lowerData(source: ResolvedCall, transforms: ResolvedCall[], baseDir: string, diagnostics: DiagnosticBag): DataSpec | undefined {
  const lowered = lowerCall(source, "the data source ", diagnostics, (a) => sourceOf(a, baseDir));
  let ok = lowered !== undefined;
  const spec: DataSpec = { source: lowered!, val: 0, test: 0, transforms: [] };
  for (const call of transforms) {
    // `split` sets the held-out shares; the others are steps of the pipeline.
    const transform = lowerCall(call, "the data transform ", diagnostics, (a) => lowerTransform(a, spec) ?? null);
    ok = transform !== undefined && ok;
    if (transform) spec.transforms.push(transform);
  }
  return ok ? spec : undefined;
}


function sourceOf(a: ArgReader, baseDir: string): DataSource {
  switch (a.call.builtin) {
    case "csv":
      return { kind: "csv", path: path.resolve(baseDir, a.str("path")), label: a.str("label") };
    case "sine":
      return { kind: "sine", n: a.num("n"), from: a.num("from"), to: a.num("to"), noise: a.num("noise") };
    case "xor":
      return { kind: "xor", n: a.num("n"), noise: a.num("noise") };
    case "spirals":
      return { kind: "spirals", n: a.num("n"), classes: a.num("classes"), noise: a.num("noise") };
    case "blobs":
      return { kind: "blobs", n: a.num("n"), classes: a.num("classes"), features: a.num("features"), std: a.num("std") };
    default:
      throw new Error(`internal: no lowering for the data source \`${a.call.builtin}\``);
  }
}

/** A transform; `split` sets the held-out shares instead of adding a step. */
function lowerTransform(a: ArgReader, spec: DataSpec): DataTransform | undefined {
  switch (a.call.builtin) {
    case "split":
      spec.val = a.num("val");
      spec.test = a.num("test");
      return undefined;
    case "standardize":
      // Only per feature runs; `per: channel` is left unread and so refused by the reader.
      if (a.call.args.get("per") === "feature") a.value("per");
      return { kind: "standardize", eps: a.num("eps") };
    case "center":
      if (a.call.args.get("per") === "feature") a.value("per");
      return { kind: "center" };
    case "subset":
      return { kind: "subset", n: a.num("n") };
    default:
      throw new Error(`internal: no lowering for the data transform \`${a.call.builtin}\``);
  }
}
