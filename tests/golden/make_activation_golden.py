"""Golden values from PyTorch 1.13 for dslc's activations (GELU, SiLU, ELU, log_softmax) and weight normalization.

Run with Debian's Python and python3-torch:  /usr/bin/python3 tests/golden/make_activation_golden.py
Writes tests/golden/activation.json, read by tests/graph/activation.test.ts (which needs no PyTorch).
Everything is float64.
"""
import json
import math
from pathlib import Path

import torch
import torch.nn.functional as F

OUT = Path(__file__).resolve().parent
torch.set_default_dtype(torch.float64)

# A grid through 0 with the large magnitudes where the tails matter (erf saturates, exp overflows in f32).
GRID = sorted(set([-40.0, -30.0, -20.0, -12.0, -9.0, -6.0, -4.5, -3.0, -2.0, -1.0, -0.5, -1e-3, 0.0, 1e-3, 0.5, 1.0, 2.0, 3.0, 4.5, 6.0, 9.0, 12.0, 20.0, 40.0]
                  + [round(-5 + 0.37 * k, 6) for k in range(28)]))
# The upstream gradient: not all ones, so that the tests see dy multiply through.
UPSTREAM = [math.cos(1.3 * k) + 0.2 for k in range(len(GRID))]


def unary(f):
    x = torch.tensor(GRID, requires_grad=True)
    y = f(x)
    (y * torch.tensor(UPSTREAM)).sum().backward()
    return {"y": y.detach().tolist(), "dx": x.grad.tolist()}


activations = {
    "x": GRID,
    "dy": UPSTREAM,
    "gelu": unary(lambda x: F.gelu(x)),
    "silu": unary(F.silu),
    "elu": unary(lambda x: F.elu(x, alpha=1.0)),
    "elu_alpha_0.5": unary(lambda x: F.elu(x, alpha=0.5)),
}


def pattern(shape, a, b, offset=0.0):
    count = math.prod(shape)
    return torch.tensor([math.sin(a * k + b) * 3 + offset for k in range(count)]).reshape(shape)


def log_softmax_case(shape, dim, offset=0.0):
    x = pattern(shape, 0.7, 0.3, offset).requires_grad_(True)
    w = pattern(shape, 1.1, 0.9)
    y = F.log_softmax(x, dim=dim)
    (y * w).sum().backward()
    return {"shape": list(shape), "axis": dim, "x": x.detach().flatten().tolist(), "dy": w.flatten().tolist(), "y": y.detach().flatten().tolist(), "dx": x.grad.flatten().tolist()}


log_softmax = [
    log_softmax_case((4, 5), 1),
    log_softmax_case((4, 5), 0),
    log_softmax_case((2, 3, 4), 1),
    log_softmax_case((2, 3, 4), -1),
    # Logits near 1000: exp would overflow without subtracting the maximum.
    log_softmax_case((3, 6), 1, offset=1000.0),
]

# torch.nn.utils.weight_norm(Linear(5, 3), dim=0): forward and gradients w.r.t. v, g, bias and x for
# loss = Σ y·W, with g set away from ‖v‖ so that the test sees g and the norm separately.
N, FEATURES, UNITS = 4, 5, 3
V = pattern((UNITS, FEATURES), 0.9, 0.1) / 3
G = torch.tensor([0.7, -1.3, 2.1])
BIAS = torch.tensor([0.1, -0.2, 0.3])
X = pattern((N, FEATURES), 0.45, 1.7) / 3
W = pattern((N, UNITS), 1.9, 0.4) / 3

linear = torch.nn.Linear(FEATURES, UNITS)
with torch.no_grad():
    linear.weight.copy_(V)
init_g = torch.nn.utils.weight_norm(linear, dim=0).weight_g.detach().flatten().tolist()
with torch.no_grad():
    linear.weight_v.copy_(V)
    linear.weight_g.copy_(G.reshape(UNITS, 1))
    linear.bias.copy_(BIAS)
x = X.clone().requires_grad_(True)
y = linear(x)
(y * W).sum().backward()
weight_norm = {
    "v": V.flatten().tolist(),
    "g": G.tolist(),
    "bias": BIAS.tolist(),
    "x": X.flatten().tolist(),
    "dy": W.flatten().tolist(),
    "shape": [N, FEATURES, UNITS],
    "init_g": init_g,
    "y": y.detach().flatten().tolist(),
    "dv": linear.weight_v.grad.flatten().tolist(),
    "dg": linear.weight_g.grad.flatten().tolist(),
    "dbias": linear.bias.grad.tolist(),
    "dx": x.grad.flatten().tolist(),
}

(OUT / "activation.json").write_text(json.dumps({"torch": torch.__version__, "activations": activations, "log_softmax": log_softmax, "weight_norm": weight_norm}, indent=1) + "\n")
