// `dslc train`'s default backend is the runtime's rule, shared with the emitted train.mts: see
// runtime/backend-choice.ts.
export { type BackendChoice, CPU_BELOW_FLOPS, defaultBackend, stepFlops } from "../runtime/backend-choice.js";
