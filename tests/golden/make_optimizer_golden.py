"""Whole training runs of .dl files with Adagrad, RMSprop, Adadelta, Adamax and NAdam, replayed by PyTorch 1.13.

Run with Debian's Python and python3-torch:  /usr/bin/python3 tests/golden/make_optimizer_golden.py
Writes tests/golden/optimizer_training.json, read by tests/webgpu/golden-optimizers.test.ts (both backends).
Each run is 20 steps (12 rows, batch 3, 5 epochs, file order) of a two-layer MLP whose initial weights come
from dslc's counter-based RNG (dslc_rng.py), with the optimizer's non-default arguments given in the .dl
text, under a constant, per-epoch exponential, or one_cycle schedule (which cycles RMSprop's momentum and
NAdam's β₁). The runs are in float32, as dslc trains.
"""
import json
import math
from pathlib import Path

import torch

from dslc_rng import init_normal, init_uniform

OUT = Path(__file__).resolve().parent
torch.set_default_dtype(torch.float32)
sched = torch.optim.lr_scheduler

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
  loss = cross_entropy()
  optimizer = {optimizer}
  schedule = {schedule}
  epochs {epochs}
  batch {batch}
  shuffle false
  seed {seed}
  log_every 1 steps
}}
"""

# (name, optimizer in dslc, schedule in dslc, PyTorch optimizer, PyTorch scheduler or None, whether it steps per epoch)
CASES = [
    ("adagrad, lr_decay, initial accumulator, weight decay, exponential",
     "adagrad(lr: 0.1, lr_decay: 0.05, initial_accumulator_value: 0.2, weight_decay: 0.01)", "exponential(0.7)",
     lambda ps: torch.optim.Adagrad(ps, lr=0.1, lr_decay=0.05, initial_accumulator_value=0.2, weight_decay=0.01),
     lambda o: sched.ExponentialLR(o, gamma=0.7), True),
    ("rmsprop centered, momentum, weight decay",
     "rmsprop(lr: 0.01, centered: true, momentum: 0.9, weight_decay: 0.01)", "constant",
     lambda ps: torch.optim.RMSprop(ps, lr=0.01, centered=True, momentum=0.9, weight_decay=0.01), None, False),
    ("rmsprop alpha 0.9, one_cycle cycling momentum",
     "rmsprop(lr: 0.001, alpha: 0.9, momentum: 0.5)", "one_cycle(0.01)",
     lambda ps: torch.optim.RMSprop(ps, lr=0.001, alpha=0.9, momentum=0.5),
     lambda o: sched.OneCycleLR(o, max_lr=0.01, total_steps=STEPS), False),
    ("adadelta, rho, weight decay",
     "adadelta(lr: 0.5, rho: 0.8, weight_decay: 0.01)", "constant",
     lambda ps: torch.optim.Adadelta(ps, lr=0.5, rho=0.8, weight_decay=0.01), None, False),
    ("adamax, betas, weight decay, exponential",
     "adamax(lr: 0.01, betas: [0.8, 0.99], weight_decay: 0.01)", "exponential(0.7)",
     lambda ps: torch.optim.Adamax(ps, lr=0.01, betas=(0.8, 0.99), weight_decay=0.01),
     lambda o: sched.ExponentialLR(o, gamma=0.7), True),
    ("nadam, momentum_decay, weight decay",
     "nadam(lr: 0.01, momentum_decay: 0.01, weight_decay: 0.01)", "constant",
     lambda ps: torch.optim.NAdam(ps, lr=0.01, momentum_decay=0.01, weight_decay=0.01), None, False),
    ("nadam, one_cycle cycling beta1",
     "nadam(lr: 0.002)", "one_cycle(0.02)",
     lambda ps: torch.optim.NAdam(ps, lr=0.002),
     lambda o: sched.OneCycleLR(o, max_lr=0.02, total_steps=STEPS), False),
]


def run(make_optimizer, make_scheduler, per_epoch):
    first, second = torch.nn.Linear(3, 5), torch.nn.Linear(5, 3)
    with torch.no_grad():
        # dslc's parameter order: dense_0.weight, dense_0.bias, dense_1.weight, dense_1.bias.
        first.weight.copy_(init_uniform([5, 3], SEED, 0, -0.5, 0.5))
        first.bias.fill_(0.1)
        second.weight.copy_(init_normal([3, 5], SEED, 2, 0.0, 0.3))
        second.bias.zero_()
    model = torch.nn.Sequential(first, torch.nn.ReLU(), second)
    optimizer = make_optimizer(model.parameters())
    scheduler = make_scheduler(optimizer) if make_scheduler else None
    losses = []
    for _ in range(EPOCHS):
        for start in range(0, len(ROWS), BATCH):
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(X[start : start + BATCH]), Y[start : start + BATCH])
            losses.append(loss.item())
            loss.backward()
            optimizer.step()
            if scheduler and not per_epoch:
                scheduler.step()
        if scheduler and per_epoch:
            scheduler.step()
    model.eval()
    with torch.no_grad():
        eval_loss = torch.nn.functional.cross_entropy(model(X), Y).item()
    named = {"dense_0.weight": first.weight, "dense_0.bias": first.bias, "dense_1.weight": second.weight, "dense_1.bias": second.bias}
    return {"losses": losses, "params": {name: t.detach().flatten().tolist() for name, t in named.items()}, "eval_loss": eval_loss}


runs = []
for name, optimizer, schedule, make_optimizer, make_scheduler, per_epoch in CASES:
    source = SOURCE.format(optimizer=optimizer, schedule=schedule, epochs=EPOCHS, batch=BATCH, seed=SEED)
    runs.append({"name": name, "source": source, **run(make_optimizer, make_scheduler, per_epoch)})
(OUT / "optimizer_training.json").write_text(json.dumps({"tiny_csv": CSV, "steps": STEPS, "runs": runs}, indent=1) + "\n")
print(f"wrote optimizer_training.json ({len(runs)} runs of {STEPS} steps)")
