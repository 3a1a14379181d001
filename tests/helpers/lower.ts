// Test helper: check a model's text and lower its elaboration to the graph IR, as training does.
import { expect } from "vitest";
import { DiagnosticBag } from "../../compiler/diagnostics/diagnostic.js";
import { ModelLowering, type LoweredModel } from "../../compiler/lower/model.js";
import { checkText } from "./parse.js";

export function lowerModelText(text: string, model = "M"): LoweredModel & { lowering: ModelLowering } {
  const checked = checkText(text);
  expect(checked.diagnostics.filter((d) => d.severity === "error").map((d) => d.message)).toEqual([]);
  const bag = new DiagnosticBag();
  const lowering = new ModelLowering(bag);
  const lowered = lowering.lower(checked.check.models.get(model)!.elaborated!);
  expect(bag.items.map((d) => d.message)).toEqual([]);
  return { ...lowered!, lowering };
}
