"""Golden values from PyTorch 1.13 for dslc's reference implementations.

Run with Debian's Python and python3-torch:  /usr/bin/python3 tests/golden/make_golden.py
Writes tests/golden/optimizers.json, schedules.json, long_adam.json, cycled_momentum.json, layers.json
and inits.json. The tests only read the JSON, so they do not need PyTorch.
"""
import json
import math
from pathlib import Path

import torch

from dslc_rng import init_normal, init_uniform

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


NO_CYCLIC_MOMENTUM = {"cycleMomentum": False, "baseMomentum": 0.8, "maxMomentum": 0.9}
NO_ONE_CYCLE_MOMENTUM = {"cycleMomentum": False, "baseMomentum": 0.85, "maxMomentum": 0.95}

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
    ("cyclic triangular", {"kind": "cyclic", "baseLr": 0.001, "maxLr": 0.1, "stepSizeUp": 20, "mode": "triangular", "gamma": 1.0, **NO_CYCLIC_MOMENTUM}, lambda o: sched.CyclicLR(o, base_lr=0.001, max_lr=0.1, step_size_up=20, mode="triangular", cycle_momentum=False)),
    ("cyclic triangular2", {"kind": "cyclic", "baseLr": 0.001, "maxLr": 0.1, "stepSizeUp": 15, "mode": "triangular2", "gamma": 1.0, **NO_CYCLIC_MOMENTUM}, lambda o: sched.CyclicLR(o, base_lr=0.001, max_lr=0.1, step_size_up=15, mode="triangular2", cycle_momentum=False)),
    ("cyclic exp_range", {"kind": "cyclic", "baseLr": 0.001, "maxLr": 0.1, "stepSizeUp": 20, "mode": "exp_range", "gamma": 0.99, **NO_CYCLIC_MOMENTUM}, lambda o: sched.CyclicLR(o, base_lr=0.001, max_lr=0.1, step_size_up=20, mode="exp_range", gamma=0.99, cycle_momentum=False)),
    ("one cycle cos", {"kind": "one_cycle", "maxLr": 0.1, "total": 200, "pctStart": 0.3, "divFactor": 25, "finalDivFactor": 1e4, "anneal": "cos", **NO_ONE_CYCLE_MOMENTUM}, lambda o: sched.OneCycleLR(o, max_lr=0.1, total_steps=200, cycle_momentum=False)),
    ("one cycle linear", {"kind": "one_cycle", "maxLr": 0.2, "total": 200, "pctStart": 0.25, "divFactor": 10, "finalDivFactor": 100, "anneal": "linear", **NO_ONE_CYCLE_MOMENTUM}, lambda o: sched.OneCycleLR(o, max_lr=0.2, total_steps=200, pct_start=0.25, div_factor=10, final_div_factor=100, anneal_strategy="linear", cycle_momentum=False)),
    ("warmup", {"kind": "warmup", "duration": 40, "from": 0.1}, lambda o: sched.LinearLR(o, start_factor=0.1, total_iters=40)),
    (
        "warmup then cosine",
        {"kind": "sequence", "stepsPerEpoch": 10, "parts": [{"schedule": {"kind": "warmup", "duration": 20, "from": 0.05}, "length": 20, "per": "step"}, {"schedule": {"kind": "cosine", "etaMin": 0.0, "tMax": 180}, "length": 180, "per": "step"}]},
        lambda o: sched.SequentialLR(o, [sched.LinearLR(o, start_factor=0.05, total_iters=20), sched.CosineAnnealingLR(o, T_max=180)], milestones=[20]),
    ),
    # Restarts at steps 1, 3, 7, …, 127 and at 1, 11, 111: a float log places step 111 in the wrong cycle.
    ("sgdr T_mult 2 from 1", {"kind": "sgdr", "t0": 1, "tMult": 2, "etaMin": 1e-3}, lambda o: sched.CosineAnnealingWarmRestarts(o, T_0=1, T_mult=2, eta_min=1e-3)),
    ("sgdr T_mult 10", {"kind": "sgdr", "t0": 1, "tMult": 10, "etaMin": 1e-4}, lambda o: sched.CosineAnnealingWarmRestarts(o, T_0=1, T_mult=10, eta_min=1e-4)),
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

# Adam, Adam with AMSGrad and AdamW with AMSGrad over 3000 steps with β₂ = 0.999: long enough that computing
# the bias corrections in f32 on the device (pow(0.999, t)) drifts measurably from PyTorch. The gradients use
# only exactly rounded arithmetic, so the tests recompute the same doubles (long_adam.json keeps a sample to
# check that). Each coordinate keeps its sign, so per-step errors add up instead of cancelling; the amplitude
# drops fourfold for 800 of every 1200 steps, so AMSGrad's running maximum differs from v.
LONG_STEPS = 3000
LONG_CHECKPOINTS = [k for k in range(1, LONG_STEPS + 1) if k <= 10 or k % 50 == 0]


def long_grad(k, i):
    u = (((k + 1) * (2 * i + 3) * 7919) % 2003) / 1001.5 - 1
    amplitude = 2.0 if (k // 400) % 3 == 0 else 0.5
    sign = 1.0 if i % 2 == 0 else -1.0
    return sign * amplitude * (0.5 + 0.4 * u)


LONG_GRADS = [[long_grad(k, i) for i in range(SIZE)] for k in range(LONG_STEPS)]


def run_long(make):
    p = torch.tensor(INITIAL, requires_grad=True)
    opt = make([p])
    trajectory = []
    for k in range(LONG_STEPS):
        opt.zero_grad()
        p.grad = torch.tensor(LONG_GRADS[k])
        opt.step()
        if k + 1 in LONG_CHECKPOINTS:
            trajectory.append(p.detach().tolist())
    return trajectory


long_cases = [
    ("adam", {"kind": "adam", "lr": 0.01}, lambda ps: torch.optim.Adam(ps, lr=0.01)),
    ("adam amsgrad", {"kind": "adam", "lr": 0.01, "amsgrad": True}, lambda ps: torch.optim.Adam(ps, lr=0.01, amsgrad=True)),
    ("adamw amsgrad", {"kind": "adamw", "lr": 0.01, "weightDecay": 0.01, "amsgrad": True}, lambda ps: torch.optim.AdamW(ps, lr=0.01, weight_decay=0.01, amsgrad=True)),
]
long_adam = {
    "steps": LONG_STEPS,
    "initial": INITIAL,
    "grads_sample": {str(k): LONG_GRADS[k] for k in (0, 1, 399, 400, 1234, LONG_STEPS - 1)},
    "checkpoints": LONG_CHECKPOINTS,
    "cases": [{"name": name, "spec": spec, "trajectory": run_long(make)} for name, spec, make in long_cases],
}
(OUT / "long_adam.json").write_text(json.dumps(long_adam, indent=1) + "\n")
print("wrote long_adam.json")

# Momentum cycling (cycle_momentum=True, PyTorch's default) of CyclicLR and OneCycleLR: the lr and the
# momentum (β₁ for Adam-family optimizers) before each step, and the parameters after the steps listed in
# "checkpoints" (a wrong momentum at any step stays in the moments, so every fifth step is enough), with
# scheduler.step() after each optimizer.step() as PyTorch users write it.
CYCLE_STEPS = 100
CYCLE_CHECKPOINTS = [k for k in range(1, CYCLE_STEPS + 1) if k <= 3 or k % 5 == 0]
CYCLE_GRADS = [[math.cos(0.37 * (k + 1) * (i + 1)) + 0.1 * (i - 3) for i in range(SIZE)] for k in range(CYCLE_STEPS)]


def cyclic_spec(base_lr, max_lr, up, mode, gamma=1.0, base_momentum=0.8, max_momentum=0.9):
    return {"kind": "cyclic", "baseLr": base_lr, "maxLr": max_lr, "stepSizeUp": up, "mode": mode, "gamma": gamma, "cycleMomentum": True, "baseMomentum": base_momentum, "maxMomentum": max_momentum}


def cyclic_lr(o, spec):
    return sched.CyclicLR(o, base_lr=spec["baseLr"], max_lr=spec["maxLr"], step_size_up=spec["stepSizeUp"], mode=spec["mode"], gamma=spec["gamma"], base_momentum=spec["baseMomentum"], max_momentum=spec["maxMomentum"])


def one_cycle_spec(max_lr, anneal="cos", pct_start=0.3, div_factor=25.0, final_div_factor=1e4, base_momentum=0.85, max_momentum=0.95):
    return {"kind": "one_cycle", "maxLr": max_lr, "total": CYCLE_STEPS, "pctStart": pct_start, "divFactor": div_factor, "finalDivFactor": final_div_factor, "anneal": anneal, "cycleMomentum": True, "baseMomentum": base_momentum, "maxMomentum": max_momentum}


def one_cycle_lr(o, spec):
    return sched.OneCycleLR(o, max_lr=spec["maxLr"], total_steps=spec["total"], pct_start=spec["pctStart"], div_factor=spec["divFactor"], final_div_factor=spec["finalDivFactor"], anneal_strategy=spec["anneal"], base_momentum=spec["baseMomentum"], max_momentum=spec["maxMomentum"])


def momentum_of(group):
    return group["betas"][0] if "betas" in group else group["momentum"]


def run_cycled(make_optimizer, make_scheduler):
    p = torch.tensor(INITIAL, requires_grad=True)
    opt = make_optimizer([p])
    scheduler = make_scheduler(opt)
    lrs, momenta, trajectory = [], [], []
    for k in range(CYCLE_STEPS):
        group = opt.param_groups[0]
        lrs.append(group["lr"])
        momenta.append(momentum_of(group))
        opt.zero_grad()
        p.grad = torch.tensor(CYCLE_GRADS[k])
        opt.step()
        scheduler.step()
        if k + 1 in CYCLE_CHECKPOINTS:
            trajectory.append(p.detach().tolist())
    return lrs, momenta, trajectory


class CyclicBeta1:
    """CyclicLR for an Adam-family optimizer, which PyTorch 1.13 refuses: a CyclicLR on a stand-in SGD
    supplies each step's lr and momentum, copied into lr and betas[0] as PyTorch 2.x's CyclicLR does."""

    def __init__(self, opt, spec):
        self.opt = opt
        self.stand_in = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=spec["baseLr"])
        self.cyclic = cyclic_lr(self.stand_in, spec)
        self.copy()

    def copy(self):
        source = self.stand_in.param_groups[0]
        for group in self.opt.param_groups:
            group["lr"] = source["lr"]
            group["betas"] = (source["momentum"], group["betas"][1])

    def step(self):
        # The stand-in has no gradient, so its step moves nothing; it keeps PyTorch from warning about order.
        self.stand_in.step()
        self.cyclic.step()
        self.copy()


SGD = torch.optim.SGD
cycled_cases = [
    ("cyclic triangular, sgd without momentum", {"kind": "sgd", "lr": 0.01}, cyclic_spec(0.01, 0.1, 10, "triangular"), lambda ps: SGD(ps, lr=0.01), cyclic_lr),
    ("cyclic triangular2, sgd dampening", {"kind": "sgd", "lr": 0.01, "momentum": 0.9, "dampening": 0.1}, cyclic_spec(0.01, 0.1, 10, "triangular2", base_momentum=0.7, max_momentum=0.95), lambda ps: SGD(ps, lr=0.01, momentum=0.9, dampening=0.1), cyclic_lr),
    ("cyclic exp_range, sgd nesterov decay", {"kind": "sgd", "lr": 0.01, "momentum": 0.5, "nesterov": True, "weightDecay": 0.01}, cyclic_spec(0.01, 0.1, 10, "exp_range", gamma=0.98), lambda ps: SGD(ps, lr=0.01, momentum=0.5, nesterov=True, weight_decay=0.01), cyclic_lr),
    ("cyclic triangular, rmsprop", {"kind": "rmsprop", "lr": 0.001}, cyclic_spec(0.001, 0.01, 10, "triangular"), lambda ps: torch.optim.RMSprop(ps, lr=0.001), cyclic_lr),
    ("cyclic triangular2, adam beta1", {"kind": "adam", "lr": 0.001}, cyclic_spec(0.001, 0.01, 10, "triangular2", base_momentum=0.85, max_momentum=0.95), lambda ps: torch.optim.Adam(ps, lr=0.001), CyclicBeta1),
    ("one cycle cos, sgd", {"kind": "sgd", "lr": 0.01, "momentum": 0.9}, one_cycle_spec(0.1), lambda ps: SGD(ps, lr=0.01, momentum=0.9), one_cycle_lr),
    ("one cycle linear, sgd without momentum", {"kind": "sgd", "lr": 0.01}, one_cycle_spec(0.1, "linear", pct_start=0.25, div_factor=10.0, final_div_factor=100.0), lambda ps: SGD(ps, lr=0.01), one_cycle_lr),
    ("one cycle cos, adam", {"kind": "adam", "lr": 0.001}, one_cycle_spec(0.01), lambda ps: torch.optim.Adam(ps, lr=0.001), one_cycle_lr),
    ("one cycle linear, adamw amsgrad", {"kind": "adamw", "lr": 0.001, "weightDecay": 0.05, "amsgrad": True}, one_cycle_spec(0.01, "linear", pct_start=0.25, div_factor=10.0, final_div_factor=100.0, base_momentum=0.8, max_momentum=0.9), lambda ps: torch.optim.AdamW(ps, lr=0.001, weight_decay=0.05, amsgrad=True), one_cycle_lr),
    ("one cycle cos, adamax", {"kind": "adamax", "lr": 0.002}, one_cycle_spec(0.01), lambda ps: torch.optim.Adamax(ps, lr=0.002), one_cycle_lr),
    ("one cycle cos, nadam", {"kind": "nadam", "lr": 0.002}, one_cycle_spec(0.01), lambda ps: torch.optim.NAdam(ps, lr=0.002), one_cycle_lr),
    ("one cycle linear, rmsprop centered", {"kind": "rmsprop", "lr": 0.001, "centered": True, "momentum": 0.5}, one_cycle_spec(0.01, "linear"), lambda ps: torch.optim.RMSprop(ps, lr=0.001, centered=True, momentum=0.5), one_cycle_lr),
]


def cycled_case(name, optimizer, schedule, make_optimizer, make_scheduler):
    lrs, momenta, trajectory = run_cycled(make_optimizer, lambda o: make_scheduler(o, schedule))
    return {"name": name, "optimizer": optimizer, "schedule": schedule, "lrs": lrs, "momentum": momenta, "trajectory": trajectory}


cycled_momentum = {
    "steps": CYCLE_STEPS,
    "initial": INITIAL,
    "grads": CYCLE_GRADS,
    "checkpoints": CYCLE_CHECKPOINTS,
    "cases": [cycled_case(*case) for case in cycled_cases],
}
(OUT / "cycled_momentum.json").write_text(json.dumps(cycled_momentum, indent=1) + "\n")
print("wrote cycled_momentum.json")

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

# Whole training runs of .dl files, replayed by PyTorch: positional and let-valued initializer, optimizer
# and schedule arguments, BatchNorm without its affine parameters and without running statistics, cycled
# momentum. The initial weights come from dslc's counter-based RNG (runtime/rng.ts, runtime/init.ts),
# ported below, so both sides start from the same numbers; the data is a small CSV in file order.
TINY_ROWS = [[round(math.sin(0.7 * i + j), 4) for j in range(3)] + [i % 3] for i in range(12)]
TINY_CSV = "a,b,c,label\n" + "".join(",".join(str(v) for v in row) + "\n" for row in TINY_ROWS)
TINY_X = torch.tensor([row[:3] for row in TINY_ROWS], dtype=torch.float32)
TINY_Y = torch.tensor([row[3] for row in TINY_ROWS])

RUN_A = """let a = 0.5
let lr = 0.1

model M(x: f32[N, 3]) -> f32[N, 3] {
  h = x |> dense(5, init: uniform(-a, a), bias_init: constant(0.1)) |> batchnorm(affine: false) |> relu
  return h |> dense(3, init: normal(0, 0.3), bias_init: zeros)
}

train {
  data = csv("tiny.csv", label: "label")
  loss = cross_entropy()
  optimizer = sgd(lr, 0.9)
  schedule = exponential(0.5)
  epochs 3
  batch 4
  shuffle false
  seed 11
  log_every 1 steps
}
"""

RUN_B = """let w = 6

model M(x: f32[N, 3]) -> f32[N, 3] {
  h = x |> dense(w, false, kaiming_uniform(0, fan_in, relu)) |> batchnorm(1e-3, 0.2, true, false) |> relu
  return h |> dense(3, init: xavier_uniform(1.5))
}

train {
  data = csv("tiny.csv", label: "label")
  loss = cross_entropy()
  optimizer = adam(0.01, [0.8, 0.95])
  schedule = one_cycle(0.05, 0.4)
  epochs 3
  batch 4
  shuffle false
  seed 5
  log_every 1 steps
}
"""


def replay(model, named, optimizer, scheduler, per_epoch):
    losses = []
    for _ in range(3):
        for start in range(0, 12, 4):
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(TINY_X[start : start + 4]), TINY_Y[start : start + 4])
            losses.append(loss.item())
            loss.backward()
            optimizer.step()
            if not per_epoch:
                scheduler.step()
        if per_epoch:
            scheduler.step()
    model.eval()
    with torch.no_grad():
        eval_loss = torch.nn.functional.cross_entropy(model(TINY_X), TINY_Y).item()
    return {"losses": losses, "params": {name: t.detach().flatten().tolist() for name, t in named.items()}, "eval_loss": eval_loss}


def run_a():
    seed = 11
    first, bn, second = torch.nn.Linear(3, 5), torch.nn.BatchNorm1d(5, affine=False), torch.nn.Linear(5, 3)
    with torch.no_grad():
        # dslc's parameter order: dense_0.weight, dense_0.bias, dense_1.weight, dense_1.bias.
        first.weight.copy_(init_uniform([5, 3], seed, 0, -0.5, 0.5))
        first.bias.fill_(0.1)
        second.weight.copy_(init_normal([3, 5], seed, 2, 0.0, 0.3))
        second.bias.zero_()
    model = torch.nn.Sequential(first, bn, torch.nn.ReLU(), second)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = sched.ExponentialLR(optimizer, gamma=0.5)
    named = {"dense_0.weight": first.weight, "dense_0.bias": first.bias, "dense_1.weight": second.weight, "dense_1.bias": second.bias}
    result = replay(model, named, optimizer, scheduler, per_epoch=True)
    result["state"] = {"batchnorm_0.running_mean": bn.running_mean.tolist(), "batchnorm_0.running_var": bn.running_var.tolist()}
    return result


def run_b():
    seed = 5
    # No bias before BatchNorm (it would only receive rounding noise, which Adam magnifies into steps).
    first, bn, second = torch.nn.Linear(3, 6, bias=False), torch.nn.BatchNorm1d(6, eps=1e-3, momentum=0.2, affine=True, track_running_stats=False), torch.nn.Linear(6, 3)
    with torch.no_grad():
        # dslc's parameter order: dense_0.weight, batchnorm_0.gamma, batchnorm_0.beta, dense_1.weight, dense_1.bias.
        # kaiming_uniform(a: 0, fan_in, relu): bound √2·√(3/3); xavier_uniform(gain: 1.5): bound
        # 1.5·√(6/(6+3)); PyTorch's default bias U(±1/√fan_in).
        first.weight.copy_(init_uniform([6, 3], seed, 0, -math.sqrt(2), math.sqrt(2)))
        bound = 1.5 * math.sqrt(6 / 9)
        second.weight.copy_(init_uniform([3, 6], seed, 3, -bound, bound))
        second.bias.copy_(init_uniform([3], seed, 4, -1 / math.sqrt(6), 1 / math.sqrt(6)))
    model = torch.nn.Sequential(first, bn, torch.nn.ReLU(), second)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.95))
    # one_cycle over the rest of the run (9 steps), cycling β₁ (OneCycleLR's cycle_momentum for Adam).
    scheduler = sched.OneCycleLR(optimizer, max_lr=0.05, total_steps=9, pct_start=0.4)
    named = {"dense_0.weight": first.weight, "batchnorm_0.gamma": bn.weight, "batchnorm_0.beta": bn.bias, "dense_1.weight": second.weight, "dense_1.bias": second.bias}
    return replay(model, named, optimizer, scheduler, per_epoch=False)


torch.set_default_dtype(torch.float32)
runs = {"tiny_csv": TINY_CSV, "runs": [{"name": "sgd, exponential, batchnorm without affine", "source": RUN_A, **run_a()}, {"name": "adam, one_cycle, batchnorm without running statistics", "source": RUN_B, **run_b()}]}
(OUT / "training.json").write_text(json.dumps(runs, indent=1) + "\n")
print("wrote training.json")
