#!/usr/bin/python3
"""Cross-check (not part of `make test`; needs Debian's python3-torch): the top
Hessian eigenvalue of a saddle checkpoint on the Fashion-MNIST test set, by
PyTorch double-backward HVPs and power iteration, against `saddle hessian`.

    /usr/bin/python3 tests/torch/check_hessian.py runs/fmnist-mlp"""
import os, re, subprocess, sys, tempfile
import torch
sys.path.insert(0, os.path.dirname(__file__))
from check_ckpt import read_safetensors, build
from check_eval import idx

def main():
    run = sys.argv[1]
    out = subprocess.run(["bin/saddle", "hessian", run, "--top", "1", "--data", "test", "--limit", "0",
                          "--tol", "1e-8", "--out", tempfile.mkdtemp()],
                         check=True, capture_output=True, text=True).stdout
    lam_saddle = float(re.search(r"lambda_1\s+(\S+)", out).group(1))
    tensors, meta = read_safetensors(os.path.join(run, "final.safetensors"))
    net, n_in = build(meta)
    net.load_state_dict({k: v for k, v in tensors.items() if not k.startswith("optim.")})
    net = net.double()
    pre = "/usr/share/datasets/fashion-mnist/t10k"
    x = idx(pre + "-images-idx3-ubyte.gz").reshape(-1, n_in).double() / 255
    y = idx(pre + "-labels-idx1-ubyte.gz").long()
    params = list(net.parameters())
    loss = torch.nn.functional.cross_entropy(net(x), y)
    grads = torch.autograd.grad(loss, params, create_graph=True)
    torch.manual_seed(0)
    v = [torch.randn_like(p) for p in params]
    lam = 0.0
    for it in range(300):
        norm = torch.sqrt(sum((t * t).sum() for t in v))
        v = [t / norm for t in v]
        hv = torch.autograd.grad(grads, params, grad_outputs=v, retain_graph=True)
        new = sum((a * b).sum() for a, b in zip(hv, v)).item()
        v = [t.detach() for t in hv]
        if abs(new - lam) < 1e-10 * abs(new):
            lam = new
            break
        lam = new
    rel = abs(lam - lam_saddle) / abs(lam)
    print(f"lambda_max: torch (double, power iteration, {it + 1} HVPs) {lam:.7g}, saddle {lam_saddle:.7g}, "
          f"relative difference {rel:.1e}")
    sys.exit(0 if rel < 1e-4 else 1)

if __name__ == "__main__":
    main()
