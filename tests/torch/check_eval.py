#!/usr/bin/python3
"""Cross-check (not part of `make test`; needs Debian's python3-torch): loads a
saddle checkpoint of a Fashion-MNIST run in PyTorch, evaluates mean loss and
accuracy on the test (or train) set read straight from the IDX files, and
compares with what `saddle eval` printed.

    /usr/bin/python3 tests/torch/check_eval.py runs/fmnist-mlp/final.safetensors [test|train]

Pixels are scaled by 1/255 (the config's normalize = scale); the loss is
nn.CrossEntropyLoss (mean) or 0.5*||f - onehot||^2 summed over classes and
averaged over examples for mse, as saddle defines them."""
import gzip, os, re, struct, subprocess, sys
import torch
sys.path.insert(0, os.path.dirname(__file__))
from check_ckpt import read_safetensors, build

def idx(path):
    buf = gzip.open(path).read()
    ndim = buf[3]
    dims = struct.unpack(">" + "I" * ndim, buf[4:4 + 4 * ndim])
    return torch.frombuffer(bytearray(buf[4 + 4 * ndim:]), dtype=torch.uint8).reshape(dims)

def main():
    path, split = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "test")
    tensors, meta = read_safetensors(path)
    net, n_in = build(meta)
    net.load_state_dict({k: v for k, v in tensors.items() if not k.startswith("optim.")})
    d = "/usr/share/datasets/fashion-mnist"
    pre = "t10k" if split == "test" else "train"
    x = idx(f"{d}/{pre}-images-idx3-ubyte.gz").reshape(-1, n_in).float() / 255
    y = idx(f"{d}/{pre}-labels-idx1-ubyte.gz").long()
    with torch.no_grad():
        f = net(x)
        if meta.get("loss", "xent") == "mse":
            loss = 0.5 * ((f - torch.nn.functional.one_hot(y, f.shape[1]).float()) ** 2).sum(1).mean()
        else:
            loss = torch.nn.functional.cross_entropy(f, y)
        acc = (f.argmax(1) == y).float().mean()
    out = subprocess.run(["bin/saddle", "eval", path, "--data", split], capture_output=True,
                         text=True, check=True).stdout
    m = re.search(r"loss ([0-9.]+)\s+acc ([0-9.]+)", out)
    sl, sa = float(m.group(1)), float(m.group(2))
    print(f"torch  {split} loss {loss.item():.6f} acc {acc.item():.4f}")
    print(f"saddle {split} loss {sl:.6f} acc {sa:.4f}")
    ok = abs(sl - loss.item()) < 1e-5 * max(1, loss.item()) and abs(sa - acc.item()) < 1.5e-4
    print("agree" if ok else "DISAGREE")
    sys.exit(0 if ok else 1)

if __name__ == "__main__":
    main()
