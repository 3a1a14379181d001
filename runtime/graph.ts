// Which nodes of a program a set of targets depends on in one mode: `select_mode` follows only the branch
// of that mode. Shared by the CPU interpreter and the WGSL kernel planner.

export interface GraphNodeLike {
  op: string;
  inputs: number[];
}

export function neededNodes(nodes: GraphNodeLike[], targets: number[], training: boolean): boolean[] {
  const need = new Array<boolean>(nodes.length).fill(false);
  const stack = [...targets];
  while (stack.length) {
    const id = stack.pop()!;
    if (need[id]) continue;
    need[id] = true;
    const node = nodes[id]!;
    stack.push(...(node.op === "select_mode" ? [node.inputs[training ? 0 : 1]!] : node.inputs));
  }
  return need;
}
