"""PyTorch 1.13 fixtures for the normalization layers over images (tests/golden/norm.json).

Run: /usr/bin/python3 tests/golden/make_norm_golden.py  (float64 throughout; inputs are generated here and
stored in the JSON, so the tests never need PyTorch). Each case applies the layer with fixed γ, β, takes the
loss Σ y·w with a fixed w, and records y and the gradients of x, γ and β; BatchNorm2d also runs several
training steps and records its running statistics and the evaluation output they give.
"""
import json
import os

import torch

torch.manual_seed(1234)
torch.set_default_dtype(torch.float64)


def rand(*shape, scale=1.0, offset=0.0):
    return (torch.randn(*shape) * scale + offset)


def flat(t):
    return t.detach().reshape(-1).tolist()


def forward_backward(module, x, w):
    x = x.clone().requires_grad_(True)
    y = module(x)
    (y * w).sum().backward()
    out = {"x": flat(x), "shape": list(x.shape), "w": flat(w), "y": flat(y), "dx": flat(x.grad)}
    if module.weight is not None:
        out["dgamma"] = flat(module.weight.grad)
        out["dbeta"] = flat(module.bias.grad)
    return out


def with_affine(module, channels):
    if module.weight is not None:
        with torch.no_grad():
            module.weight.copy_(torch.linspace(0.5, 1.5, channels) * torch.tensor([1.0, -1.0]).repeat(channels)[:channels])
            module.bias.copy_(torch.linspace(-0.3, 0.4, channels))
    return module


def params_of(module):
    return {"gamma": flat(module.weight), "beta": flat(module.bias)} if module.weight is not None else {}


cases = {}

# BatchNorm2d: three training steps (batch statistics, running estimates with the unbiased variance over
# N·H·W), gradients recorded at the last step, then evaluation with the running estimates.
for name, kwargs in {"batchnorm2d": {}, "batchnorm2d_plain": {"affine": False, "momentum": 0.3, "eps": 1e-3}}.items():
    shape = (3, 4, 5, 6)
    bn = with_affine(torch.nn.BatchNorm2d(4, **kwargs), 4)
    case = {"params": params_of(bn), "momentum": bn.momentum, "eps": bn.eps, "affine": bn.affine, "steps": []}
    bn.train()
    for step in range(3):
        x = rand(*shape, scale=1.0 + step, offset=0.5 * step)
        w = rand(*shape)
        bn.zero_grad()
        record = forward_backward(bn, x, w)
        record["running_mean"] = flat(bn.running_mean)
        record["running_var"] = flat(bn.running_var)
        case["steps"].append(record)
    bn.eval()
    x_eval = rand(2, 4, 5, 6)
    case["eval_x"] = flat(x_eval)
    case["eval_y"] = flat(bn(x_eval))
    cases[name] = case

# BatchNorm2d without running statistics: evaluation normalizes with the batch's own statistics.
bn = with_affine(torch.nn.BatchNorm2d(3, track_running_stats=False), 3)
bn.eval()
x = rand(2, 3, 4, 5)
cases["batchnorm2d_untracked"] = {"params": params_of(bn), "eval_x": flat(x), "eval_shape": [2, 3, 4, 5], "eval_y": flat(bn(x))}

# LayerNorm over the last axis only, on features and on images; GroupNorm; InstanceNorm2d (affine, no
# running statistics: instance statistics in evaluation too).
layer_cases = {
    "layernorm_features": (lambda: torch.nn.LayerNorm(7), (4, 7), 7),
    "layernorm_images": (lambda: torch.nn.LayerNorm(5, eps=1e-3), (2, 3, 4, 5), 5),
    "layernorm_plain": (lambda: torch.nn.LayerNorm(5, elementwise_affine=False), (2, 3, 4, 5), 5),
    "groupnorm_2": (lambda: torch.nn.GroupNorm(2, 6), (3, 6, 4, 3), 6),
    "groupnorm_1": (lambda: torch.nn.GroupNorm(1, 4, eps=1e-4), (2, 4, 3, 3), 4),
    "groupnorm_features": (lambda: torch.nn.GroupNorm(3, 6, affine=False), (4, 6), 6),
    "instancenorm": (lambda: torch.nn.InstanceNorm2d(3, affine=True), (2, 3, 4, 5), 3),
    "instancenorm_plain": (lambda: torch.nn.InstanceNorm2d(3, affine=False, eps=1e-3), (2, 3, 4, 5), 3),
}
for name, (make, shape, channels) in layer_cases.items():
    module = with_affine(make(), channels)
    x = rand(*shape, scale=2.0, offset=0.7)
    w = rand(*shape)
    case = forward_backward(module, x, w)
    case["params"] = params_of(module)
    module.eval()
    case["eval_y"] = flat(module(x))
    cases[name] = case

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "norm.json")
with open(path, "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f)
print(f"wrote {path}")
