"""Converts scikit-learn's bundled 8x8 digits set to samples/data/digits.csv.

Run with Debian's Python, which has python3-sklearn: /usr/bin/python3 tests/data/make_digits_csv.py
The data ship inside the sklearn package (no download): 1,797 images, 10 classes, pixels 0..16.
"""
from pathlib import Path

from sklearn.datasets import load_digits

digits = load_digits()
out = Path(__file__).resolve().parents[2] / "samples" / "data" / "digits.csv"
with out.open("w") as f:
    f.write(",".join([f"p{i}" for i in range(64)] + ["label"]) + "\n")
    for pixels, label in zip(digits.data.astype(int), digits.target):
        f.write(",".join(map(str, pixels)) + f",{label}\n")
print(f"wrote {out} ({len(digits.target)} rows)")
