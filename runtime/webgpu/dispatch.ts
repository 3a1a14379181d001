// How many workgroups a generated kernel's dispatch needs for a given batch size.
import type { Dispatch, GridAxis } from "../../codegen/wgsl/kernels.js";

/** Threads per workgroup of the elementwise and row kernels (codegen/wgsl/kernels.ts). */
const WORKGROUP = 64;
/** WebGPU's default limit per grid dimension; larger element counts spill into y. */
const MAX_GROUPS = 65535;

export function workgroupCount(dispatch: Dispatch, batch: number): [number, number, number] {
  const size = (d: number | string) => (d === "N" ? batch : (d as number));
  switch (dispatch.kind) {
    case "single":
      return [1, 1, 1];
    case "groups":
      return dispatch.count <= MAX_GROUPS ? [dispatch.count, 1, 1] : [MAX_GROUPS, Math.ceil(dispatch.count / MAX_GROUPS), 1];
    case "tiles":
      return [Math.ceil(size(dispatch.cols) / dispatch.tileCols), Math.ceil(size(dispatch.rows) / dispatch.tileRows), 1];
    case "grid": {
      const axis = (a: GridAxis | undefined) => (a ? Math.max(1, Math.ceil(a.elements.reduce<number>((p, d) => p * size(d), 1) / a.per)) : 1);
      return [axis(dispatch.x), axis(dispatch.y), axis(dispatch.z)];
    }
    default: {
      const groups = Math.ceil(dispatch.shape.reduce<number>((p, d) => p * size(d), 1) / WORKGROUP);
      return groups <= MAX_GROUPS ? [Math.max(1, groups), 1, 1] : [MAX_GROUPS, Math.ceil(groups / MAX_GROUPS), 1];
    }
  }
}
