#!/usr/bin/python3
"""Cross-check (not part of `make test`; needs Debian's python3-torch): runs
`saddle surface` on the full Fashion-MNIST test set with its directions saved,
then recomputes every grid point in PyTorch from the checkpoint, the saved
directions and the IDX files, and compares with surface.npy.

    /usr/bin/python3 tests/torch/check_surface.py runs/fmnist-mlp [GRID]"""
import json, os, subprocess, sys, tempfile
import numpy as np
import torch
sys.path.insert(0, os.path.dirname(__file__))
from check_ckpt import read_safetensors, build
from check_eval import idx

def main():
    run, grid = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "5x5")
    out = tempfile.mkdtemp()
    dirs = os.path.join(out, "dirs.safetensors")
    subprocess.run(["bin/saddle", "surface", run, "--grid", grid, "--data", "test", "--limit", "0",
                    "--save-dirs", dirs, "--out", out], check=True, capture_output=True)
    side = json.load(open(os.path.join(out, "surface.json")))
    g = side["grid"]
    loss = np.load(os.path.join(out, "surface.npy"))
    tensors, meta = read_safetensors(os.path.join(run, "final.safetensors"))
    net, n_in = build(meta)
    state = {k: v for k, v in tensors.items() if not k.startswith("optim.")}
    net.load_state_dict(state)
    d, _ = read_safetensors(dirs)
    names = list(state.keys())  # the flat order: per layer weight then bias, as saddle lays out θ
    sizes = [state[k].numel() for k in names]
    theta = torch.cat([state[k].flatten() for k in names]).double()
    d1, d2 = d["dir0"].double(), d["dir1"].double()
    pre = "/usr/share/datasets/fashion-mnist/t10k"
    x = (idx(pre + "-images-idx3-ubyte.gz").reshape(-1, n_in).double() / 255)
    y = idx(pre + "-labels-idx1-ubyte.gz").long()
    net = net.double()
    worst = 0.0
    for j in range(g["ny"]):
        for i in range(g["nx"]):
            a = g["x0"] + (g["x1"] - g["x0"]) * i / (g["nx"] - 1)
            b = g["y0"] + (g["y1"] - g["y0"]) * j / (g["ny"] - 1)
            t = (theta + a * d1 + b * d2).float().double()  # saddle perturbs in float
            off = 0
            with torch.no_grad():
                for k, s in zip(names, sizes):
                    dict(net.named_parameters())[k].copy_(t[off:off + s].reshape(state[k].shape))
                    off += s
                l = torch.nn.functional.cross_entropy(net(x), y).item()
            worst = max(worst, abs(l - loss[j, i]) / max(1.0, l))
    print(f"{g['nx']}x{g['ny']} points: max relative difference saddle vs torch {worst:.2e}")
    sys.exit(0 if worst < 1e-5 else 1)

if __name__ == "__main__":
    main()
