"""Golden values from PyTorch 1.13 for pooling and maxout (tests/graph/spatial.test.ts).

Run with Debian's Python and python3-torch:  /usr/bin/python3 tests/golden/make_pool_golden.py
Writes tests/golden/pool.json: for each case the input x, output weights w, the output y and the gradient
dx of sum(y * w), all float64 and flattened row-major. Inputs are drawn continuous (no ties), so the
maxima, and where max pooling sends its gradient, are unique.
"""
import json
from pathlib import Path

import torch

OUT = Path(__file__).resolve().parent
torch.set_default_dtype(torch.float64)
torch.manual_seed(1913)

# (kernel, stride or None for the default = kernel, padding); kernel/stride an int or (h, w).
POOL_CASES = [
    (2, None, 0),
    (3, 2, 1),
    (3, 1, 0),
    (3, 1, 1),
    ((2, 3), (1, 2), 1),
    ((3, 2), None, 1),
    (2, 1, 1),
]
SHAPE = (2, 3, 7, 9)


def as_list(v):
    return list(v) if isinstance(v, tuple) else v


def pool_case(kind, kernel, stride, padding):
    x = torch.randn(*SHAPE, requires_grad=True)
    kwargs = {"kernel_size": kernel, "padding": padding}
    if stride is not None:
        kwargs["stride"] = stride
    layer = torch.nn.MaxPool2d(**kwargs) if kind == "maxpool" else torch.nn.AvgPool2d(**kwargs)
    y = layer(x)
    w = torch.randn(*y.shape)
    (y * w).sum().backward()
    return {
        "kernel": as_list(kernel),
        "stride": as_list(stride),
        "padding": padding,
        "xShape": list(SHAPE),
        "yShape": list(y.shape),
        "x": x.detach().flatten().tolist(),
        "w": w.flatten().tolist(),
        "y": y.detach().flatten().tolist(),
        "dx": x.grad.flatten().tolist(),
    }


def maxout_case(n, features, k):
    x = torch.randn(n, features, requires_grad=True)
    y = x.view(n, features // k, k).max(dim=2).values
    w = torch.randn(*y.shape)
    (y * w).sum().backward()
    return {"k": k, "xShape": [n, features], "x": x.detach().flatten().tolist(), "w": w.flatten().tolist(), "y": y.detach().flatten().tolist(), "dx": x.grad.flatten().tolist()}


golden = {
    "maxpool": [pool_case("maxpool", *case) for case in POOL_CASES],
    "avgpool": [pool_case("avgpool", *case) for case in POOL_CASES],
    "maxout": [maxout_case(3, 12, 3), maxout_case(4, 10, 2)],
}
(OUT / "pool.json").write_text(json.dumps(golden) + "\n")
print("wrote", OUT / "pool.json")
