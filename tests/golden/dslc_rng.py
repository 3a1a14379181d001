"""dslc's counter-based RNG (runtime/rng.ts) and initializers (runtime/init.ts), ported to Python so that
PyTorch replays of .dl runs start from the same numbers as dslc. Shared by the golden-fixture scripts."""
import math

import torch

M32 = 0xFFFFFFFF


def mix32(h):
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & M32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & M32
    h ^= h >> 16
    return h


def hash4(seed, stream, counter, index):
    h = mix32((seed ^ 0x9E3779B9) & M32)
    h = mix32(h ^ (((stream + 1) * 0x27D4EB2F) & M32))
    h = mix32(h ^ (((counter + 1) * 0x165667B1) & M32))
    return mix32(h ^ (((index + 1) * 0x2545F491) & M32))


def rng_uniform(seed, stream, index):
    return (hash4(seed, stream, 0, index) >> 8) / 16777216


def rng_normal(seed, stream, index):
    u1 = 1 - rng_uniform(seed, stream, 2 * index)
    u2 = rng_uniform(seed, stream, 2 * index + 1)
    return math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2)


def init_uniform(shape, seed, param_index, a, b):
    n = math.prod(shape)
    return torch.tensor([a + (b - a) * rng_uniform(seed, 3000 + param_index, i) for i in range(n)], dtype=torch.float32).reshape(shape)


def init_normal(shape, seed, param_index, mean, std):
    n = math.prod(shape)
    return torch.tensor([mean + std * rng_normal(seed, 3000 + param_index, i) for i in range(n)], dtype=torch.float32).reshape(shape)
