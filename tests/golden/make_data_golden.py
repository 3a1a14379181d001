"""Reference outputs for the data pipeline's fitted preprocessing (runtime/data/preprocess.ts), in numpy.

Writes tests/golden/data.json. Run from the repository root: /usr/bin/python3 tests/golden/make_data_golden.py
The recipes are CS231n's: statistics of the training split only (population variance, covariance
X^T X / N of the centred data), applied to every split. Eigenvectors are fixed in sign so that each one's
largest-magnitude entry is positive (the TypeScript side uses the same rule).
"""
import json
import os

import numpy as np

rng = np.random.RandomState(7)
C, H, W = 2, 3, 3
F = C * H * W
# Correlated features with distinct variances, so that every eigenvalue is simple and PCA is well defined.
mixing = rng.randn(F, F) * np.linspace(0.2, 2.0, F)
train = (rng.randn(40, F) @ mixing + rng.randn(F) * 3).astype(np.float32)
val = (rng.randn(7, F) @ mixing + rng.randn(F) * 3).astype(np.float32)
# Channel 1 of the first feature block is constant on the training split: standardize keeps its scale 1.
train_const = train.copy()
train_const[:, F // 2:] = 4.0
val_const = val.copy()


def center(x, per):
    t = x[0].astype(np.float64)
    if per == "channel":
        mean = t.reshape(-1, C, H * W).mean(axis=(0, 2))
        shift = np.repeat(mean, H * W)
    else:
        shift = t.mean(axis=0)
    return [(s.astype(np.float64) - shift) for s in x]


def standardize_channel(x, eps):
    t = x[0].astype(np.float64).reshape(-1, C, H * W)
    mean = t.mean(axis=(0, 2))
    std = t.std(axis=(0, 2))
    # scikit-learn's rule: a constant channel keeps scale 1.
    scale = np.where(std < 10 * np.finfo(np.float64).eps * np.maximum(1, np.abs(mean)), 1.0, std + eps)
    return [((s.astype(np.float64).reshape(-1, C, H * W) - mean[None, :, None]) / scale[None, :, None]).reshape(-1, F) for s in x]


def eigen(t):
    mean = t.mean(axis=0)
    xc = t - mean
    cov = xc.T @ xc / t.shape[0]
    values, vectors = np.linalg.eigh(cov)
    order = np.argsort(-values)
    values, vectors = values[order], vectors[:, order]
    for k in range(vectors.shape[1]):
        if vectors[np.argmax(np.abs(vectors[:, k])), k] < 0:
            vectors[:, k] = -vectors[:, k]
    return mean, np.maximum(values, 0), vectors


def pca(x, k, whiten, eps):
    mean, values, vectors = eigen(x[0].astype(np.float64))
    u = vectors[:, :k]
    if whiten:
        u = u / np.sqrt(values[:k] + eps)
    return [(s.astype(np.float64) - mean) @ u for s in x]


def zca(x, eps):
    mean, values, vectors = eigen(x[0].astype(np.float64))
    w = vectors @ np.diag(1 / np.sqrt(values + eps)) @ vectors.T
    return [(s.astype(np.float64) - mean) @ w for s in x]


def values(a):
    # The inputs are float32 exactly; the references keep 10 significant digits (the pipeline returns float32).
    return [float(f"{v:.10g}") for v in a.ravel().tolist()]


def case(name, transform, inputs, outputs):
    return {"name": name, "transform": transform, "features": int(inputs[0].shape[1]), "train": values(inputs[0]), "val": values(inputs[1]),
            "expected_train": values(outputs[0]), "expected_val": values(outputs[1])}


splits = [train, val]
odd = [np.concatenate([train, val[:1]])[:, :17].copy(), val[:, :17].copy()]
cases = [
    case("center per feature", {"kind": "center", "per": "feature"}, splits, center(splits, "feature")),
    case("center by the mean image", {"kind": "center", "per": "image"}, splits, center(splits, "image")),
    case("center per channel", {"kind": "center", "per": "channel"}, splits, center(splits, "channel")),
    case("standardize per channel", {"kind": "standardize", "per": "channel", "eps": 1e-8}, splits, standardize_channel(splits, 1e-8)),
    case("standardize per channel, eps 0.5, a constant channel", {"kind": "standardize", "per": "channel", "eps": 0.5},
         [train_const, val_const], standardize_channel([train_const, val_const], 0.5)),
    case("pca 5 components", {"kind": "pca", "components": 5, "whiten": False, "eps": 1e-5}, splits, pca(splits, 5, False, 1e-5)),
    case("pca 18 components whitened", {"kind": "pca", "components": 18, "whiten": True, "eps": 1e-5}, splits, pca(splits, 18, True, 1e-5)),
    case("zca whitening", {"kind": "whiten", "eps": 1e-2}, splits, zca(splits, 1e-2)),
    # Odd sizes everywhere (41 examples, 17 features, 3 components), for the 2×2 tiles' edges.
    case("pca on odd sizes", {"kind": "pca", "components": 3, "whiten": True, "eps": 1e-5}, odd, pca(odd, 3, True, 1e-5)),
    case("zca on odd sizes", {"kind": "whiten", "eps": 1e-3}, odd, zca(odd, 1e-3)),
]
out = {"shape": [C, H, W], "cases": cases}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data.json")
with open(path, "w") as f:
    json.dump(out, f)
print(f"wrote {len(cases)} cases to {path}")
