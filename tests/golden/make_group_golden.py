"""Whole training runs of .dl files with parameter groups (`optimizer |> group(…)`), replayed by PyTorch 1.13.

Run with Debian's Python and python3-torch:  /usr/bin/python3 tests/golden/make_group_golden.py
Writes tests/golden/groups.json, read by tests/webgpu/golden-groups.test.ts (both backends). Each run is
20 steps (12 rows, batch 3, 5 epochs, file order) of a two-layer MLP whose second layer is named `head`,
from dslc's initial weights (dslc_rng.py), as make_optimizer_golden.py (the shared setup is replay.py). The
PyTorch optimizer gets one param_group per dslc group with the parameters dslc's first-match rule gives it (a
parameter belongs to the first group that selects it), plus a group of the rest with the optimizer's own options. Schedulers scale
each group's lr from its own initial lr (StepLR, ExponentialLR) or set every group's (OneCycleLR with one
max_lr, whose cycled β₁ every group shares). The runs are in float32, as dslc trains.
"""
import torch

from replay import STEPS, dl_source, mlp, train, write

sched = torch.optim.lr_scheduler

MODEL = """model M(x: f32[N, 3]) -> f32[N, 3] {
  head = dense(3, init: normal(0, 0.3), bias_init: zeros)
  h = x |> dense(5, init: uniform(-0.5, 0.5), bias_init: constant(0.1)) |> relu
  return h |> head
}
"""

W0, B0, W1, B1 = "dense_0.weight", "dense_0.bias", "head.weight", "head.bias"

# (name, optimizer in dslc, schedule in dslc, PyTorch optimizer class and defaults,
#  [(parameter names, group options)] as dslc's first-match rule assigns them (the rest: the defaults' group),
#  PyTorch scheduler or None, whether it steps per epoch)
CASES = [
    ("adamw, biases without decay, head at its own lr",
     "adamw(lr: 0.01, weight_decay: 0.1) |> group(biases, weight_decay: 0) |> group(head, lr: 0.03)", "constant",
     torch.optim.AdamW, dict(lr=0.01, weight_decay=0.1),
     [([B0, B1], dict(weight_decay=0.0)), ([W1], dict(lr=0.03))], None, False),
    ("sgd momentum, head with its own lr and momentum, per-epoch step schedule",
     "sgd(lr: 0.1, momentum: 0.9) |> group(head, lr: 0.02, momentum: 0.5)", "step(2 epochs, gamma: 0.5)",
     torch.optim.SGD, dict(lr=0.1, momentum=0.9),
     [([W1, B1], dict(lr=0.02, momentum=0.5))], lambda o: sched.StepLR(o, step_size=2, gamma=0.5), True),
    ("sgd without momentum, weights with momentum and decay, all the rest at another lr, exponential",
     "sgd(lr: 0.05) |> group([weights], momentum: 0.9, weight_decay: 0.01) |> group(all, lr: 0.1)", "exponential(0.7)",
     torch.optim.SGD, dict(lr=0.05),
     [([W0, W1], dict(momentum=0.9, weight_decay=0.01)), ([B0, B1], dict(lr=0.1))], lambda o: sched.ExponentialLR(o, gamma=0.7), True),
    ("adam, coupled decay and a smaller lr for the head",
     "adam(lr: 0.01) |> group(head, lr: 0.002, weight_decay: 0.05)", "constant",
     torch.optim.Adam, dict(lr=0.01),
     [([W1, B1], dict(lr=0.002, weight_decay=0.05))], None, False),
    ("rmsprop, biases with momentum and their own lr",
     "rmsprop(lr: 0.01) |> group(biases, momentum: 0.5, lr: 0.02)", "constant",
     torch.optim.RMSprop, dict(lr=0.01),
     [([B0, B1], dict(momentum=0.5, lr=0.02))], None, False),
    ("adamw under one_cycle cycling beta1, biases without decay",
     "adamw(lr: 0.001) |> group(biases, weight_decay: 0)", "one_cycle(0.01)",
     torch.optim.AdamW, dict(lr=0.001),
     [([B0, B1], dict(weight_decay=0.0))], lambda o: sched.OneCycleLR(o, max_lr=0.01, total_steps=STEPS), False),
]


def run(optimizer_class, defaults, groups, make_scheduler, per_epoch):
    model, named = mlp(second="head")
    taken = {name for names, _ in groups for name in names}
    param_groups = [{"params": [named[n] for n in names], **options} for names, options in groups]
    rest = [p for n, p in named.items() if n not in taken]
    if rest:
        param_groups.append({"params": rest})
    optimizer = optimizer_class(param_groups, **defaults)
    scheduler = make_scheduler(optimizer) if make_scheduler else None
    return train(model, named, optimizer, scheduler, per_epoch)


runs = []
for name, optimizer, schedule, optimizer_class, defaults, groups, make_scheduler, per_epoch in CASES:
    source = dl_source(optimizer, schedule, model=MODEL)
    runs.append({"name": name, "source": source, **run(optimizer_class, defaults, groups, make_scheduler, per_epoch)})
write("groups.json", runs)
