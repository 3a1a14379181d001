// PyTorch on the CPU running the CNN benchmark (bench/cnn-spec.ts) in a `/usr/bin/python3` (or BENCH_PYTHON)
// subprocess that times itself the way bench/timing.ts does and prints one JSON line. Threads: every core
// this process may use (Debian's torch 1.13 defaults to one), or BENCH_TORCH_THREADS.
import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { BATCH, CONV, LR, MOMENTUM, type PeerResult } from "./cnn-spec.js";
import type { TimingOptions } from "./timing.js";

const SCRIPT = `
import json, sys, time, statistics, torch
cfg = json.loads(sys.argv[1])
torch.set_num_threads(cfg["threads"])
torch.manual_seed(0)
nn = torch.nn
def rate(call, units):
    call(cfg["warmup"])
    t = time.perf_counter(); call(1); once = time.perf_counter() - t
    calls = max(1, -(-cfg["minSeconds"] // max(once, 1e-6)))
    runs = []
    for _ in range(cfg["repetitions"]):
        t = time.perf_counter(); call(int(calls)); runs.append(calls * units / (time.perf_counter() - t))
    return statistics.median(runs), runs
m = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
                  nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))
opt = torch.optim.SGD(m.parameters(), lr=cfg["lr"], momentum=cfg["momentum"])
b = cfg["batch"]
x = torch.randn(b, 1, 28, 28); y = torch.arange(b) % 10
def train(times):
    for _ in range(times):
        opt.zero_grad(); loss = nn.functional.cross_entropy(m(x), y); loss.backward(); opt.step()
c = cfg["conv"]
inp = torch.randn(c["batch"], c["inChannels"], c["size"], c["size"])
w = torch.randn(c["outChannels"], c["inChannels"], c["kernel"], c["kernel"])
def conv(times):
    with torch.no_grad():
        for _ in range(times): nn.functional.conv2d(inp, w, padding=c["padding"])
flops = 2 * c["batch"] * c["outChannels"] * c["size"] ** 2 * c["inChannels"] * c["kernel"] ** 2
train_rate, train_runs = rate(train, b)
conv_rate, conv_runs = rate(conv, flops / 1e9)
print(json.dumps({"threads": torch.get_num_threads(), "version": torch.__version__, "train": train_rate, "trainRuns": train_runs,
                  "conv": conv_rate, "convRuns": conv_runs}))
`;

export function torchThreads(): number {
  const asked = Number(process.env["BENCH_TORCH_THREADS"]);
  return Number.isInteger(asked) && asked > 0 ? asked : availableParallelism();
}

export function torchCnn(timing: TimingOptions): PeerResult {
  const config = { ...timing, threads: torchThreads(), batch: BATCH, lr: LR, momentum: MOMENTUM, conv: CONV };
  const python = process.env["BENCH_PYTHON"] || "/usr/bin/python3";
  const result = spawnSync(python, ["-c", SCRIPT, JSON.stringify(config)], { encoding: "utf8", timeout: 600_000 });
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code;
    return { skipped: code === "ENOENT" ? `${python} not found` : `python3 failed: ${result.error.message}` };
  }
  if (result.status !== 0) {
    const last = result.stderr.trim().split("\n").pop() ?? "";
    return { skipped: /No module named '?torch/.test(last) ? `PyTorch is not installed for ${python} (Debian: apt install python3-torch)` : `the PyTorch script failed: ${last}` };
  }
  const out = JSON.parse(result.stdout.trim().split("\n").pop()!) as { threads: number; version: string; train: number; trainRuns: number[]; conv: number; convRuns: number[] };
  return { train: { median: out.train, runs: out.trainRuns }, conv: { median: out.conv, runs: out.convRuns }, note: `torch ${out.version}, ${out.threads} thread${out.threads === 1 ? "" : "s"}` };
}
