"""Whole training runs of .dl files with gradient clipping, the max-norm constraint and the L1 and elastic-net
penalties, replayed by PyTorch 1.13.

Run with Debian's Python and python3-torch:  /usr/bin/python3 tests/golden/make_clip_golden.py
Writes tests/golden/clip.json, read by tests/webgpu/golden-clip.test.ts (both backends). Each run is 20 steps
(12 rows, batch 3, 5 epochs, file order) of a two-layer MLP whose initial weights come from dslc's
counter-based RNG (dslc_rng.py; the shared setup is replay.py). PyTorch's order within a step: backward, clip_grad_norm_ / clip_grad_value_,
optimizer.step() (which adds weight decay to the clipped gradient), then torch.renorm of the constrained
weights. The regularizer is part of the loss, so the logged and evaluated losses include it, as dslc's do.
Each run also records how often clipping or renorming changed something, so the tests can insist that the
chosen thresholds bite on some steps and not on others. The runs are in float32, as dslc trains.
"""
import torch

from replay import STEPS, dl_source, mlp, train, write


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
    model, named = mlp()
    everything = list(named.values())
    weights = [named["dense_0.weight"], named["dense_1.weight"]]
    optimizer = make_optimizer(everything)
    counts = {"clipped": 0, "renormed": 0}

    def loss_of(x, y):
        loss = torch.nn.functional.cross_entropy(model(x), y)
        return loss + penalty(weights, everything) if penalty else loss

    def clip_gradients():
        if clip[0] == "norm":
            total = torch.nn.utils.clip_grad_norm_(everything, clip[1])
            counts["clipped"] += int(total.item() + 1e-6 > clip[1])
        else:
            counts["clipped"] += int(any((p.grad.abs() > clip[1]).any().item() for p in everything))
            torch.nn.utils.clip_grad_value_(everything, clip[1])

    def renorm():
        value, on = max_norm
        with torch.no_grad():
            constrained = weights if on == "weights" else everything
            # A unit's incoming weights are a slice along axis 0; a 1-D parameter (a bias) has one
            # number per unit, so it is renormed as [units, 1] (torch.renorm wants 2 dimensions).
            rows = [p.reshape(p.shape[0], -1) for p in constrained]
            counts["renormed"] += int(any((r.norm(dim=1) > value).any().item() for r in rows))
            for p, r in zip(constrained, rows):
                p.copy_(torch.renorm(r, 2, 0, value).reshape(p.shape))

    result = train(model, named, optimizer, loss_of=loss_of, after_backward=clip_gradients if clip else None, after_step=renorm if max_norm else None)
    return {**result, **counts}


runs = []
for name, loss, optimizer, extra, make_optimizer, penalty, clip, max_norm in CASES:
    source = dl_source(optimizer, loss=loss, extra=extra)
    result = run(make_optimizer, penalty, clip, max_norm)
    print(f"{name}: {result['clipped']} of {STEPS} steps clipped, {result['renormed']} renormed")
    runs.append({"name": name, "source": source, **result})
write("clip.json", runs)
