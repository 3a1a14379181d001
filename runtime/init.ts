// Parameter initialization from the counter-based RNG (stream = parameter index), following
// torch.nn.init's formulas: bounds and deviations from the fans and gains the compiler computed.
import type { InitSpec } from "./program.js";
import { normal, uniform } from "./rng.js";

const INIT_STREAM = 3000;

export function initialize(data: Float32Array | Float64Array, init: InitSpec, fanIn: number, fanOut: number, seed: number, index: number): void {
  const stream = INIT_STREAM + index;
  const fill = (f: (i: number) => number) => {
    for (let i = 0; i < data.length; i++) data[i] = f(i);
  };
  const uniformIn = (a: number, b: number) => fill((i) => a + (b - a) * uniform(seed, stream, 0, i));
  const normalWith = (mean: number, std: number) => fill((i) => mean + std * normal(seed, stream, 0, i));
  switch (init.kind) {
    case "zeros":
      return fill(() => 0);
    case "ones":
      return fill(() => 1);
    case "constant":
      return fill(() => init.value);
    case "normal":
      return normalWith(init.mean, init.std);
    case "uniform":
      return uniformIn(init.a, init.b);
    case "xavier_uniform": {
      const bound = init.gain * Math.sqrt(6 / (fanIn + fanOut));
      return uniformIn(-bound, bound);
    }
    case "xavier_normal":
      return normalWith(0, init.gain * Math.sqrt(2 / (fanIn + fanOut)));
    case "kaiming_uniform": {
      const bound = init.gain * Math.sqrt(3 / (init.mode === "fan_in" ? fanIn : fanOut));
      return uniformIn(-bound, bound);
    }
    case "kaiming_normal":
      return normalWith(0, init.gain / Math.sqrt(init.mode === "fan_in" ? fanIn : fanOut));
    case "row_norms": {
      // Drawn into the same precision as `data`, so the norms are those of the values the other parameter holds.
      const source = data instanceof Float32Array ? new Float32Array(init.rows * init.cols) : new Float64Array(init.rows * init.cols);
      initialize(source, init.init, init.fanIn, init.fanOut, seed, init.index);
      return fill((r) => {
        let sum = 0;
        for (let c = 0; c < init.cols; c++) sum += source[r * init.cols + c]! ** 2;
        return Math.sqrt(sum);
      });
    }
  }
}
