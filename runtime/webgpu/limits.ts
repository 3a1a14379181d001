// The WebGPU limits that generated programs must respect. The defaults are what every WebGPU device
// guarantees (the spec's default limits); when training, the adapter's own limits (often larger) apply.

export interface DeviceLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  maxStorageBuffersPerShaderStage: number;
  maxComputeWorkgroupsPerDimension: number;
}

export const DEFAULT_LIMITS: DeviceLimits = {
  maxStorageBufferBindingSize: 128 * 1024 * 1024,
  maxBufferSize: 256 * 1024 * 1024,
  maxStorageBuffersPerShaderStage: 8,
  maxComputeWorkgroupsPerDimension: 65535,
};
