"""Training runs under `compat caffe` and `compat keras` (features.md §13), replayed with Caffe's and Keras' update rules.

Run with Debian's Python:  /usr/bin/python3 tests/golden/make_compat_golden.py
Writes tests/golden/compat.json, read by tests/webgpu/golden-compat.test.ts (both backends).
Each run is 20 steps (12 rows, batch 3, 5 epochs, file order) of the two-layer MLP of make_optimizer_golden.py
from dslc's initial weights (dslc_rng.py), under a per-epoch exponential schedule, so that the learning rate
changes while the velocity carries old gradients: there Caffe's and Keras' v = μ·v + lr·g and PyTorch's
v = μ·v + g; θ −= lr·v part. PyTorch computes only the gradients (autograd, the same in every framework); the
updates are written out below in float32 numpy from the frameworks' own sources:

- Caffe (BVLC master), src/caffe/solvers/sgd_solver.cpp: Regularize() adds local_decay·data to the diff (L2),
  ComputeUpdateValue() does history = local_rate·diff + momentum·history (caffe_cpu_axpby) and copies history
  into the diff, and Blob::Update() subtracts the diff from the data.
- Caffe, src/caffe/solvers/adam_solver.cpp ComputeUpdateValue(): m = β₁m + (1−β₁)g, v = β₂v + (1−β₂)g²,
  t = iter + 1, correction = √(1−β₂ᵗ)/(1−β₁ᵗ), diff = local_rate·correction·m/(√v + δ) (δ = 1e-8 default).
- Keras (2.11+), keras/optimizers/sgd.py update_step(): m = momentum·m − lr·g; variable += m, or with Nesterov
  variable += momentum·m − lr·g.
- Keras, keras/optimizers/adam.py update_step(): alpha = lr·√(1−β₂ᵗ)/(1−β₁ᵗ), m += (g − m)(1−β₁),
  v += (g² − v)(1−β₂), variable −= m·alpha/(√v + ε) with ε = 1e-7 (the constructor's default); with
  weight_decay (AdamW, keras/optimizers/adamw.py via optimizer.py _apply_weight_decay) variable −= variable·λ·lr first.
"""
import json
import math
from pathlib import Path

import numpy as np
import torch

from dslc_rng import init_normal, init_uniform

# The rows, seed and run length every replayed golden shares (the model is this script's own).
from replay import BATCH, CSV, EPOCHS, OUT, ROWS, SEED, STEPS, X, Y  # noqa: E402
f32 = np.float32
GAMMA = 0.7

SOURCE = """model M(x: f32[N, 3]) -> f32[N, 3] {{
  h = x |> dense(5, init: uniform(-0.5, 0.5), bias_init: constant(0.1)) |> relu
  return h |> dense(3, init: normal(0, 0.3), bias_init: zeros)
}}

train {{
  data = csv("tiny.csv", label: "label")
  loss = cross_entropy()
  optimizer = {optimizer}
  schedule = exponential({gamma})
  compat {compat}
  epochs {epochs}
  batch {batch}
  shuffle false
  seed {seed}
  log_every 1 steps
}}
"""


class CaffeSGD:
    def __init__(self, momentum, weight_decay):
        self.momentum, self.decay, self.history = f32(momentum), f32(weight_decay), {}

    def step(self, name, data, diff, rate, t):
        diff = diff + self.decay * data  # Regularize(), L2
        h = self.history.get(name, np.zeros_like(data))
        h = f32(rate) * diff + self.momentum * h  # ComputeUpdateValue(): caffe_cpu_axpby(local_rate, diff, momentum, history)
        self.history[name] = h
        return data - h  # Blob::Update()


class CaffeAdam:
    def __init__(self, beta1=0.9, beta2=0.999, delta=1e-8, weight_decay=0.0):
        self.beta1, self.beta2 = beta1, beta2
        self.b1, self.b2, self.delta, self.decay, self.m, self.v = f32(beta1), f32(beta2), f32(delta), f32(weight_decay), {}, {}

    def step(self, name, data, diff, rate, t):
        diff = diff + self.decay * data  # Regularize(), L2
        m = self.b1 * self.m.get(name, np.zeros_like(data)) + (1 - self.b1) * diff
        v = self.b2 * self.v.get(name, np.zeros_like(data)) + (1 - self.b2) * diff * diff
        self.m[name], self.v[name] = m, v
        # The correction in double on the host, as dslc computes its per-step scalars (Caffe's Dtype is float).
        correction = math.sqrt(1 - self.beta2**t) / (1 - self.beta1**t)
        return data - f32(rate * correction) * m / (np.sqrt(v) + self.delta)


class KerasSGD:
    def __init__(self, momentum, nesterov):
        self.momentum, self.nesterov, self.m = f32(momentum), nesterov, {}

    def step(self, name, variable, gradient, lr, t):
        m = self.momentum * self.m.get(name, np.zeros_like(variable)) - f32(lr) * gradient
        self.m[name] = m
        if self.nesterov:
            return variable + (self.momentum * m - f32(lr) * gradient)
        return variable + m


class KerasAdam:
    def __init__(self, beta1=0.9, beta2=0.999, epsilon=1e-7, weight_decay=0.0):
        self.b1, self.b2, self.eps, self.decay, self.m, self.v = beta1, beta2, f32(epsilon), weight_decay, {}, {}

    def step(self, name, variable, gradient, lr, t):
        if self.decay:
            variable = variable - variable * f32(self.decay * lr)  # _apply_weight_decay (AdamW)
        alpha = f32(lr * math.sqrt(1 - self.b2 ** t) / (1 - self.b1 ** t))
        m = self.m.get(name, np.zeros_like(variable))
        v = self.v.get(name, np.zeros_like(variable))
        m = m + (gradient - m) * f32(1 - self.b1)
        v = v + (gradient * gradient - v) * f32(1 - self.b2)
        self.m[name], self.v[name] = m, v
        return variable - (m * alpha) / (np.sqrt(v) + self.eps)


# (name, compat, optimizer in dslc, update rule)
CASES = [
    ("caffe sgd momentum weight decay", "caffe", "sgd(lr: 0.1, momentum: 0.9, weight_decay: 0.01)", lambda: CaffeSGD(0.9, 0.01)),
    ("caffe adam weight decay", "caffe", "adam(lr: 0.01, weight_decay: 0.01)", lambda: CaffeAdam(weight_decay=0.01)),
    ("keras sgd momentum", "keras", "sgd(lr: 0.1, momentum: 0.9)", lambda: KerasSGD(0.9, False)),
    ("keras sgd nesterov", "keras", "sgd(lr: 0.1, momentum: 0.9, nesterov: true)", lambda: KerasSGD(0.9, True)),
    ("keras adam default epsilon", "keras", "adam(lr: 0.01)", lambda: KerasAdam()),
    ("keras adamw", "keras", "adamw(lr: 0.01, weight_decay: 0.05)", lambda: KerasAdam(weight_decay=0.05)),
]


def run(rule, base_lr):
    params = {
        "dense_0.weight": init_uniform([5, 3], SEED, 0, -0.5, 0.5).numpy().astype(f32),
        "dense_0.bias": np.full([5], 0.1, dtype=f32),
        "dense_1.weight": init_normal([3, 5], SEED, 2, 0.0, 0.3).numpy().astype(f32),
        "dense_1.bias": np.zeros([3], dtype=f32),
    }

    def loss_and_grads(x, y):
        t = {name: torch.tensor(value, requires_grad=True) for name, value in params.items()}
        h = torch.relu(x @ t["dense_0.weight"].T + t["dense_0.bias"])
        loss = torch.nn.functional.cross_entropy(h @ t["dense_1.weight"].T + t["dense_1.bias"], y)
        loss.backward()
        return loss.item(), {name: p.grad.numpy().astype(f32) for name, p in t.items()}

    losses, step = [], 0
    for epoch in range(EPOCHS):
        for start in range(0, len(ROWS), BATCH):
            step += 1
            loss, grads = loss_and_grads(X[start : start + BATCH], Y[start : start + BATCH])
            losses.append(loss)
            for name in params:
                params[name] = rule.step(name, params[name], grads[name], base_lr * GAMMA**epoch, step).astype(f32)
    eval_loss, _ = loss_and_grads(X, Y)
    return {"losses": losses, "params": {name: value.flatten().tolist() for name, value in params.items()}, "eval_loss": eval_loss}


runs = []
for name, compat, optimizer, make in CASES:
    base_lr = float(optimizer.split("lr: ")[1].split(",")[0].rstrip(")"))
    source = SOURCE.format(optimizer=optimizer, gamma=GAMMA, compat=compat, epochs=EPOCHS, batch=BATCH, seed=SEED)
    runs.append({"name": name, "source": source, **run(make(), base_lr)})
(OUT / "compat.json").write_text(json.dumps({"tiny_csv": CSV, "steps": STEPS, "runs": runs}, indent=1) + "\n")
print(f"wrote compat.json ({len(runs)} runs of {STEPS} steps)")
