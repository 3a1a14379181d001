"""What the whole-run goldens share (make_optimizer_golden.py, make_group_golden.py, make_clip_golden.py).

Each run trains a two-layer MLP (3 → dense 5 → relu → dense 3) for 20 steps: 12 rows, batch 3, 5 epochs, file
order, from dslc's initial weights (dslc_rng.py), in float32 as dslc trains. The JSON each script writes
holds the CSV the .dl files read, the number of steps and the runs; tests/helpers/golden-run.ts reads it.
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

MODEL = """model M(x: f32[N, 3]) -> f32[N, 3] {
  h = x |> dense(5, init: uniform(-0.5, 0.5), bias_init: constant(0.1)) |> relu
  return h |> dense(3, init: normal(0, 0.3), bias_init: zeros)
}
"""


def dl_source(optimizer, schedule=None, loss="cross_entropy()", extra="", model=MODEL):
    """The .dl file of a run: `model`, then a train block over tiny.csv with this run's settings."""
    schedule_line = f"  schedule = {schedule}\n" if schedule is not None else ""
    return f"""{model}
train {{
  data = csv("tiny.csv", label: "label")
  loss = {loss}
  optimizer = {optimizer}
{schedule_line}  epochs {EPOCHS}
  batch {BATCH}
  shuffle false
  seed {SEED}
  log_every 1 steps
{extra}}}
"""


def mlp(second="dense_1"):
    """The model with dslc's initial weights, and its parameters by dslc's names in dslc's order."""
    first, last = torch.nn.Linear(3, 5), torch.nn.Linear(5, 3)
    with torch.no_grad():
        # dslc's parameter order: dense_0.weight, dense_0.bias, then the second layer's weight and bias.
        first.weight.copy_(init_uniform([5, 3], SEED, 0, -0.5, 0.5))
        first.bias.fill_(0.1)
        last.weight.copy_(init_normal([3, 5], SEED, 2, 0.0, 0.3))
        last.bias.zero_()
    model = torch.nn.Sequential(first, torch.nn.ReLU(), last)
    return model, {"dense_0.weight": first.weight, "dense_0.bias": first.bias, f"{second}.weight": last.weight, f"{second}.bias": last.bias}


def train(model, named, optimizer, scheduler=None, per_epoch=False, loss_of=None, after_backward=None, after_step=None):
    """Every step's loss, the final parameters by name and the loss in evaluation mode over all rows.

    loss_of(x, y) defaults to cross-entropy; after_backward and after_step run inside each step (clipping,
    constraints); a scheduler steps per step, or per epoch with per_epoch.
    """
    if loss_of is None:
        def loss_of(x, y):
            return torch.nn.functional.cross_entropy(model(x), y)
    losses = []
    for _ in range(EPOCHS):
        for start in range(0, len(ROWS), BATCH):
            optimizer.zero_grad()
            loss = loss_of(X[start : start + BATCH], Y[start : start + BATCH])
            losses.append(loss.item())
            loss.backward()
            if after_backward:
                after_backward()
            optimizer.step()
            if after_step:
                after_step()
            if scheduler and not per_epoch:
                scheduler.step()
        if scheduler and per_epoch:
            scheduler.step()
    model.eval()
    with torch.no_grad():
        eval_loss = loss_of(X, Y).item()
    return {"losses": losses, "params": {name: t.detach().flatten().tolist() for name, t in named.items()}, "eval_loss": eval_loss}


def write(name, runs):
    (OUT / name).write_text(json.dumps({"tiny_csv": CSV, "steps": STEPS, "runs": runs}, indent=1) + "\n")
    print(f"wrote {name} ({len(runs)} runs of {STEPS} steps)")
