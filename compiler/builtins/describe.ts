// Human-readable signatures of builtins, shared by hover, completion and docs.
import { CATEGORY_NOUN, isDuration, isResolvedCall, type ArgValue, type BuiltinSpec, type DefaultValue, type ParamSpec, type ResolvedCall } from "./types.js";

export function formatDefault(value: DefaultValue): string {
  if (Array.isArray(value)) return `[${value.map(formatDefault).join(", ")}]`;
  if (typeof value === "object") return `${value.count} ${value.unit}`;
  return String(value);
}

/** The default as a user would write it (`[0.9, 0.999]`, `1 epochs`, `-pi`), or undefined when there is none. */
export function defaultText(param: ParamSpec): string | undefined {
  if (param.defaultText !== undefined) return param.defaultText;
  if (param.sameAs !== undefined) return param.sameAs;
  return param.default === undefined ? undefined : formatDefault(param.default);
}

function formatValue(value: ArgValue): string {
  if (Array.isArray(value)) return `[${value.map(formatValue).join(", ")}]`;
  if (isDuration(value)) return `${value.count} ${value.unit}`;
  if (isResolvedCall(value)) return formatResolved(value);
  if (typeof value === "string") return /^[A-Za-z_][A-Za-z0-9_]*$/.test(value) ? value : JSON.stringify(value);
  return String(value);
}

/**
 * A call as the checker resolved it, every argument by name (`sgd(lr: 0.1, momentum: 0.9, dampening: 0, …)`):
 * what training will use. Arguments with no value (optional, no default) are left out.
 */
export function formatResolved(call: ResolvedCall): string {
  const args = [...call.args].filter(([, value]) => value !== undefined).map(([name, value]) => `${name}: ${formatValue(value)}`);
  return `${call.builtin}(${args.join(", ")})`;
}

export function paramText(param: ParamSpec): string {
  if (param.required) return param.name;
  const text = defaultText(param);
  return text === undefined ? `${param.name}?` : `${param.name} = ${text}`;
}

export function signature(spec: BuiltinSpec): string {
  return `${spec.name}(${spec.params.map(paramText).join(", ")})`;
}

/** Markdown: the signature, what kind of builtin it is, its documentation and one line per argument. */
export function describeBuiltin(spec: BuiltinSpec): string {
  const lines = ["```dl", signature(spec), "```", `*${CATEGORY_NOUN[spec.category]}*${spec.aliases?.length ? ` (also \`${spec.aliases.join("`, `")}\`)` : ""}: ${spec.doc}`];
  if (spec.params.length) {
    lines.push("");
    for (const param of spec.params) {
      const text = defaultText(param);
      lines.push(`- \`${param.name}\`${param.required ? " (required)" : text !== undefined ? ` = \`${text}\`` : ""}: ${param.doc}`);
    }
  }
  return lines.join("\n");
}
