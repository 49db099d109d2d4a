#!/usr/bin/python3
"""PyTorch side of the side-by-side benchmark (bench/compare.sh).

Prints one JSON line per workload: {"impl","workload","threads","median_us","reps"}.
Same workloads and the same timing policy as Autodiff.Benchmarks/Compare/OursBench.cs and bench/peers/TorchSharpBench:
warm up (>= 3 calls and >= 0.3 s, and 40 calls unless that takes over 3 s), then time single calls with time.perf_counter until the
budget is spent (min 5, max 300 calls) and report the median. --only GROUP,... runs only those workload groups (the
names of OursBench's --only); the sequence models' PyTorch code is in seq_models.py.
"""
import argparse
import gzip
import json
import os
import time

import torch

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, default=1)
p.add_argument("--budget", type=float, default=1.0, help="seconds of timed repeats per workload")
p.add_argument("--impl", default="pytorch", help="label for the impl field (e.g. pytorch-openblas)")
p.add_argument("--epochs", type=int, default=3, help="timed Fashion-MNIST epochs per model")
p.add_argument("--cnn-epochs", type=int, default=0, help="timed Fashion-MNIST epochs of the issue's CNN (0: skip)")
p.add_argument("--data", default="/usr/share/datasets/fashion-mnist", help="folder with the Fashion-MNIST IDX files")
p.add_argument("--only", default="", help="comma-separated workload groups, as OursBench's --only (training, cnn, matmul, "
               "tape, copy, ops, block, sequence, epochs, autoencoder); all when empty")
args = p.parse_args()
ONLY = set(filter(None, args.only.split(",")))


def want(group):
    """Whether --only selects this workload group (all groups without --only)."""
    return not ONLY or group in ONLY


torch.set_num_threads(args.threads)
torch.manual_seed(0)


def report(workload, median_us, reps):
    print(json.dumps({"impl": args.impl, "workload": workload, "threads": torch.get_num_threads(),
                      "median_us": round(median_us, 3), "reps": reps}), flush=True)


def measure(step, divisor=1.0):
    t = time.perf_counter()
    i = 0
    while i < 3 or time.perf_counter() - t < 0.3 or (i < 40 and time.perf_counter() - t < 3):   # same warm-up as OursBench.cs
        step()
        i += 1
    times = []
    start = time.perf_counter()
    while len(times) < 5 or (len(times) < 300 and time.perf_counter() - start < args.budget):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1e6 / divisor)
    return median(times), len(times)


def median(values):
    values = sorted(values)
    n = len(values)
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


def mlp(sizes):
    torch.manual_seed(0)
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < len(sizes):
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def train_step(model, opt, x, labels):
    loss = torch.nn.functional.cross_entropy(model(x), labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item()


# The two training configurations of the issue (and of Autodiff.Examples/FashionMnist).
CONFIGS = [("784-100-10_b100_sgd", [784, 100, 10], 100, lambda p: torch.optim.SGD(p, lr=0.1)),
           ("784-256-256-10_b128_adam", [784, 256, 256, 10], 128, lambda p: torch.optim.Adam(p, lr=1e-3))]

if want("training"):
    for name, sizes, batch, make_opt in CONFIGS:
        model = mlp(sizes)
        opt = make_opt(model.parameters())
        x = torch.rand(batch, sizes[0])
        labels = torch.arange(batch) % sizes[-1]
        report(f"train_{name}", *measure(lambda: train_step(model, opt, x, labels)))

# MatMul, float32: squares and [M,K]x[K,N], then each network's first layer, forward and its two backward products
# (see Autodiff.Benchmarks/Compare/OursBench.cs): xWt = x @ W.t(), dyW = dy @ W, dyTx = dy.t() @ x.
MATMULS = [(64, 64, 64, ""), (256, 256, 256, ""), (1024, 1024, 1024, ""), (100, 784, 100, ""),
           (100, 784, 100, "xWt"), (100, 100, 784, "dyW"), (100, 100, 784, "dyTx"),
           (128, 784, 256, "xWt"), (128, 256, 784, "dyW"), (256, 128, 784, "dyTx")]
if want("matmul"):
    for (m, k, n, kind) in MATMULS:
        torch.manual_seed(1)
        a = torch.randn(*((k, m) if kind == "dyTx" else (m, k)), dtype=torch.float32)
        b = torch.randn(*((n, k) if kind == "xWt" else (k, n)), dtype=torch.float32)
        product = {"xWt": lambda: torch.nn.functional.linear(a, b), "dyTx": lambda: a.t() @ b}.get(kind, lambda: a @ b)
        with torch.no_grad():
            report(f"matmul_{m}x{k}x{n}" + (f"_{kind}" if kind else ""), *measure(product))

if want("tape"):
    CHAIN = 1000
    c = torch.full((1,), 1.0001)

    def chain():
        x = torch.ones(1, requires_grad=True)
        y = x
        for _ in range(CHAIN):
            y = y * c
        y.sum().backward()

    report("chain1000_mul_fwd_bwd_per_op", *measure(chain, divisor=CHAIN))


# The op workloads of issue 16 (see Autodiff.Benchmarks/Compare/OursBench.Ops.cs): forward + backward of one op,
# x = randn(shape).requires_grad_(), per call x.grad = None; op(x).sum().backward(). Binary ops: both operands require grad.
F = torch.nn.functional
LABELS1000 = torch.tensor([i * 7 % 1000 for i in range(1000)])
OPS = {
    "gelu": (None, lambda x, _: F.gelu(x)),
    "relu": (None, lambda x, _: F.relu(x)),
    "sigmoid": (None, lambda x, _: torch.sigmoid(x)),
    "tanh": (None, lambda x, _: torch.tanh(x)),
    "exp": (None, lambda x, _: torch.exp(x)),
    "pow2": (None, lambda x, _: x.pow(2)),
    "exp_mul_x": (None, lambda x, _: torch.exp(x) * x),
    "mul": ("same", lambda x, y: x * y),
    "add_bias": ("row", lambda x, b: x + b),
    "mul_scalar": (None, lambda x, _: x * 2.0),
    "log_softmax": (None, lambda x, _: F.log_softmax(x, -1)),
    "softmax": (None, lambda x, _: F.softmax(x, -1)),
    "layer_norm": ("row", lambda x, w: F.layer_norm(x, [x.shape[-1]], w, w)),
    "mse_loss": ("same", lambda x, t: F.mse_loss(x, t.detach())),
}
UNARY = {"gelu", "relu", "sigmoid", "tanh", "exp", "pow2", "mul_scalar"}


def op_workload(name, rows, cols, other, op, label=None):
    label = label or f"op_{name}_{rows}x{cols}"
    g = torch.Generator().manual_seed(1)
    x = torch.randn(rows, cols, generator=g).requires_grad_()
    shape = {"same": (rows, cols), "row": (cols,)}.get(other, other)
    y = torch.randn(*shape, generator=g).requires_grad_() if shape else x

    def step():
        x.grad = None
        y.grad = None
        op(x, y).sum().backward()

    m, r = measure(step)
    extra = {"gb_per_s": round(5.0 * 4 * rows * cols / (m * 1e3), 2)} if name in UNARY else {}
    print(json.dumps({"impl": args.impl, "workload": label, "threads": torch.get_num_threads(),
                      "median_us": round(m, 3), "reps": r, **extra}), flush=True)


if want("copy"):
    src, dst = torch.zeros(1_000_000), torch.zeros(1_000_000)
    m, r = measure(lambda: dst.copy_(src))
    print(json.dumps({"impl": args.impl, "workload": "copy_1e6", "threads": torch.get_num_threads(), "median_us": round(m, 3),
                      "reps": r, "gb_per_s": round(2.0 * 4e6 / (m * 1e3), 2)}), flush=True)
if want("ops"):
    for name, (other, op) in OPS.items():
        op_workload(name, 1000, 1000, other, op)
    for c in (64, 256, 1024):
        for name in ("gelu", "add_bias", "softmax", "layer_norm"):
            op_workload(name, 1024, c, *OPS[name])
    op_workload("softmax", 16 * 32, 32, None, lambda x, _: F.softmax(x.view(16, 32, 32), -1), label="op_softmax_16x32x32")
    op_workload("linear3to1", 1000, 3, (1, 3), lambda x, w: F.linear(x, w), label="op_linear3to1_1000x3")
    op_workload("cross_entropy", 1000, 1000, None, lambda x, _: F.cross_entropy(x, LABELS1000), label="op_cross_entropy_1000x1000")
    gen = torch.Generator().manual_seed(0)
    report("randn_1000x1000", *measure(lambda: torch.randn(1000, 1000, generator=gen)))

# The transformer-style MLP block on [8, 128, 256]: LayerNorm -> Linear 256->1024 -> GELU -> Linear 1024->256 -> residual.
if want("block"):
    torch.manual_seed(0)
    norm, fc1, fc2 = torch.nn.LayerNorm(256), torch.nn.Linear(256, 1024), torch.nn.Linear(1024, 256)
    block_params = list(norm.parameters()) + list(fc1.parameters()) + list(fc2.parameters())
    xb = torch.randn(8, 128, 256).requires_grad_()

    def block_step():
        for p_ in block_params:
            p_.grad = None
        xb.grad = None
        (xb + fc2(F.gelu(fc1(norm(xb))))).sum().backward()

    report("block_mlp_8x128x256", *measure(block_step))

# The CNN: one Adam step on a random batch of 128.
nn = torch.nn
if want("cnn"):
    torch.manual_seed(0)
    cnn = nn.Sequential(nn.Unflatten(1, (1, 28, 28)), nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                        nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))
    cnn_opt = torch.optim.Adam(cnn.parameters(), lr=1e-3)
    xc = torch.rand(128, 784)
    lc = torch.arange(128) % 10
    report("train_cnn_b128_adam", *measure(lambda: train_step(cnn, cnn_opt, xc, lc)))


def idx_path(stem):
    """The IDX file, plain or gzipped, in --data; None when absent."""
    paths = [os.path.join(args.data, stem + ext) for ext in ("", ".gz")]
    return next((p for p in paths if os.path.exists(p)), None)


def read_idx(stem):
    """An IDX file of unsigned bytes as (dims, uint8 tensor)."""
    path = idx_path(stem)
    raw = (gzip.open if path.endswith(".gz") else open)(path, "rb").read()
    rank = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    return dims, torch.frombuffer(bytearray(raw[4 + 4 * rank:]), dtype=torch.uint8)


# One Fashion-MNIST epoch: all 60,000 training images, a fresh seeded permutation per epoch, forward + backward + step
# per batch. Data loaded to tensors once, outside the timing; 20 warm-up steps; median of the timed epochs.
stems = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte"]
if not (want("epochs") or want("autoencoder")):
    pass
elif not all(idx_path(stem) for stem in stems):
    print(json.dumps({"impl": args.impl, "skipped": "Fashion-MNIST epochs: data not found in " + args.data +
                      " (sudo apt-get install dataset-fashion-mnist)"}), flush=True)
else:
    dims, pixels = read_idx(stems[0])
    images = pixels.view(dims[0], dims[1] * dims[2]).float() / 255
    labels = read_idx(stems[1])[1].long()
    count = labels.numel()
    for label, (name, sizes, batch, make_opt) in (zip(["twolayer", "mlp"], CONFIGS) if want("epochs") else []):
        model = mlp(sizes)
        opt = make_opt(model.parameters())
        g = torch.Generator().manual_seed(0)

        def epoch(steps=None):
            order = torch.randperm(count, generator=g)
            for i, start in enumerate(range(0, count, batch)):
                if steps is not None and i == steps:
                    return
                index = order[start:start + batch]
                train_step(model, opt, images[index], labels[index])

        epoch(steps=20)
        times = []
        for _ in range(args.epochs):
            t0 = time.perf_counter()
            epoch()
            times.append((time.perf_counter() - t0) * 1e6)
        if times:                                     # --epochs 0: nothing timed
            report(f"epoch_{label}_{name}", median(times), len(times))

    # The CNN: Conv2d(1,32,3,p1), ReLU, MaxPool2d(2), Conv2d(32,64,3,p1), ReLU, MaxPool2d(2), Flatten,
    # Linear(3136,128), ReLU, Linear(128,10); Adam lr 1e-3, batch 128; NCHW input [128, 1, 28, 28].
    if args.cnn_epochs > 0 and want("epochs"):
        nn = torch.nn
        torch.manual_seed(0)
        model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                              nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        g = torch.Generator().manual_seed(0)
        images4 = images.view(count, 1, 28, 28)

        def cnn_epoch(steps=None):
            order = torch.randperm(count, generator=g)
            for i, start in enumerate(range(0, count, 128)):
                if steps is not None and i == steps:
                    return
                index = order[start:start + 128]
                train_step(model, opt, images4[index], labels[index])

        cnn_epoch(steps=20)
        times = []
        for _ in range(args.cnn_epochs):
            t0 = time.perf_counter()
            cnn_epoch()
            times.append((time.perf_counter() - t0) * 1e6)
        report("epoch_cnn_b128_adam", median(times), len(times))

    # An autoencoder 784-256-64-256-784 (ReLU, sigmoid output), MSE loss, Adam 1e-3, batch 128: one epoch.
    if args.epochs > 0 and want("autoencoder"):
        torch.manual_seed(0)
        ae = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 64), nn.ReLU(), nn.Linear(64, 256), nn.ReLU(),
                           nn.Linear(256, 784), nn.Sigmoid())
        ae_opt = torch.optim.Adam(ae.parameters(), lr=1e-3)
        g = torch.Generator().manual_seed(0)

        def ae_epoch(steps=None):
            order = torch.randperm(count, generator=g)
            for i, start in enumerate(range(0, count, 128)):
                if steps is not None and i == steps:
                    return
                xa = images[order[start:start + 128]]
                loss = F.mse_loss(ae(xa), xa)
                ae_opt.zero_grad()
                loss.backward()
                ae_opt.step()
                loss.item()

        ae_epoch(steps=20)
        times = []
        for _ in range(args.epochs):
            t0 = time.perf_counter()
            ae_epoch()
            times.append((time.perf_counter() - t0) * 1e6)
        report("epoch_autoencoder_b128_adam", median(times), len(times))

# The sequence models of issue 17 (see Autodiff.Benchmarks/Compare/OursBench.Sequence.cs and bench/peers/seq_models.py).
if want("sequence"):
    import sys
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from seq_models import GPT, gpt_step, generate_cached, generate_recompute

    def report_tokens(workload, tokens, median_us, reps):
        print(json.dumps({"impl": args.impl, "workload": workload, "threads": torch.get_num_threads(),
                          "median_us": round(median_us, 3), "reps": reps,
                          "tokens_per_s": round(tokens / (median_us * 1e-6))}), flush=True)

    # GPT training step: 4 layers, 4 heads, 128 channels, context 64, batch 32, vocabulary 65, dropout 0.1; cross entropy,
    # zero_grad, backward, clip_grad_norm_(1.0), AdamW (lr 1e-3, betas 0.9/0.99, weight decay 0.1 on matrices only).
    torch.manual_seed(0)
    gpt = GPT(vocab=65, context=64, layers=4, heads=4, channels=128, dropout=0.1)
    gpt_opt = gpt.optimizer(lr=1e-3)
    gx, gy = torch.randint(65, (32, 64)), torch.randint(65, (32, 64))
    report_tokens("train_gpt_l4h4c128_t64_b32_adamw", 32 * 64, *measure(lambda: gpt_step(gpt, gpt_opt, gx, gy)))

    # LSTM and GRU training step: 2 layers of 256, input [64, 32, 256] (sequence first), MSE against a random target, SGD 0.01.
    for kind, module in (("lstm", nn.LSTM), ("gru", nn.GRU)):
        torch.manual_seed(0)
        rnn = module(256, 256, num_layers=2)
        rnn_opt = torch.optim.SGD(rnn.parameters(), lr=0.01)
        rx, rt = torch.randn(64, 32, 256), torch.randn(64, 32, 256)

        def rnn_step():
            loss = F.mse_loss(rnn(rx)[0], rt)
            rnn_opt.zero_grad()
            loss.backward()
            rnn_opt.step()
            return loss.item()

        report(f"train_{kind}_l2h256_t64_b32_sgd", *measure(rnn_step))

    # Generation: 300 tokens from the prompt [[1]], temperature 0.8, eval mode, no grad; with a key/value cache, and
    # nanoGPT's generate (rerun the model on the last 64 tokens per token).
    gpt.eval()
    report_tokens("gen_gpt_300tok_cache", 300, *measure(lambda: generate_cached(gpt, 300)))
    report_tokens("gen_gpt_300tok_recompute", 300, *measure(lambda: generate_recompute(gpt, 300)))
