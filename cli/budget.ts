// The device budget as diagnostics (E0602) pointing at the layer responsible, and the memory report that
// `dslc check --memory` prints.
import { planKernels } from "../codegen/wgsl/plan.js";
import type { CompileResult } from "../compiler/compile.js";
import { diagnostic, type Diagnostic } from "../compiler/diagnostics/diagnostic.js";
import { trainingBatchSize } from "../runtime/data/pipeline.js";
import type { Program } from "../runtime/program.js";
import { checkBudget, formatBytes, type BudgetProblem } from "../runtime/webgpu/budget.js";
import { memoryReport, planBuffers } from "../runtime/webgpu/buffers.js";
import { DEFAULT_LIMITS } from "../runtime/webgpu/limits.js";

export function budgetDiagnostics(problems: BudgetProblem[], compiled: CompileResult): Diagnostic[] {
  // A layer's output and its gradient exceed together: report each place once.
  const seen = new Set<string>();
  return problems.flatMap((p) => {
    const span = p.node === undefined ? undefined : compiled.spans.get(p.node);
    const key = span ? `${span.start}:${span.end}` : p.message;
    if (seen.has(key)) return [];
    seen.add(key);
    return [diagnostic("E0602", span, p.message, { label: span ? "too large for the device" : undefined, help: p.help })];
  });
}

export interface MemoryReport {
  batch: number;
  /** The batch the buffers are sized for (evaluation runs in batches of up to 512). */
  buffered_examples: number;
  bytes: Record<string, number>;
  total: number;
  parameter_chunks: number;
}

/** The device memory the program needs on WebGPU, and what exceeds WebGPU's default limits. */
export function memoryOf(program: Program, compiled: CompileResult): { report: MemoryReport; diagnostics: Diagnostic[] } {
  const plan = planKernels(program);
  const batch = trainingBatchSize(program);
  const buffers = planBuffers(program, plan, batch);
  const { kinds, total } = memoryReport(buffers);
  const report = { batch, buffered_examples: buffers.maxBatch, bytes: kinds, total, parameter_chunks: buffers.layout.chunks.length };
  return { report, diagnostics: budgetDiagnostics(checkBudget(program, plan, buffers, DEFAULT_LIMITS), compiled) };
}

export function formatMemory(file: string, report: MemoryReport): string {
  const rows = Object.entries(report.bytes).filter(([, n]) => n > 0);
  const width = Math.max(...rows.map(([kind]) => kind.length));
  return [
    `memory of ${file} on a WebGPU device (batch ${report.batch}; buffers hold ${report.buffered_examples} examples):`,
    ...rows.map(([kind, n]) => `  ${kind.padEnd(width)}  ${formatBytes(n).padStart(10)}`),
    `  ${"total".padEnd(width)}  ${formatBytes(report.total).padStart(10)}  (peak: every buffer is allocated for the whole run; activations share buffers by liveness)`,
    "",
  ].join("\n");
}
