"""Whole training runs of .dl files with gradient clipping, the max-norm constraint and the L1 and elastic-net
penalties, replayed by PyTorch 1.13.

Run with Debian's Python and python3-torch:  /usr/bin/python3 tests/golden/make_clip_golden.py
Writes tests/golden/clip.json, read by tests/webgpu/golden-clip.test.ts (both backends). Each run is 20 steps
(12 rows, batch 3, 5 epochs, file order) of a two-layer MLP whose initial weights come from dslc's
counter-based RNG (dslc_rng.py). PyTorch's order within a step: backward, clip_grad_norm_ / clip_grad_value_,
optimizer.step() (which adds weight decay to the clipped gradient), then torch.renorm of the constrained
weights. The regularizer is part of the loss, so the logged and evaluated losses include it, as dslc's do.
Each run also records how often clipping or renorming changed something, so the tests can insist that the
chosen thresholds bite on some steps and not on others. The runs are in float32, as dslc trains.
"""
import json
import math
from pathlib import Path

import torch

from dslc_rng import init_normal, init_uniform

OUT = Path(__file__).resolve().parent
torch.set_default_dtype(torch.float32)

ROWS = [[round(math.sin(0.7 * i + j) + 0.3 * math.cos(1.3 * i * j), 4) for j in range(3)] + [i % 3] for i in range(12)]
CSV = "a,b,c,label\n" + "".join(",".join(str(v) for v in row) + "\n" for row in ROWS)
X = torch.tensor([row[:3] for row in ROWS], dtype=torch.float32)
Y = torch.tensor([row[3] for row in ROWS])
SEED = 7
EPOCHS = 5
BATCH = 3
STEPS = EPOCHS * len(ROWS) // BATCH

SOURCE = """model M(x: f32[N, 3]) -> f32[N, 3] {{
  h = x |> dense(5, init: uniform(-0.5, 0.5), bias_init: constant(0.1)) |> relu
  return h |> dense(3, init: normal(0, 0.3), bias_init: zeros)
}}

train {{
  data = csv("tiny.csv", label: "label")
  loss = {loss}
  optimizer = {optimizer}
  epochs {epochs}
  batch {batch}
  shuffle false
  seed {seed}
  log_every 1 steps
{extra}}}
"""


def l1(ps):
    return sum(p.abs().sum() for p in ps)


def l2(ps):
    return sum((p * p).sum() for p in ps)


# name, dslc loss, dslc optimizer, extra lines of `train`, PyTorch optimizer, penalty(weights, all params),
# clip ("norm"/"value", max) or None, max-norm (value, "weights"/"all") or None
CASES = [
    ("clip by global norm, sgd with momentum and weight decay",
     "cross_entropy()", "sgd(lr: 0.5, momentum: 0.9, weight_decay: 0.01)", "  clip = grad_norm(max: 0.4)\n",
     lambda ps: torch.optim.SGD(ps, lr=0.5, momentum=0.9, weight_decay=0.01), None, ("norm", 0.4), None),
    ("clip by value, adam with weight decay",
     "cross_entropy()", "adam(lr: 0.05, weight_decay: 0.05)", "  clip = grad_value(max: 0.1)\n",
     lambda ps: torch.optim.Adam(ps, lr=0.05, weight_decay=0.05), None, ("value", 0.1), None),
    ("max-norm on weights, sgd",
     "cross_entropy()", "sgd(lr: 0.5, momentum: 0.9)", "  max_norm(value: 0.9)\n",
     lambda ps: torch.optim.SGD(ps, lr=0.5, momentum=0.9), None, None, (0.9, "weights")),
    ("l1 on weights, sgd",
     "cross_entropy() + 0.02 * l1(weights)", "sgd(lr: 0.2, momentum: 0.5)", "",
     lambda ps: torch.optim.SGD(ps, lr=0.2, momentum=0.5), lambda w, a: 0.02 * l1(w), None, None),
    ("elastic net on all parameters, adam",
     "cross_entropy() + 0.05 * elastic_net(all, ratio: 0.3)", "adam(lr: 0.03)", "",
     lambda ps: torch.optim.Adam(ps, lr=0.03), lambda w, a: 0.05 * (0.3 * l1(a) + 0.7 * l2(a)), None, None),
    ("clip by norm, max-norm on all, l1, adamw",
     "cross_entropy() + 0.01 * l1(weights)", "adamw(lr: 0.1, weight_decay: 0.1)", "  clip = grad_norm(max: 0.3)\n  max_norm(value: 0.7, on: all)\n",
     lambda ps: torch.optim.AdamW(ps, lr=0.1, weight_decay=0.1), lambda w, a: 0.01 * l1(w), ("norm", 0.3), (0.7, "all")),
]


def run(make_optimizer, penalty, clip, max_norm):
    first, second = torch.nn.Linear(3, 5), torch.nn.Linear(5, 3)
    with torch.no_grad():
        # dslc's parameter order: dense_0.weight, dense_0.bias, dense_1.weight, dense_1.bias.
        first.weight.copy_(init_uniform([5, 3], SEED, 0, -0.5, 0.5))
        first.bias.fill_(0.1)
        second.weight.copy_(init_normal([3, 5], SEED, 2, 0.0, 0.3))
        second.bias.zero_()
    model = torch.nn.Sequential(first, torch.nn.ReLU(), second)
    weights = [first.weight, second.weight]
    everything = [first.weight, first.bias, second.weight, second.bias]
    optimizer = make_optimizer(everything)

    def loss_of(x, y):
        loss = torch.nn.functional.cross_entropy(model(x), y)
        return loss + penalty(weights, everything) if penalty else loss

    losses, clipped, renormed = [], 0, 0
    for _ in range(EPOCHS):
        for start in range(0, len(ROWS), BATCH):
            optimizer.zero_grad()
            loss = loss_of(X[start : start + BATCH], Y[start : start + BATCH])
            losses.append(loss.item())
            loss.backward()
            if clip and clip[0] == "norm":
                total = torch.nn.utils.clip_grad_norm_(everything, clip[1])
                clipped += int(total.item() + 1e-6 > clip[1])
            elif clip:
                clipped += int(any((p.grad.abs() > clip[1]).any().item() for p in everything))
                torch.nn.utils.clip_grad_value_(everything, clip[1])
            optimizer.step()
            if max_norm:
                value, on = max_norm
                with torch.no_grad():
                    constrained = weights if on == "weights" else everything
                    # A unit's incoming weights are a slice along axis 0; a 1-D parameter (a bias) has one
                    # number per unit, so it is renormed as [units, 1] (torch.renorm wants 2 dimensions).
                    rows = [p.reshape(p.shape[0], -1) for p in constrained]
                    renormed += int(any((r.norm(dim=1) > value).any().item() for r in rows))
                    for p, r in zip(constrained, rows):
                        p.copy_(torch.renorm(r, 2, 0, value).reshape(p.shape))
    model.eval()
    with torch.no_grad():
        eval_loss = loss_of(X, Y).item()
    named = {"dense_0.weight": first.weight, "dense_0.bias": first.bias, "dense_1.weight": second.weight, "dense_1.bias": second.bias}
    return {"losses": losses, "params": {name: t.detach().flatten().tolist() for name, t in named.items()}, "eval_loss": eval_loss, "clipped": clipped, "renormed": renormed}


runs = []
for name, loss, optimizer, extra, make_optimizer, penalty, clip, max_norm in CASES:
    source = SOURCE.format(loss=loss, optimizer=optimizer, extra=extra, epochs=EPOCHS, batch=BATCH, seed=SEED)
    result = run(make_optimizer, penalty, clip, max_norm)
    print(f"{name}: {result['clipped']} of {STEPS} steps clipped, {result['renormed']} renormed")
    runs.append({"name": name, "source": source, **result})
(OUT / "clip.json").write_text(json.dumps({"tiny_csv": CSV, "steps": STEPS, "runs": runs}, indent=1) + "\n")
print(f"wrote clip.json ({len(runs)} runs of {STEPS} steps)")
