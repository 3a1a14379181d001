"""Golden values from PyTorch 1.13 for dslc's losses beyond mse and cross_entropy.

Run with Debian's Python and python3-torch:  /usr/bin/python3 tests/golden/make_loss_golden.py
Writes tests/golden/loss.json, read by tests/graph/loss.test.ts (which needs no PyTorch). Everything is
float64. Each case gives the op and attributes dslc's lowering produces (compiler/lower/loss.ts), the inputs,
the loss and the gradient of UPSTREAM·loss with respect to the input, for both reductions.
"""
import json
from pathlib import Path

import torch
import torch.nn.functional as F

OUT = Path(__file__).resolve().parent
torch.set_default_dtype(torch.float64)
gen = torch.Generator().manual_seed(20261124)
# The loss's upstream gradient: not 1, so that the tests see dy multiply through.
UPSTREAM = 1.7


def randn(*shape, scale=1.0):
    return torch.randn(*shape, generator=gen) * scale


def case(name, op, attrs, x, loss, target=None, labels=None):
    x = x.clone().requires_grad_(True)
    value = loss(x)
    (UPSTREAM * value).backward()
    out = {"name": name, "op": op, "attrs": attrs, "x": {"shape": list(x.shape), "data": x.detach().flatten().tolist()},
           "value": value.item(), "grad": x.grad.flatten().tolist()}
    if target is not None:
        out["target"] = {"shape": list(target.shape), "data": target.flatten().tolist()}
    if labels is not None:
        out["labels"] = labels.tolist()
    return out


cases = []
REDUCTIONS = ["mean", "sum"]

# Regression losses on [5, 3]: differences on both sides of δ and β.
x, t = randn(5, 3, scale=1.5), randn(5, 3)
for r in REDUCTIONS:
    cases.append(case(f"mae {r}", "pointwise_loss", {"kind": "mae", "threshold": 0, "reduction": r}, x, lambda v: F.l1_loss(v, t, reduction=r), target=t))
    for delta in [1.0, 0.7]:
        cases.append(case(f"huber δ={delta} {r}", "pointwise_loss", {"kind": "huber", "threshold": delta, "reduction": r}, x,
                          lambda v: F.huber_loss(v, t, reduction=r, delta=delta), target=t))
    for beta in [1.0, 0.6]:
        cases.append(case(f"smooth_l1 β={beta} {r}", "pointwise_loss", {"kind": "smooth_l1", "threshold": beta, "reduction": r}, x,
                          lambda v: F.smooth_l1_loss(v, t, reduction=r, beta=beta), target=t))

# bce on probabilities at and near 0 and 1 (the −100 clamp of each log and the 1e-12 floor of the
# gradient's denominator), at 1e-50 (whose log is below −100), and a soft target.
p = torch.tensor([[0.0], [1e-50], [1e-7], [1e-7], [0.3], [0.5], [0.8], [1 - 1e-7], [1.0], [0.6], [0.0]])
pt = torch.tensor([[0.0], [1.0], [1.0], [0.0], [1.0], [0.0], [1.0], [0.0], [1.0], [0.25], [1.0]])
# Extreme logits: exp(±100) and exp(±800) overflow a naive form even in float64.
z = torch.tensor([[-800.0], [-100.0], [-30.0], [-5.0], [-0.5], [0.0], [0.7], [4.0], [30.0], [100.0], [800.0]])
zt = torch.tensor([[0.0], [1.0], [1.0], [0.0], [1.0], [1.0], [0.0], [0.3], [0.0], [1.0], [1.0]])
for r in REDUCTIONS:
    cases.append(case(f"bce {r}", "pointwise_loss", {"kind": "bce", "threshold": 0, "reduction": r}, p, lambda v: F.binary_cross_entropy(v, pt, reduction=r), target=pt))
    cases.append(case(f"bce_with_logits {r}", "pointwise_loss", {"kind": "bce_logits", "threshold": 0, "reduction": r}, z,
                      lambda v: F.binary_cross_entropy_with_logits(v, zt, reduction=r), target=zt))

# Class-index losses on [5, 4].
labels = torch.tensor([2, 0, 3, 3, 1])
logp = F.log_softmax(randn(5, 4, scale=2.0), dim=1)
scores = randn(5, 4)
for r in REDUCTIONS:
    cases.append(case(f"nll {r}", "class_loss", {"kind": "nll", "margin": 0, "reduction": r}, logp, lambda v: F.nll_loss(v, labels, reduction=r), labels=labels))
    for margin in [1.0, 0.5]:
        # features.md §3's SVM loss sums over j ≠ y; multi_margin_loss divides that sum by the classes.
        cases.append(case(f"hinge margin={margin} {r}", "class_loss", {"kind": "hinge", "margin": margin, "reduction": r}, scores,
                          lambda v: scores.shape[1] * F.multi_margin_loss(v, labels, p=1, margin=margin, reduction=r), labels=labels))

# kl_div: dslc's `mean` is PyTorch's 'batchmean'. Target rows are distributions, one with a zero entry
# (xlogy: it contributes 0). Class labels are one-hot targets, lowered to nll.
q = F.softmax(randn(5, 4), dim=1)
q[1, 2] = 0.0
q = q / q.sum(dim=1, keepdim=True)
onehot = F.one_hot(labels, 4).to(torch.float64)
for r in REDUCTIONS:
    torch_r = "batchmean" if r == "mean" else "sum"
    cases.append(case(f"kl_div {r}", "pointwise_loss", {"kind": "kl_div", "threshold": 0, "reduction": torch_r}, logp,
                      lambda v: F.kl_div(v, q, reduction=torch_r), target=q))
    cases.append(case(f"kl_div one-hot {r}", "class_loss", {"kind": "nll", "margin": 0, "reduction": r}, logp,
                      lambda v: F.kl_div(v, onehot, reduction=torch_r), labels=labels))

(OUT / "loss.json").write_text(json.dumps({"torch": torch.__version__, "upstream": UPSTREAM, "cases": cases}, indent=1) + "\n")
print(f"wrote {len(cases)} cases")
