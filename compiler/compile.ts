// From source text to a training Program: the front end, then (when it found no errors) lowering and
// autodiff. Diagnostics of both phases come back together.
import type { DataProbe } from "./check/context.js";
import { DiagnosticBag, type Diagnostic, type Span } from "./diagnostics/diagnostic.js";
import type { TrainOverrides } from "./check/train.js";
import { runFrontend, type FrontendResult } from "./frontend.js";
import { lowerProgram } from "./lower/program.js";
import type { Program } from "../runtime/program.js";

export interface CompileResult {
  frontend: FrontendResult;
  program?: Program;
  diagnostics: Diagnostic[];
  /** Where each node of the program's model comes from (its layer or expression), for diagnostics about it. */
  spans: Map<number, Span>;
}

/** Settings given on the command line that replace the file's; the checker elaborates with them, so the schedule's horizon follows. */
export type Overrides = TrainOverrides;

export function compileProgram(text: string, path: string, probe?: DataProbe, overrides: Overrides = {}): CompileResult {
  const frontend = runFrontend(text, path, probe, overrides);
  const spans = new Map<number, Span>();
  if (frontend.diagnostics.some((d) => d.severity === "error")) return { frontend, diagnostics: frontend.diagnostics, spans };
  const bag = new DiagnosticBag();
  const program = lowerProgram(frontend.check, bag, path, spans);
  return { frontend, program: bag.hasErrors ? undefined : program, diagnostics: [...frontend.diagnostics, ...bag.items], spans };
}
