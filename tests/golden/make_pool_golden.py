"""Golden values from PyTorch 1.13 for pooling and maxout (tests/graph/spatial.test.ts).

Run with Debian's Python and python3-torch:  /usr/bin/python3 tests/golden/make_pool_golden.py
Writes tests/golden/pool.json: for each case the input x, output weights w, the output y and the gradient
dx of sum(y * w), all float64 and flattened row-major. Inputs are drawn continuous (no ties), so the
maxima, and where max pooling sends its gradient, are unique. `maxpool_nan` holds max pooling of inputs with
NaNs in them, NaN written as null.
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


def nulls(t):
    """JSON has no NaN: it is written as null (tests/graph/spatial.test.ts reads null back as NaN)."""
    return [None if v != v else v for v in t.detach().flatten().tolist()]


def pool_case(kind, kernel, stride, padding, nan_at=()):
    x = torch.randn(*SHAPE)
    for at in nan_at:
        x[at] = float("nan")
    x.requires_grad_(True)
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
        "x": nulls(x),
        "w": w.flatten().tolist(),
        "y": nulls(y),
        "dx": nulls(x.grad),
    }


def maxout_case(n, features, k):
    x = torch.randn(n, features, requires_grad=True)
    y = x.view(n, features // k, k).max(dim=2).values
    w = torch.randn(*y.shape)
    (y * w).sum().backward()
    return {"k": k, "xShape": [n, features], "x": x.detach().flatten().tolist(), "w": w.flatten().tolist(), "y": y.detach().flatten().tolist(), "dx": x.grad.flatten().tolist()}


# Max pooling of inputs holding NaN: a window with a NaN pools to NaN and its gradient goes to the window's
# last NaN (PyTorch's CPU kernel takes `val > maxval || isnan(val)`). Some NaNs stand alone, some share
# windows with another NaN, one sits at a corner under padding; the windows overlap in some cases.
NAN_CASES = [(2, None, 0), (3, 2, 1), (3, 1, 1), ((2, 3), (1, 2), 1)]
NAN_AT = [(0, 0, 0, 0), (0, 0, 0, 1), (0, 1, 3, 4), (0, 1, 4, 5), (0, 2, 6, 8), (1, 0, 2, 2), (1, 1, 5, 0), (1, 2, 3, 3), (1, 2, 3, 4), (1, 2, 4, 3)]


golden = {
    "maxpool": [pool_case("maxpool", *case) for case in POOL_CASES],
    "avgpool": [pool_case("avgpool", *case) for case in POOL_CASES],
    "maxout": [maxout_case(3, 12, 3), maxout_case(4, 10, 2)],
}
# Drawn after the cases above, so adding them left those values unchanged.
golden["maxpool_nan"] = [pool_case("maxpool", *case, nan_at=NAN_AT) for case in NAN_CASES]
(OUT / "pool.json").write_text(json.dumps(golden, allow_nan=False) + "\n")
print("wrote", OUT / "pool.json")
