// Memory planning: values that live only within a step (activations, gradients) share device buffers by
// liveness. Walking the kernels in dispatch order, a value's buffer is returned to the pool after the last
// kernel that reads it, and the next value takes the smallest free buffer that fits. Parameters, state,
// optimizer moments, inputs, labels and metrics persist across steps and are never shared. Training and
// evaluation never run at the same time, so their plans draw on the same pool.

export interface Binding {
  node: number | string;
  write: boolean;
}

export interface MemoryPlan {
  /** Value → slot index, per mode. */
  slots: Map<number | string, number>[];
  /** Size in bytes of each shared slot. */
  slotBytes: number[];
}

/**
 * Plans the transient values of each mode (a list of kernels' bindings in dispatch order, already
 * resolved through aliases). `bytesOf` gives a value's size; `persistent` values are left out.
 */
export function planMemory(modes: Binding[][][], bytesOf: (node: number | string) => number, persistent: (node: number | string) => boolean): MemoryPlan {
  const slotBytes: number[] = [];
  const slots = modes.map((kernels) => {
    const lastUse = new Map<number | string, number>();
    kernels.forEach((bindings, i) => bindings.forEach((b) => lastUse.set(b.node, i)));
    const assigned = new Map<number | string, number>();
    const free: number[] = [];
    const inUse = new Set<number>();
    kernels.forEach((bindings, i) => {
      for (const b of bindings) {
        if (!b.write || persistent(b.node) || assigned.has(b.node)) continue;
        const size = bytesOf(b.node);
        // Best fit among free slots; grow a slot if none is large enough and one is free.
        free.sort((x, y) => slotBytes[x]! - slotBytes[y]!);
        let index = free.findIndex((s) => slotBytes[s]! >= size);
        if (index < 0 && free.length > 0) index = free.length - 1;
        let slot: number;
        if (index >= 0) {
          slot = free.splice(index, 1)[0]!;
          slotBytes[slot] = Math.max(slotBytes[slot]!, size);
        } else {
          slot = slotBytes.length;
          slotBytes.push(size);
        }
        assigned.set(b.node, slot);
        inUse.add(slot);
      }
      // Release what this kernel read for the last time (never before the kernel that reads it).
      for (const b of bindings) {
        const slot = assigned.get(b.node);
        if (slot !== undefined && lastUse.get(b.node) === i && inUse.delete(slot)) free.push(slot);
      }
    });
    return assigned;
  });
  return { slots, slotBytes };
}
