// Why an exported model cannot run: its bundle or weights do not fit its program (E0830), the examples handed
// to it do not have the model's input shape (E0831), or the largest batch asked for does not fit the device
// (E0832). Raised at run time by the inference runners and predict.mts.
import { DataError } from "../data/errors.js";
import { NoAdapterError } from "../webgpu/device.js";

export type InferenceErrorCode = "E0830" | "E0831" | "E0832";

export class InferenceError extends Error {
  constructor(
    readonly code: InferenceErrorCode,
    message: string,
    readonly help: string,
  ) {
    super(message);
  }
}

/**
 * What predict.mts prints when it cannot predict: `error[CODE]: message` and a help line for the failures a
 * user can fix (a bundle or weights that do not fit, an input of the wrong shape, a data file that cannot be
 * read, no WebGPU adapter); anything else is a bug, printed as one line without a stack trace.
 */
export function describeFailure(error: unknown): string {
  if (error instanceof InferenceError) return `error[${error.code}]: ${error.message}\n  = help: ${error.help}`;
  // The data readers' help speaks of the .dl file's folder; here paths are relative to the working folder.
  if (error instanceof DataError) return `error[${error.code}]: ${error.message}\n  = help: ${error.code === "E0501" ? "check the path: it is relative to the folder predict.mts is run from" : (error.help ?? "fix the input file, then run again")}`;
  if (error instanceof NoAdapterError) return `error: ${error.message}\n  = help: ${error.help.replace("train with", "predict with")}`;
  return `error: internal error in dslc's runtime: ${error instanceof Error ? error.message : String(error)}\nnote: this is a bug in dslc; please report it with the bundle that caused it`;
}
