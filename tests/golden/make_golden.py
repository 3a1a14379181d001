"""Golden values from PyTorch 1.13 for dslc's reference implementations.

Run with Debian's Python and python3-torch:  /usr/bin/python3 tests/golden/make_golden.py
Writes tests/golden/optimizers.json and tests/golden/schedules.json. The tests only read the JSON,
so they do not need PyTorch.
"""
import json
import math
from pathlib import Path

import torch

OUT = Path(__file__).resolve().parent
torch.set_default_dtype(torch.float64)

STEPS = 20
SIZE = 7
INITIAL = [math.sin(1.0 + i) * 0.8 for i in range(SIZE)]
GRADS = [[math.cos(0.37 * (k + 1) * (i + 1)) + 0.1 * (i - 3) for i in range(SIZE)] for k in range(STEPS)]


def run_optimizer(make):
    p = torch.tensor(INITIAL, requires_grad=True)
    opt = make([p])
    trajectory = []
    for k in range(STEPS):
        opt.zero_grad()
        p.grad = torch.tensor(GRADS[k])
        opt.step()
        trajectory.append(p.detach().tolist())
    return trajectory


optimizer_cases = [
    ("sgd plain", {"kind": "sgd", "lr": 0.1}, lambda ps: torch.optim.SGD(ps, lr=0.1)),
    ("sgd momentum", {"kind": "sgd", "lr": 0.05, "momentum": 0.9}, lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9)),
    ("sgd momentum dampening", {"kind": "sgd", "lr": 0.05, "momentum": 0.9, "dampening": 0.3}, lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, dampening=0.3)),
    ("sgd nesterov decay", {"kind": "sgd", "lr": 0.05, "momentum": 0.8, "nesterov": True, "weightDecay": 0.01}, lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.01)),
    ("adam", {"kind": "adam", "lr": 0.01}, lambda ps: torch.optim.Adam(ps, lr=0.01)),
    ("adam decay amsgrad", {"kind": "adam", "lr": 0.01, "weightDecay": 0.1, "amsgrad": True, "beta1": 0.8, "beta2": 0.99}, lambda ps: torch.optim.Adam(ps, lr=0.01, weight_decay=0.1, amsgrad=True, betas=(0.8, 0.99))),
    ("adamw", {"kind": "adamw", "lr": 0.01}, lambda ps: torch.optim.AdamW(ps, lr=0.01)),
    ("adamw decay 0.1 amsgrad", {"kind": "adamw", "lr": 0.02, "weightDecay": 0.1, "amsgrad": True}, lambda ps: torch.optim.AdamW(ps, lr=0.02, weight_decay=0.1, amsgrad=True)),
    ("adagrad", {"kind": "adagrad", "lr": 0.1, "lrDecay": 0.01, "initialAccumulatorValue": 0.1, "weightDecay": 0.01}, lambda ps: torch.optim.Adagrad(ps, lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.01)),
    ("rmsprop", {"kind": "rmsprop", "lr": 0.01}, lambda ps: torch.optim.RMSprop(ps, lr=0.01)),
    ("rmsprop centered momentum", {"kind": "rmsprop", "lr": 0.01, "centered": True, "momentum": 0.9, "weightDecay": 0.01}, lambda ps: torch.optim.RMSprop(ps, lr=0.01, centered=True, momentum=0.9, weight_decay=0.01)),
    ("adadelta", {"kind": "adadelta", "lr": 1.0}, lambda ps: torch.optim.Adadelta(ps, lr=1.0)),
    ("adamax", {"kind": "adamax", "lr": 0.002, "weightDecay": 0.01}, lambda ps: torch.optim.Adamax(ps, lr=0.002, weight_decay=0.01)),
    ("nadam", {"kind": "nadam", "lr": 0.002}, lambda ps: torch.optim.NAdam(ps, lr=0.002)),
    ("nadam decay", {"kind": "nadam", "lr": 0.01, "weightDecay": 0.05, "momentumDecay": 0.01}, lambda ps: torch.optim.NAdam(ps, lr=0.01, weight_decay=0.05, momentum_decay=0.01)),
]

optimizers = {
    "steps": STEPS,
    "initial": INITIAL,
    "grads": GRADS,
    "cases": [{"name": name, "spec": spec, "trajectory": run_optimizer(make)} for name, spec, make in optimizer_cases],
}
(OUT / "optimizers.json").write_text(json.dumps(optimizers, indent=1) + "\n")

LR0 = 0.1
SCHEDULE_STEPS = 200
sched = torch.optim.lr_scheduler


def run_schedule(make):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=LR0)
    scheduler = make(opt)
    lrs = []
    for _ in range(SCHEDULE_STEPS):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step()
    return lrs


schedule_cases = [
    ("step", {"kind": "step", "stepSize": 30, "gamma": 0.1}, lambda o: sched.StepLR(o, step_size=30, gamma=0.1)),
    ("multistep", {"kind": "multistep", "milestones": [30, 80, 150], "gamma": 0.5}, lambda o: sched.MultiStepLR(o, milestones=[30, 80, 150], gamma=0.5)),
    ("exponential", {"kind": "exponential", "gamma": 0.98}, lambda o: sched.ExponentialLR(o, gamma=0.98)),
    ("exponential e^-kt", {"kind": "exponential_k", "k": 0.02}, lambda o: sched.LambdaLR(o, lambda t: math.exp(-0.02 * t))),
    ("inverse time", {"kind": "inverse_time", "k": 0.05}, lambda o: sched.LambdaLR(o, lambda t: 1 / (1 + 0.05 * t))),
    ("caffe inv", {"kind": "inv", "gamma": 0.01, "power": 0.75}, lambda o: sched.LambdaLR(o, lambda t: (1 + 0.01 * t) ** -0.75)),
    ("poly", {"kind": "poly", "power": 2.0, "total": 150}, lambda o: sched.PolynomialLR(o, total_iters=150, power=2.0)),
    ("linear decay", {"kind": "linear", "to": 0.0, "total": 200}, lambda o: sched.LinearLR(o, start_factor=1.0, end_factor=1e-12, total_iters=200)),
    ("cosine", {"kind": "cosine", "etaMin": 1e-4, "tMax": 200}, lambda o: sched.CosineAnnealingLR(o, T_max=200, eta_min=1e-4)),
    ("cosine past T_max", {"kind": "cosine", "etaMin": 0.001, "tMax": 60}, lambda o: sched.CosineAnnealingLR(o, T_max=60, eta_min=0.001)),
    ("sgdr T_mult 2", {"kind": "sgdr", "t0": 10, "tMult": 2, "etaMin": 1e-3}, lambda o: sched.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2, eta_min=1e-3)),
    ("sgdr T_mult 1", {"kind": "sgdr", "t0": 25, "tMult": 1, "etaMin": 0.0}, lambda o: sched.CosineAnnealingWarmRestarts(o, T_0=25, T_mult=1)),
    ("cyclic triangular", {"kind": "cyclic", "baseLr": 0.001, "maxLr": 0.1, "stepSizeUp": 20, "mode": "triangular", "gamma": 1.0}, lambda o: sched.CyclicLR(o, base_lr=0.001, max_lr=0.1, step_size_up=20, mode="triangular", cycle_momentum=False)),
    ("cyclic triangular2", {"kind": "cyclic", "baseLr": 0.001, "maxLr": 0.1, "stepSizeUp": 15, "mode": "triangular2", "gamma": 1.0}, lambda o: sched.CyclicLR(o, base_lr=0.001, max_lr=0.1, step_size_up=15, mode="triangular2", cycle_momentum=False)),
    ("cyclic exp_range", {"kind": "cyclic", "baseLr": 0.001, "maxLr": 0.1, "stepSizeUp": 20, "mode": "exp_range", "gamma": 0.99}, lambda o: sched.CyclicLR(o, base_lr=0.001, max_lr=0.1, step_size_up=20, mode="exp_range", gamma=0.99, cycle_momentum=False)),
    ("one cycle cos", {"kind": "one_cycle", "maxLr": 0.1, "total": 200, "pctStart": 0.3, "divFactor": 25, "finalDivFactor": 1e4, "anneal": "cos"}, lambda o: sched.OneCycleLR(o, max_lr=0.1, total_steps=200, cycle_momentum=False)),
    ("one cycle linear", {"kind": "one_cycle", "maxLr": 0.2, "total": 200, "pctStart": 0.25, "divFactor": 10, "finalDivFactor": 100, "anneal": "linear"}, lambda o: sched.OneCycleLR(o, max_lr=0.2, total_steps=200, pct_start=0.25, div_factor=10, final_div_factor=100, anneal_strategy="linear", cycle_momentum=False)),
    ("warmup", {"kind": "warmup", "duration": 40, "from": 0.1}, lambda o: sched.LinearLR(o, start_factor=0.1, total_iters=40)),
    (
        "warmup then cosine",
        {"kind": "sequence", "parts": [{"schedule": {"kind": "warmup", "duration": 20, "from": 0.05}, "length": 20}, {"schedule": {"kind": "cosine", "etaMin": 0.0, "tMax": 180}, "length": 180}]},
        lambda o: sched.SequentialLR(o, [sched.LinearLR(o, start_factor=0.05, total_iters=20), sched.CosineAnnealingLR(o, T_max=180)], milestones=[20]),
    ),
]

METRICS = [1.0 / (1 + 0.1 * k) if k < 20 else 0.35 + 0.001 * math.sin(k) for k in range(60)]


def run_plateau(options):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=LR0)
    scheduler = sched.ReduceLROnPlateau(opt, **options)
    lrs = []
    for metric in METRICS:
        opt.step()
        scheduler.step(metric)
        lrs.append(opt.param_groups[0]["lr"])
    return lrs


schedules = {
    "lr0": LR0,
    "steps": SCHEDULE_STEPS,
    "cases": [{"name": name, "spec": spec, "lrs": run_schedule(make)} for name, spec, make in schedule_cases],
    "plateau": {
        "metrics": METRICS,
        "cases": [
            {"name": "defaults", "options": {"mode": "min", "factor": 0.1, "patience": 10, "threshold": 1e-4, "cooldown": 0, "minLr": 0}, "lrs": run_plateau({})},
            {"name": "patience 3 cooldown 2 min_lr", "options": {"mode": "min", "factor": 0.5, "patience": 3, "threshold": 1e-3, "cooldown": 2, "minLr": 0.01}, "lrs": run_plateau({"factor": 0.5, "patience": 3, "threshold": 1e-3, "cooldown": 2, "min_lr": 0.01})},
        ],
    },
}
(OUT / "schedules.json").write_text(json.dumps(schedules, indent=1) + "\n")
print("wrote optimizers.json and schedules.json")

# BatchNorm1d (train: batch statistics, biased variance, running estimates with the unbiased variance;
# eval: running estimates) and cross-entropy with label smoothing: outputs and gradients.
X = torch.tensor([[math.sin(1.3 * i + 0.7 * j) * (1 + j) for j in range(4)] for i in range(6)], requires_grad=True)
W = torch.tensor([[math.cos(0.9 * i - 0.4 * j) for j in range(4)] for i in range(6)])
bn = torch.nn.BatchNorm1d(4, momentum=0.1, eps=1e-5)
with torch.no_grad():
    bn.weight.copy_(torch.tensor([1.0, 0.5, -1.5, 2.0]))
    bn.bias.copy_(torch.tensor([0.0, 0.1, -0.2, 0.3]))
bn.train()
y_train = bn(X)
(y_train * W).sum().backward()
train = {"y": y_train.detach().tolist(), "dx": X.grad.tolist(), "dgamma": bn.weight.grad.tolist(), "dbeta": bn.bias.grad.tolist(), "running_mean": bn.running_mean.tolist(), "running_var": bn.running_var.tolist()}
bn.eval()
X2 = torch.tensor([[0.5 * i - 0.3 * j for j in range(4)] for i in range(3)])
eval_out = bn(X2).detach().tolist()

LOGITS = torch.tensor([[math.sin(0.8 * i + 1.7 * j) * 2 for j in range(5)] for i in range(4)], requires_grad=True)
LABELS = [0, 3, 4, 1]
ce = {}
for smoothing in (0.0, 0.1, 0.3):
    for reduction in ("mean", "sum"):
        logits = LOGITS.detach().clone().requires_grad_(True)
        loss = torch.nn.functional.cross_entropy(logits, torch.tensor(LABELS), label_smoothing=smoothing, reduction=reduction)
        loss.backward()
        ce[f"{smoothing}/{reduction}"] = {"loss": loss.item(), "grad": logits.grad.tolist()}

layers = {
    "batchnorm": {"x": X.detach().tolist(), "w": W.tolist(), "gamma": [1.0, 0.5, -1.5, 2.0], "beta": [0.0, 0.1, -0.2, 0.3], "train": train, "eval_x": X2.tolist(), "eval_y": eval_out},
    "cross_entropy": {"logits": LOGITS.detach().tolist(), "labels": LABELS, "cases": ce},
}
(OUT / "layers.json").write_text(json.dumps(layers, indent=1) + "\n")
print("wrote layers.json")

# Initializer statistics from torch.nn.init on a 256×256 weight (fan_in = fan_out = 256).
torch.manual_seed(0)
init_cases = {
    "xavier_uniform": lambda w: torch.nn.init.xavier_uniform_(w, gain=1.0),
    "xavier_normal": lambda w: torch.nn.init.xavier_normal_(w, gain=2.0),
    "kaiming_normal_relu": lambda w: torch.nn.init.kaiming_normal_(w, nonlinearity="relu"),
    "kaiming_uniform_fan_out_relu": lambda w: torch.nn.init.kaiming_uniform_(w, mode="fan_out", nonlinearity="relu"),
    "pytorch_default_linear": lambda w: torch.nn.init.kaiming_uniform_(w, a=math.sqrt(5)),
    "normal_std_0.01": lambda w: torch.nn.init.normal_(w, std=0.01),
}
inits = {}
for name, make in init_cases.items():
    w = torch.empty(256, 256, dtype=torch.float32)
    make(w)
    inits[name] = {"mean": w.mean().item(), "std": w.std(unbiased=False).item(), "min": w.min().item(), "max": w.max().item()}
(OUT / "inits.json").write_text(json.dumps(inits, indent=1) + "\n")
print("wrote inits.json")
