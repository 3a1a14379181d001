// Human-readable signatures of builtins, shared by hover, completion and docs.
import { CATEGORY_NOUN, type BuiltinSpec, type ParamSpec } from "./types.js";

export function paramText(param: ParamSpec): string {
  if (param.required) return param.name;
  return param.default === undefined ? `${param.name}?` : `${param.name} = ${String(param.default)}`;
}

export function signature(spec: BuiltinSpec): string {
  return `${spec.name}(${spec.params.map(paramText).join(", ")})`;
}

/** Markdown: the signature, what kind of builtin it is, its documentation and one line per argument. */
export function describeBuiltin(spec: BuiltinSpec): string {
  const lines = ["```dl", signature(spec), "```", `*${CATEGORY_NOUN[spec.category]}*${spec.aliases?.length ? ` (also \`${spec.aliases.join("`, `")}\`)` : ""}: ${spec.doc}`];
  if (spec.params.length) {
    lines.push("");
    for (const param of spec.params) lines.push(`- \`${param.name}\`${param.required ? " (required)" : param.default !== undefined ? ` = \`${String(param.default)}\`` : ""}: ${param.doc}`);
  }
  return lines.join("\n");
}
