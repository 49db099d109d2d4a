#!/usr/bin/env python3
"""PyTorch .pt files both ways between torch and Autodiff (PyTorchFile), checked value by value.

1. torch -> Autodiff: torch.save writes a seeded model's state_dict plus tensors of every dtype the reader supports
   (float16/bfloat16, float64, int64, int32, uint8, bool, a transpose and an offset view sharing one storage, a scalar,
   a Parameter); `Autodiff.Examples pt-check --read` loads it and dumps JSON, compared here with torch's own values.
2. Autodiff -> torch: `pt-check --write` saves a seeded state dict with PyTorchFile.Save (and dumps it as JSON);
   torch.load reads the file, checked against the JSON, and the state dict loads into the equivalent nn.Sequential.

Usage: python3 bench/peers/pt_roundtrip.py [--examples PATH_TO_Autodiff.Examples.dll]   (from the repository root)
"""
import argparse, collections, json, math, os, subprocess, sys, tempfile

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_examples(dll, *args):
    cmd = ["dotnet", dll, *args] if dll else ["dotnet", "run", "-c", "Release", "--project", os.path.join(ROOT, "Autodiff.Examples"), "--", *args]
    subprocess.run(cmd, check=True)


def expected_values(t):
    """What the reader should give: half/bfloat16 widened to float32, integers as int64."""
    if t.dtype in (torch.float16, torch.bfloat16):
        t = t.float()
    elif t.dtype in (torch.int32, torch.int16, torch.int8, torch.uint8):
        t = t.long()
    dtype = {torch.float32: "Float32", torch.float64: "Float64", torch.int64: "Int64", torch.bool: "Bool"}[t.dtype]
    return dtype, list(t.shape), t.detach().contiguous().reshape(-1).tolist()


def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    return a == b


def compare(name, dtype, shape, values, got):
    problems = []
    if got["dtype"] != dtype: problems.append(f"dtype {got['dtype']} != {dtype}")
    if got["shape"] != shape: problems.append(f"shape {got['shape']} != {shape}")
    if len(got["values"]) != len(values) or not all(same(float(x) if dtype.startswith("Float") else x, y) for x, y in zip(got["values"], values)):
        problems.append(f"values differ: {got['values'][:6]} vs {values[:6]}")
    print(f"  {name:28s} {dtype:8s} {str(shape):10s} {'ok' if not problems else 'MISMATCH: ' + '; '.join(problems)}")
    return not problems


def torch_to_autodiff(dll, folder):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    model(torch.randn(5, 4))                                   # running stats and num_batches_tracked move
    state = model.state_dict()
    base = torch.randn(3, 4)
    state["view.transpose"] = base.t()                         # strided view
    state["view.row"] = base[1]                                # offset view of the same storage
    state["view.column"] = base[:, 2]                          # offset and stride
    state["dtype.f16"] = torch.tensor([1.5, -2.0, 65504.0, 6e-8, float("inf")], dtype=torch.float16)
    state["dtype.bf16"] = torch.tensor([1.5, -2.0, 3.0e38, 1e-30], dtype=torch.bfloat16)
    state["dtype.f64"] = torch.tensor([math.pi, -1e-300, 2.0], dtype=torch.float64)
    state["dtype.i64"] = torch.tensor([-2**63, -1, 0, 2**40, 2**63 - 1])
    state["dtype.i32"] = torch.tensor([-2**31, 7], dtype=torch.int32)
    state["dtype.u8"] = torch.tensor([0, 255], dtype=torch.uint8)
    state["dtype.bool"] = torch.tensor([[True, False], [False, True]])
    state["dtype.scalar"] = torch.tensor(3.25)
    state["dtype.empty"] = torch.zeros(0, 3)
    path, out = os.path.join(folder, "torch.pt"), os.path.join(folder, "torch.json")
    torch.save(state, path)
    run_examples(dll, "pt-check", "--read", path, "--json", out)
    got = json.load(open(out))
    print(f"torch.save -> PyTorchFile.Load: {len(state)} tensors ({os.path.getsize(path)} bytes)")
    ok = list(got) == list(state)
    if not ok: print("  MISMATCH: names/order", list(got), list(state))
    for name, t in state.items():
        ok &= compare(name, *expected_values(t), got[name])
    return ok


def autodiff_to_torch(dll, folder):
    path, out = os.path.join(folder, "ours.pt"), os.path.join(folder, "ours.json")
    run_examples(dll, "pt-check", "--write", path, "--json", out)
    expected = json.load(open(out), object_pairs_hook=collections.OrderedDict)
    loaded = torch.load(path)
    print(f"PyTorchFile.Save -> torch.load: {len(loaded)} tensors ({os.path.getsize(path)} bytes), {type(loaded).__name__}")
    ok = list(loaded) == list(expected)
    if not ok: print("  MISMATCH: names/order", list(loaded), list(expected))
    for name, e in expected.items():
        ok &= compare(name, e["dtype"], e["shape"], [float(v) if e["dtype"].startswith("Float") else v for v in e["values"]],
                      dict(zip(["dtype", "shape", "values"], expected_values(loaded[name]))))
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    model.load_state_dict({k: v for k, v in loaded.items() if not k.startswith("extra.")})
    print("  load_state_dict into nn.Sequential(Linear(4, 3), ReLU(), Linear(3, 2)): ok")
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", help="Autodiff.Examples.dll to run instead of `dotnet run`")
    args = parser.parse_args()
    print(f"torch {torch.__version__}")
    with tempfile.TemporaryDirectory() as folder:
        ok = torch_to_autodiff(args.examples, folder) & autodiff_to_torch(args.examples, folder)
    print("ALL OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
