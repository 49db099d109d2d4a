"""Same start, same batches: PyTorch and Autodiff train the issue's CNN from identical weights on identical batches,
so any difference in their losses comes from the engines, not from the seed. This script writes the PyTorch model's
initial state_dict and one epoch's shuffled order as safetensors into DIR, trains that epoch and prints the loss at
fixed steps and the test accuracy; `dotnet Autodiff.Benchmarks.dll compare --same-start DIR` then does the same with Autodiff. Run with /usr/bin/python3:
    cnn_same_start.py DIR [DATA_DIR] [SEED]"""
import os, sys
import torch
from cnn_accuracy import accuracy, load, make_model, nn
from safetensors_io import save_safetensors

REPORT_STEPS = (1, 2, 3, 5, 10, 20, 50, 100, 200, 300, 400, 469)


def main():
    out = sys.argv[1]
    data = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/datasets/fashion-mnist"
    torch.manual_seed(int(sys.argv[3]) if len(sys.argv) > 3 else 0)
    os.makedirs(out, exist_ok=True)
    x, y, tx, ty = load(data)
    model = make_model()
    order = torch.randperm(len(y))
    save_safetensors(os.path.join(out, "start.safetensors"), {k: v.detach() for k, v in model.state_dict().items()})
    save_safetensors(os.path.join(out, "order.safetensors"), {"order": order})
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    total = 0.0
    for step, idx in enumerate(order.split(128), start=1):
        loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item()
        if step in REPORT_STEPS:
            print(f"step {step}: loss {loss.item():.6f}", flush=True)
    print(f"epoch mean loss {total / step:.6f}, test accuracy {accuracy(model, tx, ty):.4f}")


if __name__ == "__main__":
    main()
