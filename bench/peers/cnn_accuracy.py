"""The issue's CNN trained with PyTorch exactly as `fashion-mnist --model cnn` trains it (pixels / 255 standardized with
the training set's mean and std, or not with `raw` as `--normalize false` does; Adam lr 1e-3, batch 128, reshuffled
each epoch, 5 epochs), printing test accuracy per epoch, so the accuracy of our run can be compared with PyTorch's on
the same machine and data. Run with /usr/bin/python3:
    cnn_accuracy.py [DATA_DIR] [SEED] [raw]"""
import gzip, os, struct, sys, time
import torch

nn = torch.nn


def read_idx(data, stem):
    for name in (stem, stem + ".gz"):
        path = os.path.join(data, name)
        if os.path.exists(path):
            raw = (gzip.open if name.endswith(".gz") else open)(path, "rb").read()
            ndim = raw[3]
            dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
            return torch.frombuffer(bytearray(raw[4 + 4 * ndim:]), dtype=torch.uint8).view(*dims)
    raise FileNotFoundError(stem)


def load(data):
    """Training and test images as [N, 784] floats in [0, 1], and their labels."""
    x = read_idx(data, "train-images-idx3-ubyte").float().div(255).flatten(1)
    y = read_idx(data, "train-labels-idx1-ubyte").long()
    tx = read_idx(data, "t10k-images-idx3-ubyte").float().div(255).flatten(1)
    ty = read_idx(data, "t10k-labels-idx1-ubyte").long()
    return x, y, tx, ty


def make_model():
    """The model of Autodiff.Examples' --model cnn, module for module (so state_dict names match: 1.weight, ...)."""
    return nn.Sequential(nn.Unflatten(1, (1, 28, 28)), nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(3136, 128),
                         nn.ReLU(), nn.Linear(128, 10))


def accuracy(model, tx, ty):
    model.eval()
    with torch.no_grad():
        correct = sum((model(tx[i:i + 1000]).argmax(1) == ty[i:i + 1000]).sum().item() for i in range(0, len(ty), 1000))
    model.train()
    return correct / len(ty)


def main():
    data = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    torch.manual_seed(seed)
    x, y, tx, ty = load(data)
    if "raw" not in sys.argv[3:]:
        mean, std = x.double().mean().item(), x.double().std(unbiased=False).item()
        x, tx = (x - mean) / std, (tx - mean) / std
        print(f"inputs (pixels / 255 - {mean:.4f}) / {std:.4f}")
    model = make_model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(1, 6):
        t0, total, steps = time.perf_counter(), 0.0, 0
        for idx in torch.randperm(len(y)).split(128):
            loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total, steps = total + loss.item(), steps + 1
        acc = accuracy(model, tx, ty)
        print(f"epoch {epoch}: train loss {total / steps:.4f}, test accuracy {acc:.4f}, {time.perf_counter() - t0:.1f} s", flush=True)


if __name__ == "__main__":
    main()
