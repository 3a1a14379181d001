"""A small convolutional network trained for 20 steps of SGD with momentum, replayed by PyTorch 1.13.

Run with Debian's Python and python3-torch:  /usr/bin/python3 tests/golden/make_cnn_golden.py
Writes tests/golden/cnn_training.json: the .dl source, its CSV data, the loss of every step, the final
parameters and BatchNorm running statistics, and the loss in evaluation mode. The initial weights come from
dslc's counter-based RNG (dslc_rng.py), so both sides start from the same numbers; batches are the file's
rows in order. tests/webgpu/golden-training.test.ts replays it on the CPU reference and on WebGPU.
"""
import json
import math
from pathlib import Path

import torch

from dslc_rng import init_normal, init_uniform

OUT = Path(__file__).resolve().parent
torch.set_default_dtype(torch.float32)

EXAMPLES, SIDE, CLASSES, BATCH, EPOCHS = 20, 8, 3, 4, 4
# Smooth images with a class-dependent pattern, so the network has something to learn in 20 steps.
ROWS = [[round(math.sin(0.3 * i + 0.17 * p + (i % CLASSES) * 0.9 * (p % SIDE)), 4) for p in range(SIDE * SIDE)] + [i % CLASSES] for i in range(EXAMPLES)]
CSV = ",".join([f"p{p}" for p in range(SIDE * SIDE)] + ["label"]) + "\n" + "".join(",".join(str(v) for v in row) + "\n" for row in ROWS)
X = torch.tensor([row[:-1] for row in ROWS]).reshape(EXAMPLES, 1, SIDE, SIDE)
Y = torch.tensor([row[-1] for row in ROWS])

SOURCE = """model SmallCNN(x: f32[N, 1, 8, 8]) -> f32[N, 3] {
  h = x |> conv2d(4, kernel: 3, padding: 1, init: uniform(-0.3, 0.3), bias_init: constant(0.05))
    |> batchnorm(momentum: 0.2) |> relu |> maxpool(2)
  h = h |> conv2d(6, kernel: [3, 2], stride: 2, padding: 1, bias: false, init: normal(0, 0.25)) |> relu
  h = h |> avgpool(2, padding: 1)
  return h |> flatten |> dense(3, init: uniform(-0.4, 0.4), bias_init: zeros)
}

train {
  data = csv("cnn.csv", label: "label", shape: [1, 8, 8])
  loss = cross_entropy()
  optimizer = sgd(lr: 0.05, momentum: 0.9)
  epochs 4
  batch 4
  shuffle false
  seed 17
  log_every 1 steps
}
"""


def run():
    seed = 17
    conv1 = torch.nn.Conv2d(1, 4, 3, padding=1)
    bn = torch.nn.BatchNorm2d(4, momentum=0.2)
    conv2 = torch.nn.Conv2d(4, 6, (3, 2), stride=2, padding=1, bias=False)
    # 8×8 → conv → 8×8 → maxpool → 4×4 → conv (3×2, stride 2, padding 1) → 2×3 → avgpool(2, padding 1) → 2×2.
    pool2 = torch.nn.AvgPool2d(2, padding=1)
    dense = torch.nn.Linear(6 * 2 * 2, 3)
    with torch.no_grad():
        # dslc's parameter order: conv weight, conv bias, batchnorm gamma and beta, second conv weight, dense
        # weight and bias (the stream of each initializer is 3000 + its index in that order).
        conv1.weight.copy_(init_uniform([4, 1, 3, 3], seed, 0, -0.3, 0.3))
        conv1.bias.fill_(0.05)
        conv2.weight.copy_(init_normal([6, 4, 3, 2], seed, 4, 0.0, 0.25))
        dense.weight.copy_(init_uniform([3, 24], seed, 5, -0.4, 0.4))
        dense.bias.zero_()
    model = torch.nn.Sequential(conv1, bn, torch.nn.ReLU(), torch.nn.MaxPool2d(2), conv2, torch.nn.ReLU(), pool2, torch.nn.Flatten(), dense)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    losses = []
    for _ in range(EPOCHS):
        for start in range(0, EXAMPLES, BATCH):
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(X[start : start + BATCH]), Y[start : start + BATCH])
            losses.append(loss.item())
            loss.backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        eval_loss = torch.nn.functional.cross_entropy(model(X), Y).item()
    params = {"conv1": conv1.weight, "conv1_bias": conv1.bias, "gamma": bn.weight, "beta": bn.bias, "conv2": conv2.weight, "dense": dense.weight, "dense_bias": dense.bias}
    state = {"running_mean": bn.running_mean, "running_var": bn.running_var}
    return {
        "losses": losses,
        # Keyed by dslc's parameter order; the test maps them to dslc's names.
        "params": [t.detach().flatten().tolist() for t in params.values()],
        "state": [t.flatten().tolist() for t in state.values()],
        "eval_loss": eval_loss,
    }


golden = {"csv_name": "cnn.csv", "csv": CSV, "name": "small CNN: conv, BatchNorm over channels, both pools, SGD with momentum", "source": SOURCE, **run()}
(OUT / "cnn_training.json").write_text(json.dumps(golden, indent=1) + "\n")
print("wrote cnn_training.json")
