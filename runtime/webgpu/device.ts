// Acquiring a WebGPU device through Dawn's Node binding (npm `webgpu`), with a diagnostic that names the fix
// when no adapter exists. The object returned by create() must stay alive as long as the device is used:
// if it is garbage collected, Dawn aborts the process.

export class NoAdapterError extends Error {
  readonly help =
    "install a GPU driver with Vulkan support, or on Linux Mesa's lavapipe (Debian bookworm: mesa-vulkan-drivers from bookworm-backports) and set XDG_RUNTIME_DIR; or train with `--backend cpu`";
}

/**
 * Every Dawn instance this process created. Dawn aborts the process if an instance is garbage collected
 * while anything it made is alive, so instances are never released before exit.
 */
const instances: unknown[] = [];

export interface GpuContext {
  device: GPUDevice;
  adapterName: string;
  /** A CPU rasterizer (lavapipe, SwiftShader) rather than a GPU: kernels are shaped differently for it. */
  kind: "software" | "gpu";
  /** Keeps Dawn's instance alive; see the note above. */
  instance: unknown;
  destroy(): void;
}

/** `adapter` picks an adapter whose name contains it (Dawn's `adapter=` option), e.g. "llvmpipe". */
export async function acquireDevice(options: { adapter?: string } = {}): Promise<GpuContext> {
  if (!process.env["XDG_RUNTIME_DIR"]) process.env["XDG_RUNTIME_DIR"] = "/tmp";
  let module: { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
  try {
    module = (await import("webgpu")) as unknown as typeof module;
  } catch (error) {
    throw new NoAdapterError(`the WebGPU binding could not be loaded: ${(error as Error).message}`);
  }
  Object.assign(globalThis, module.globals);
  const instance = module.create(options.adapter ? [`adapter=${options.adapter}`] : []);
  instances.push(instance);
  let adapter: GPUAdapter | null;
  try {
    adapter = await instance.requestAdapter();
  } catch {
    // Dawn throws ("no suitable backends found") rather than resolving to null when nothing matches.
    adapter = null;
  }
  if (!adapter) throw new NoAdapterError(options.adapter ? `no WebGPU adapter matching \`${options.adapter}\` was found` : "no WebGPU adapter was found on this machine");
  const limits = adapter.limits;
  const device = await adapter.requestDevice({
    requiredLimits: { maxStorageBuffersPerShaderStage: limits.maxStorageBuffersPerShaderStage, maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize, maxBufferSize: limits.maxBufferSize },
  });
  const info = adapter.info as GPUAdapterInfo | undefined;
  const adapterName = [info?.vendor, info?.description || info?.device || info?.architecture].filter(Boolean).join(" ") || "WebGPU adapter";
  const software = info?.architecture === "software" || /llvmpipe|lavapipe|swiftshader/i.test(`${info?.device ?? ""} ${info?.description ?? ""}`);
  return {
    device,
    adapterName,
    kind: software ? "software" : "gpu",
    instance,
    destroy: () => device.destroy(),
  };
}
