"""Golden values of torch.nn.functional.conv2d (PyTorch 1.13) for dslc's conv2d and its gradients.

Run with Debian's Python and python3-torch:  /usr/bin/python3 tests/golden/make_conv_golden.py
Writes tests/golden/conv.json: per case the geometry, the inputs x, w, b and the output weights g, and
PyTorch's y = conv2d(x, w, b) with the gradients of sum(y * g) for x, w and b. Float64 throughout; the
inputs are stored, so the tests need neither PyTorch nor this script's random numbers.
"""
import json
from pathlib import Path

import torch

OUT = Path(__file__).resolve().parent
torch.set_default_dtype(torch.float64)
torch.manual_seed(1913)

# (name, N, Cin, H, W, Cout, kernel, stride, padding, dilation, bias)
CASES = [
    ("3x3 plain", 2, 3, 6, 5, 4, (3, 3), (1, 1), (0, 0), (1, 1), True),
    ("3x3 padded", 2, 2, 5, 5, 3, (3, 3), (1, 1), (1, 1), (1, 1), True),
    ("stride 2 padding 1", 2, 3, 7, 6, 2, (3, 3), (2, 2), (1, 1), (1, 1), True),
    ("dilation 2", 1, 2, 7, 8, 3, (3, 3), (1, 1), (0, 0), (2, 2), True),
    ("stride 2 dilation 2 padding 2", 2, 2, 9, 7, 3, (3, 3), (2, 2), (2, 2), (2, 2), False),
    ("non-square 2x3 mixed", 2, 3, 7, 9, 2, (2, 3), (2, 1), (1, 0), (1, 2), True),
    ("1x1 stride 3", 3, 4, 7, 7, 5, (1, 1), (3, 3), (0, 0), (1, 1), True),
    ("5x1 stride 1x2 padding 2x0", 1, 2, 6, 7, 3, (5, 1), (1, 2), (2, 0), (1, 1), True),
]


def case(name, n, cin, h, w, cout, kernel, stride, padding, dilation, bias):
    x = torch.randn(n, cin, h, w, requires_grad=True)
    weight = torch.randn(cout, cin, *kernel, requires_grad=True)
    b = torch.randn(cout, requires_grad=True) if bias else None
    y = torch.nn.functional.conv2d(x, weight, b, stride=stride, padding=padding, dilation=dilation)
    g = torch.randn(*y.shape)
    (y * g).sum().backward()
    return {
        "name": name,
        "stride": list(stride),
        "padding": list(padding),
        "dilation": list(dilation),
        "x": {"shape": list(x.shape), "data": x.detach().flatten().tolist()},
        "w": {"shape": list(weight.shape), "data": weight.detach().flatten().tolist()},
        "b": b.detach().tolist() if bias else None,
        "g": g.flatten().tolist(),
        "y": {"shape": list(y.shape), "data": y.detach().flatten().tolist()},
        "dx": x.grad.flatten().tolist(),
        "dw": weight.grad.flatten().tolist(),
        "db": b.grad.tolist() if bias else None,
    }


(OUT / "conv.json").write_text(json.dumps({"cases": [case(*c) for c in CASES]}) + "\n")
