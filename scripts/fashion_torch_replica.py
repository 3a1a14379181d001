"""PyTorch 1.13 replica of samples/fashion_cnn.dl's network and recipe, to find out quickly (PyTorch's CPU
kernels are several times faster than lavapipe here) how many epochs a recipe needs on Fashion-MNIST before
spending a long dslc run on it. Not a test and not a golden: its shuffling and augmentation draws are
PyTorch's, not dslc's. Usage: /usr/bin/python3 scripts/fashion_torch_replica.py EPOCHS [AUGMENT 0|1|2] [DROPOUT] [C1 C2]
AUGMENT: 0 none, 1 horizontal flips (the sample's), 2 flips and 2-pixel shifts (the first recipe's).
C1 C2: the two convolutions' channels (the sample's 16 and 32).
The schedule is the sample's: 200 warmup steps, then cosine to 1e-4 per step over the rest of the run.
Prints validation and test accuracy after every epoch (the data from Debian's dataset-fashion-mnist)."""
import gzip, sys, time, math
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F
torch.set_num_threads(2); torch.manual_seed(7)
D = "/usr/share/datasets/fashion-mnist/"
def idx(name):
    b = gzip.open(D + name).read(); nd = b[3]; dims = [int.from_bytes(b[4+4*i:8+4*i], "big") for i in range(nd)]
    return np.frombuffer(b, np.uint8, offset=4+4*nd).reshape(dims)
X = idx("train-images-idx3-ubyte.gz").astype(np.float32)[:, None] / 255; Y = idx("train-labels-idx1-ubyte.gz").astype(np.int64)
TX = idx("t10k-images-idx3-ubyte.gz").astype(np.float32)[:, None] / 255; TY = idx("t10k-labels-idx1-ubyte.gz").astype(np.int64)
perm = np.random.RandomState(0).permutation(len(X)); nval = 6000
vX, vY, X, Y = X[perm[:nval]], Y[perm[:nval]], X[perm[nval:]], Y[perm[nval:]]
m, s = X.mean(), X.std(); X, vX, TX = (X - m) / s, (vX - m) / s, (TX - m) / s
X, Y, vX, vY, TX, TY = map(torch.tensor, (X, Y, vX, vY, TX, TY))
epochs = int(sys.argv[1]); aug = sys.argv[2] if len(sys.argv) > 2 else "1"; p = float(sys.argv[3]) if len(sys.argv) > 3 else 0.3
c1, c2 = (int(sys.argv[4]), int(sys.argv[5])) if len(sys.argv) > 5 else (16, 32)
def cbn(i, o): return [nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU()]
net = nn.Sequential(*cbn(1, c1), nn.MaxPool2d(2), *cbn(c1, c2), nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(p), nn.Linear(c2 * 49, 128), nn.ReLU(), nn.Dropout(p), nn.Linear(128, 10))
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
def acc(x, y):
    net.eval()
    with torch.no_grad(): return (net(x).argmax(1) == y).float().mean().item()
t0 = time.time(); step = 0
for e in range(epochs):
    net.train(); order = torch.randperm(len(X))
    for b in range(0, len(X), 128):
        i = order[b:b+128]; x = X[i]
        if aug in ("1", "2"):
            flip = torch.rand(len(i)) < 0.5; x = torch.where(flip[:, None, None, None], x.flip(3), x)
        if aug == "2":
            x = F.pad(x, (2, 2, 2, 2)); oy, ox = np.random.randint(0, 5, 2); x = x[:, :, oy:oy+28, ox:ox+28]
        # warmup(200 steps) then cosine(to: 1e-4, per: step), as the sample's schedule.
        total = epochs * math.ceil(len(X) / 128)
        lr = 0.05 * min(1, step / 200) if step < 200 else 1e-4 + (0.05 - 1e-4) * 0.5 * (1 + math.cos(math.pi * (step - 200) / (total - 200)))
        for g in opt.param_groups: g["lr"] = lr
        loss = F.cross_entropy(net(x), Y[i]); opt.zero_grad(); loss.backward(); opt.step(); step += 1
    print(f"epoch {e+1}: val {acc(vX, vY):.4f} test {acc(TX, TY):.4f} ({time.time()-t0:.0f} s)", flush=True)
