// Layer objects and their names. A layer written once is one object, one set of weights, however often it
// is applied; a block body is a scope whose layers are created the first time it runs and found again when
// the same block object runs again (a named block applied twice shares its weights, as a named layer does).
// Names are the prefixes of parameter names: a layer bound by assignment takes that name (`fc1`), others
// a numbered one per kind (`dense_0`), inside blocks after the block's own name (`Residual_1.dense_0`).
import type { ResolvedCall } from "../builtins/types.js";
import type { LayerInstance, ParamInstance } from "./elaborated.js";

/** Names used in one model, so that every prefix is unique. */
export class ModelNames {
  private readonly taken = new Set<string>();

  claim(name: string): boolean {
    if (this.taken.has(name)) return false;
    this.taken.add(name);
    return true;
  }
}

/** A layer (builtin or block) created by an expression; named when first applied. */
export class NamedObject {
  boundName?: string;
  name?: string;

  constructor(readonly kind: string) {}

  bind(name: string): void {
    this.boundName ??= name;
  }
}

export class InstanceScope {
  private readonly counters = new Map<string, number>();
  private readonly layers: LayerInstance[] = [];
  private readonly objects: NamedObject[] = [];
  private readonly params: ParamInstance[] = [];
  private cursor = { layers: 0, objects: 0, params: 0 };

  constructor(
    readonly prefix: string,
    private readonly names: ModelNames,
  ) {}

  /** Starts another run of the same body: objects are found again in creation order instead of created. */
  rewind(): void {
    this.cursor = { layers: 0, objects: 0, params: 0 };
  }

  /** A child scope for a block object named `name`. */
  child(name: string): InstanceScope {
    return new InstanceScope(`${this.prefix}${name}.`, this.names);
  }

  /** The next layer object of this body for a builtin layer call. */
  layer(call: ResolvedCall): { instance: LayerInstance; object: NamedObject } {
    const index = this.cursor.layers++;
    const objectIndex = this.cursor.objects++;
    if (index < this.layers.length) return { instance: this.layers[index]!, object: this.objects[objectIndex]! };
    const object = new NamedObject(call.builtin);
    const instance: LayerInstance = { name: "", call };
    this.layers.push(instance);
    this.objects.push(object);
    return { instance, object };
  }

  /** The next block object of this body. */
  block(kind: string): NamedObject {
    const index = this.cursor.objects++;
    if (index < this.objects.length) return this.objects[index]!;
    const object = new NamedObject(kind);
    this.objects.push(object);
    return object;
  }

  /** The next `param(…)` of this body; named by the assignment that binds it, or numbered. */
  param(shape: number[], init: ResolvedCall): ParamInstance {
    const index = this.cursor.params++;
    if (index < this.params.length) return this.params[index]!;
    const param: ParamInstance = { name: "", shape, init };
    this.params.push(param);
    return param;
  }

  /** The object's full name, given on first use: its bound name where free, else `kind_n`. */
  nameOf(object: NamedObject): string {
    if (object.name !== undefined) return object.name;
    object.name = object.boundName !== undefined && this.names.claim(this.prefix + object.boundName) ? this.prefix + object.boundName : this.fresh(object.kind);
    return object.name;
  }

  nameParam(param: ParamInstance, bound?: string): void {
    if (param.name !== "") return;
    param.name = bound !== undefined && this.names.claim(this.prefix + bound) ? this.prefix + bound : this.fresh("param");
  }

  /** `param(…)`s that no assignment named (`a + param([1])`) are numbered once the body has run. */
  nameUnboundParams(): void {
    for (const param of this.params) this.nameParam(param);
  }

  private fresh(kind: string): string {
    for (;;) {
      const n = this.counters.get(kind) ?? 0;
      this.counters.set(kind, n + 1);
      const name = `${this.prefix}${kind}_${n}`;
      if (this.names.claim(name)) return name;
    }
  }
}
