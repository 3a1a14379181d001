"""Whole training runs of .dl files with Adagrad, RMSprop, Adadelta, Adamax and NAdam, replayed by PyTorch 1.13.

Run with Debian's Python and python3-torch:  /usr/bin/python3 tests/golden/make_optimizer_golden.py
Writes tests/golden/optimizer_training.json, read by tests/webgpu/golden-optimizers.test.ts (both backends).
Each run is 20 steps (12 rows, batch 3, 5 epochs, file order) of a two-layer MLP whose initial weights come
from dslc's counter-based RNG (dslc_rng.py; the shared setup is replay.py), with the optimizer's non-default arguments given in the .dl
text, under a constant, per-epoch exponential, or one_cycle schedule (which cycles RMSprop's momentum and
NAdam's β₁). The runs are in float32, as dslc trains.
"""
import torch

from replay import STEPS, dl_source, mlp, train, write

sched = torch.optim.lr_scheduler

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
    model, named = mlp()
    optimizer = make_optimizer(model.parameters())
    scheduler = make_scheduler(optimizer) if make_scheduler else None
    return train(model, named, optimizer, scheduler, per_epoch)


runs = []
for name, optimizer, schedule, make_optimizer, make_scheduler, per_epoch in CASES:
    runs.append({"name": name, "source": dl_source(optimizer, schedule), **run(make_optimizer, make_scheduler, per_epoch)})
write("optimizer_training.json", runs)
