#!/usr/bin/python3
"""PyTorch side of the side-by-side benchmark (bench/compare.sh).

Prints one JSON line per workload: {"impl","workload","threads","median_us","reps"}.
Same workloads and the same timing policy as bench/OursBench and bench/peers/TorchSharpBench:
warm up (>= 3 calls and >= 0.3 s), then time single calls with time.perf_counter until the
budget is spent (min 5, max 300 calls) and report the median.
"""
import argparse
import json
import time

import torch

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, default=1)
p.add_argument("--budget", type=float, default=1.0, help="seconds of timed repeats per workload")
p.add_argument("--impl", default="pytorch", help="label for the impl field (e.g. pytorch-openblas)")
args = p.parse_args()

torch.set_num_threads(args.threads)
torch.manual_seed(0)


def report(workload, median_us, reps):
    print(json.dumps({"impl": args.impl, "workload": workload, "threads": torch.get_num_threads(),
                      "median_us": round(median_us, 3), "reps": reps}), flush=True)


def measure(step, divisor=1.0):
    t = time.perf_counter()
    i = 0
    while i < 3 or time.perf_counter() - t < 0.3:
        step()
        i += 1
    times = []
    start = time.perf_counter()
    while len(times) < 5 or (len(times) < 300 and time.perf_counter() - start < args.budget):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1e6 / divisor)
    times.sort()
    n = len(times)
    med = times[n // 2] if n % 2 else (times[n // 2 - 1] + times[n // 2]) / 2
    return med, n


def train(name, sizes, batch, make_opt):
    torch.manual_seed(0)
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < len(sizes):
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    opt = make_opt(model.parameters())
    x = torch.rand(batch, sizes[0])
    labels = torch.arange(batch) % sizes[-1]

    def step():
        loss = torch.nn.functional.cross_entropy(model(x), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()

    report(name, *measure(step))


train("train_784-100-10_b100_sgd", [784, 100, 10], 100, lambda p: torch.optim.SGD(p, lr=0.1))
train("train_784-256-256-10_b128_adam", [784, 256, 256, 10], 128, lambda p: torch.optim.Adam(p, lr=1e-3))

for (m, k, n) in [(64, 64, 64), (256, 256, 256), (1024, 1024, 1024), (100, 784, 100)]:
    torch.manual_seed(1)
    a = torch.randn(m, k, dtype=torch.float32)
    b = torch.randn(k, n, dtype=torch.float32)
    report(f"matmul_{m}x{k}x{n}", *measure(lambda: a @ b))

CHAIN = 1000
c = torch.full((1,), 1.0001)


def chain():
    x = torch.ones(1, requires_grad=True)
    y = x
    for _ in range(CHAIN):
        y = y * c
    y.sum().backward()


report("chain1000_mul_fwd_bwd_per_op", *measure(chain, divisor=CHAIN))
