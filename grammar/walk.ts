// Generic traversal of the AST: the children of a node, and the chain of nodes that contain an offset.
// Used by the symbol index and the language server; knows nothing about what the nodes mean.
import type * as A from "./ast.js";

export type Node = A.Item | A.Statement | A.Expr | A.Param | A.TypeExpr | A.Argument | A.Identifier;

/** The direct children of a node, in source order. */
export function children(node: Node): Node[] {
  if (!("kind" in node)) {
    // Param or Argument
    if ("value" in node) return [...(node.name ? [node.name] : []), node.value];
    return [node.name, ...(node.type ? [node.type] : []), ...(node.default ? [node.default] : [])];
  }
  switch (node.kind) {
    case "Model":
    case "Block":
      return [node.name, ...node.params, ...(node.output ? [node.output] : []), ...node.body];
    case "Train":
      return [...(node.model ? [node.model] : []), ...node.body];
    case "Search":
      return node.body;
    case "Let":
      return [node.name, node.value];
    case "Assign":
    case "Sample":
      return [node.target, node.value];
    case "Setting":
      return [node.name, node.value];
    case "Directive":
      return [node.call];
    case "Return":
      return [node.value];
    case "Type":
      return [node.name, ...(node.dims ?? [])];
    case "Call":
      return [node.callee, ...node.args];
    case "Member":
      return [node.object, node.property];
    case "Pipeline":
      return node.stages;
    case "Sequence":
      return node.parts;
    case "Binary":
      return [node.left, node.right];
    case "Negate":
      return [node.operand];
    case "List":
      return node.items;
    case "Paren":
      return [node.inner];
    default:
      return [];
  }
}

/** Nodes containing `offset`, outermost first. An offset at a node's end counts (the cursor after a word). */
export function nodesAt(file: A.DlFile, offset: number): Node[] {
  const chain: Node[] = [];
  let level: Node[] = file.items;
  for (;;) {
    const hit = level.find((n) => n.span.start <= offset && offset <= n.span.end);
    if (!hit) return chain;
    chain.push(hit);
    level = children(hit);
  }
}

/** Calls `visit` on every node below (and including) `node`, parents before children. */
export function forEachNode(node: Node, visit: (node: Node, parent: Node | undefined) => void, parent?: Node): void {
  visit(node, parent);
  for (const child of children(node)) forEachNode(child, visit, node);
}
