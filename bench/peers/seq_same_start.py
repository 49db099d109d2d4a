#!/usr/bin/python3
"""Same start, same batches for the sequence models (as cnn_same_start.py does for the CNN): PyTorch and Autodiff train
the same model from identical weights on identical batches in float32, so any difference in their losses comes from the
engines, not from the seed. Usage (run from the repository root, after building Autodiff.Benchmarks -c Release):

    /usr/bin/python3 bench/peers/seq_same_start.py gpt DIR [--steps 100] [--seed 0] [--threads 1]
    /usr/bin/python3 bench/peers/seq_same_start.py lstm DIR ...      (or gru)

It writes into DIR the PyTorch model's initial state_dict (start.safetensors, our parameter names) and every step's
batch (batches.safetensors, the run's settings as JSON in its metadata under "config"), trains `--steps` steps and keeps
the loss of each, then runs `dotnet Autodiff.Benchmarks.dll compare --same-start-MODEL DIR`, which replays the same
steps with our modules, and prints both losses at steps 1, 10 and 100 and the largest relative difference
|ours - torch| / |torch| over steps 1..1, 1..10 and 1..100 (--no-ours: PyTorch only).

- gpt: the gpt example's model (bench/peers/seq_models.py, nanoGPT names) at 4 layers, 4 heads, 128 channels, context 64,
  batch 32, dropout 0 (random masks cannot match), on windows of a character corpus (/usr/share/dict/words, from Debian's
  wamerican, or a synthetic word list when it is missing); AdamW lr 1e-3, betas (0.9, 0.99), eps 1e-8, weight decay 0.1
  on matrices and embeddings, 0 on biases and norms; clip_grad_norm_ 1.0.
- lstm, gru: nn.LSTM/nn.GRU(256, 256, num_layers=2), input [64, 32, 256] (sequence first), MSE against a random
  target [64, 32, 256], Adam lr 1e-3; 10 random batches, step s uses batch (s - 1) mod 10 (100 distinct batches would
  take 400 MB).
"""
import argparse
import json
import os
import random
import struct
import subprocess
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import save_safetensors  # noqa: E402
from seq_models import GPT, gpt_step  # noqa: E402

REPORT = (1, 10, 100)


def corpus_text():
    path = "/usr/share/dict/words"
    if os.path.exists(path):
        return open(path, encoding="utf-8").read(), path
    rng = random.Random(0)
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = ["".join(rng.choice(letters) for _ in range(rng.randint(2, 9))) for _ in range(50000)]
    return "\n".join(words) + "\n", "a synthetic word list (install wamerican for /usr/share/dict/words)"


def prepare_gpt(out, steps):
    cfg = {"model": "gpt", "layers": 4, "heads": 4, "channels": 128, "context": 64, "batch": 32, "steps": steps,
           "lr": 1e-3, "beta1": 0.9, "beta2": 0.99, "eps": 1e-8, "weight_decay": 0.1, "clip": 1.0}
    text, source = corpus_text()
    vocab = sorted(set(text))
    cfg["vocab"] = len(vocab)
    index = {ch: i for i, ch in enumerate(vocab)}
    ids = torch.tensor([index[ch] for ch in text], dtype=torch.long)
    t, b = cfg["context"], cfg["batch"]
    starts = torch.randint(len(ids) - t - 1, (steps, b))
    offsets = torch.arange(t)
    x = ids[starts[..., None] + offsets]                     # [steps, B, T]
    y = ids[starts[..., None] + offsets + 1]
    model = GPT(vocab=cfg["vocab"], context=t, layers=cfg["layers"], heads=cfg["heads"], channels=cfg["channels"], dropout=0.0)
    save_safetensors(os.path.join(out, "start.safetensors"), model.state_dict())
    save_safetensors(os.path.join(out, "batches.safetensors"), {"x": x, "y": y}, {"config": json.dumps(cfg)})
    opt = model.optimizer(lr=cfg["lr"], weight_decay=cfg["weight_decay"], betas=(cfg["beta1"], cfg["beta2"]), eps=cfg["eps"])
    print(f"gpt: {sum(p.numel() for p in model.parameters()):,} parameters, vocabulary {cfg['vocab']} from {source}", flush=True)
    return [gpt_step(model, opt, x[s], y[s], clip=cfg["clip"]) for s in range(steps)]


def prepare_recurrent(kind, out, steps):
    cfg = {"model": kind, "layers": 2, "input": 256, "hidden": 256, "seq": 64, "batch": 32, "batches": 10,
           "steps": steps, "lr": 1e-3}
    model = (torch.nn.GRU if kind == "gru" else torch.nn.LSTM)(cfg["input"], cfg["hidden"], num_layers=cfg["layers"])
    x = torch.randn(cfg["batches"], cfg["seq"], cfg["batch"], cfg["input"])
    target = torch.randn(cfg["batches"], cfg["seq"], cfg["batch"], cfg["hidden"])
    save_safetensors(os.path.join(out, "start.safetensors"), model.state_dict())
    save_safetensors(os.path.join(out, "batches.safetensors"), {"x": x, "target": target}, {"config": json.dumps(cfg)})
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    losses = []
    for s in range(steps):
        k = s % cfg["batches"]
        loss = F.mse_loss(model(x[k])[0], target[k])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model", choices=["gpt", "lstm", "gru"])
    p.add_argument("dir")
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="torch threads and ours (--threads of compare)")
    p.add_argument("--dll", default="Autodiff.Benchmarks/bin/Release/net10.0/Autodiff.Benchmarks.dll")
    p.add_argument("--no-ours", action="store_true", help="PyTorch only: write the files and print its losses")
    p.add_argument("--json", action="store_true", help="also print one JSON line per span (for bench/make_report.py)")
    args = p.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    os.makedirs(args.dir, exist_ok=True)
    theirs = prepare_gpt(args.dir, args.steps) if args.model == "gpt" else prepare_recurrent(args.model, args.dir, args.steps)
    for s in REPORT:
        if s <= len(theirs):
            print(f"torch step {s}: loss {theirs[s - 1]:.9g}", flush=True)
    if args.no_ours:
        return
    command = ["dotnet", args.dll, "compare", "--threads", str(args.threads), f"--same-start-{args.model}", args.dir]
    run = subprocess.run(command, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{run.stderr}")
    ours = {}
    for line in run.stdout.splitlines():
        if line.startswith("step "):
            step, loss = line[5:].split(": loss ")
            ours[int(step)] = struct.unpack("<f", struct.pack("<f", float(loss)))[0]   # the float32 printed with G9
    for s in REPORT:
        if s in ours:
            print(f"ours  step {s}: loss {ours[s]:.9g}")
    for upto in REPORT:
        if upto > len(theirs) or any(s not in ours for s in range(1, upto + 1)):
            continue
        rel = [abs(ours[s] - theirs[s - 1]) / abs(theirs[s - 1]) for s in range(1, upto + 1)]
        worst = max(range(upto), key=lambda i: rel[i])
        print(f"{args.model}: largest relative difference over steps 1..{upto}: {rel[worst]:.3g} (step {worst + 1}); "
              f"at step {upto}: {rel[-1]:.3g}", flush=True)
        if args.json:
            print(json.dumps({"same_start": args.model, "steps": upto, "max_rel_diff": rel[worst], "worst_step": worst + 1,
                              "torch_loss": theirs[upto - 1], "ours_loss": ours[upto]}), flush=True)


if __name__ == "__main__":
    main()
