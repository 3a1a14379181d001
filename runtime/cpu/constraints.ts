// The CPU reference of gradient clipping and the max-norm constraint (runtime/program.ts ClipSpec,
// MaxNormSpec), as PyTorch 1.13's torch.nn.utils.clip_grad_norm_, clip_grad_value_ and torch.renorm. Sums of
// squares are taken in float64; PyTorch's f32 reductions differ from them by rounding only.
import type { ClipSpec } from "../program.js";
import type { Floats } from "./optimizers.js";

/** The L2 norm of all the gradients together, ‖(g₁, …, gₖ)‖ (clip_grad_norm_'s total_norm). */
export function globalNorm(grads: Floats[]): number {
  let sum = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) sum += g[i]! * g[i]!;
  return Math.sqrt(sum);
}

/** The gradients the optimizer uses: clipped copies (the originals stay as backward left them, for the probe). */
export function clipGradients(clip: ClipSpec | undefined, grads: Floats[]): Floats[] {
  if (!clip) return grads;
  if (clip.kind === "value") return grads.map((g) => g.map((v) => Math.min(Math.max(v, -clip.max), clip.max)));
  // PyTorch multiplies by the coefficient clamped at 1 on every step; multiplying by 1 is exact, so skip it.
  const coefficient = clip.max / (globalNorm(grads) + 1e-6);
  if (!(coefficient < 1)) return grads;
  // Rounded to f32 as PyTorch's f32 clip_coef tensor is, then each product rounded by the array type.
  const c = Math.fround(coefficient);
  return grads.map((g) => g.map((v) => v * c));
}

/**
 * torch.renorm(w, p=2, dim=0, maxnorm) in place: each slice along axis 0 whose L2 norm exceeds `maxNorm` is
 * multiplied by maxNorm / (norm + 1e-7).
 */
export function renormRows(data: Floats, rows: number, maxNorm: number): void {
  const cols = data.length / rows;
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += data[r * cols + j]! ** 2;
    const norm = Math.sqrt(sum);
    if (!(norm > maxNorm)) continue;
    const scale = maxNorm / (norm + 1e-7);
    for (let j = 0; j < cols; j++) data[r * cols + j] = data[r * cols + j]! * scale;
  }
}
