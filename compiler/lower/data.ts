// Lowering the data pipeline to the runtime's DataSpec: the source with its file path resolved against the
// .dl file's folder, the split, and the preprocessing transforms in order.
import * as path from "node:path";
import { isResolvedCall, type ResolvedCall } from "../builtins/types.js";
import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import type { Augmentation, DataSource, DataSpec, DataTransform } from "../../runtime/program.js";
import { lowerCall, type ArgReader } from "./reader.js";

export function lowerData(source: ResolvedCall, transforms: ResolvedCall[], baseDir: string, diagnostics: DiagnosticBag): DataSpec | undefined {
  const lowered = lowerCall(source, "the data source ", diagnostics, (a) => sourceOf(a, baseDir));
  let ok = lowered !== undefined;
  const spec: DataSpec = { source: lowered!, val: 0, test: 0, transforms: [] };
  for (const call of transforms) {
    // `split` sets the held-out shares; the others are steps of the pipeline.
    let inner = true;
    const transform = lowerCall(call, "the data transform ", diagnostics, (a) => lowerTransform(a, spec, diagnostics, () => (inner = false)) ?? null);
    ok = transform !== undefined && inner && ok;
    if (transform) spec.transforms.push(transform);
  }
  return ok ? spec : undefined;
}


function sourceOf(a: ArgReader, baseDir: string): DataSource {
  switch (a.call.builtin) {
    case "csv": {
      const shape = a.value("shape");
      const source: DataSource = { kind: "csv", path: path.resolve(baseDir, a.str("path")), label: a.str("label"), scale: a.num("scale") };
      return Array.isArray(shape) ? { ...source, shape: shape as number[] } : source;
    }
    case "idx": {
      const source: DataSource = { kind: "idx", images: path.resolve(baseDir, a.str("images")), labels: path.resolve(baseDir, a.str("labels")), scale: a.num("scale") };
      const test = optionalPair(a, baseDir, "test_images", "test_labels");
      return test ? { ...source, test: { images: test[0], labels: test[1] } } : source;
    }
    case "npy": {
      const source: DataSource = { kind: "npy", x: path.resolve(baseDir, a.str("x")), y: path.resolve(baseDir, a.str("y")), scale: a.num("scale") };
      const test = optionalPair(a, baseDir, "test_x", "test_y");
      return test ? { ...source, test: { x: test[0], y: test[1] } } : source;
    }
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

/** Two optional file arguments given together (the checker enforces both or neither), resolved. */
function optionalPair(a: ArgReader, baseDir: string, first: string, second: string): [string, string] | undefined {
  const [x, y] = [a.value(first), a.value(second)];
  return typeof x === "string" && typeof y === "string" ? [path.resolve(baseDir, x), path.resolve(baseDir, y)] : undefined;
}

/** A transform; `split` sets the held-out shares instead of adding a step. */
function lowerTransform(a: ArgReader, spec: DataSpec, diagnostics: DiagnosticBag, refused: () => void): DataTransform | undefined {
  switch (a.call.builtin) {
    case "split":
      spec.val = a.num("val");
      spec.test = a.num("test");
      return undefined;
    case "standardize":
      return { kind: "standardize", eps: a.num("eps"), per: a.str("per") as "feature" | "channel" };
    case "center":
      return { kind: "center", per: a.str("per") as "feature" | "channel" | "image" };
    case "pca":
      return { kind: "pca", components: a.num("components"), whiten: a.bool("whiten"), eps: a.num("eps") };
    case "whiten":
      return { kind: "whiten", eps: a.num("eps") };
    case "augment": {
      const list = a.value("with");
      const calls = (Array.isArray(list) ? list : []).filter(isResolvedCall);
      const lowered = calls.map((call) => lowerCall(call, "the augmentation ", diagnostics, lowerAugmentation));
      if (lowered.some((l) => l === undefined)) refused();
      return { kind: "augment", with: lowered.filter((l): l is Augmentation => l !== undefined) };
    }
    case "subset":
      return { kind: "subset", n: a.num("n") };
    default:
      throw new Error(`internal: no lowering for the data transform \`${a.call.builtin}\``);
  }
}

function lowerAugmentation(a: ArgReader): Augmentation {
  switch (a.call.builtin) {
    case "hflip":
      return { kind: "hflip", p: a.num("p") };
    case "random_crop":
      return { kind: "random_crop", padding: a.num("padding") };
    case "random_scale":
      return { kind: "random_scale", min: a.num("min"), max: a.num("max") };
    case "brightness":
      return { kind: "brightness", amount: a.num("amount") };
    case "contrast":
      return { kind: "contrast", amount: a.num("amount") };
    case "gaussian_noise":
      return { kind: "gaussian_noise", std: a.num("std") };
    case "cutout":
      return { kind: "cutout", size: a.num("size"), count: a.num("count") };
    default:
      throw new Error(`internal: no lowering for the augmentation \`${a.call.builtin}\``);
  }
}
