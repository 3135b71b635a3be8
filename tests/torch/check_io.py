#!/usr/bin/python3
"""Cross-check of tools/python/saddle_io.py (not part of `make test`; needs
Debian's python3-torch and Fashion-MNIST): models saved from PyTorch with
saddle_io are evaluated by `saddle eval` to the loss PyTorch computes, and a
saddle checkpoint loaded with saddle_io gives the logits of an independent
reader and the loss `saddle eval` prints.

    /usr/bin/python3 tests/torch/check_io.py

  1. nn.Sequential(Flatten, Linear, ReLU, Dropout, Linear): keys 1.* and 4.*
  2. named modules fc1, fc2, fc3 (F.relu in forward), saved as F64 and BF16
  3. saddle train -> final.safetensors -> saddle_io.model()"""
import os, re, subprocess, sys, tempfile
import torch
import torch.nn.functional as F
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "python"))
import saddle_io
from check_ckpt import read_safetensors, build
from check_eval import idx

D = "/usr/share/datasets/fashion-mnist"
N = 2000
ok = True

def data(split):
    pre = "t10k" if split == "test" else "train"
    x = idx(f"{D}/{pre}-images-idx3-ubyte.gz").float() / 255
    y = idx(f"{D}/{pre}-labels-idx1-ubyte.gz").long()
    return x, y

def saddle_eval(path, *extra):
    out = subprocess.run(["bin/saddle", "eval", path, "--limit", str(N), *extra],
                         capture_output=True, text=True)
    if out.returncode:
        sys.exit("saddle eval failed:\n" + out.stdout + out.stderr)
    return float(re.search(r"loss ([0-9.]+)", out.stdout).group(1)), out.stderr

def compare(what, torch_loss, saddle_loss, note="", names=("torch", "saddle")):
    global ok
    good = abs(torch_loss - saddle_loss) < 1e-5 * max(1, torch_loss)
    ok &= good
    print(f"{what}: {names[0]} {torch_loss:.6f} {names[1]} {saddle_loss:.6f} {'agree' if good else 'DISAGREE'}")
    for line in note.strip().splitlines():
        print("   ", line)

class Named(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = torch.nn.Linear(784, 64), torch.nn.Linear(64, 64), torch.nn.Linear(64, 10)
    def forward(self, x):
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x.flatten(1))))))

def train(net, x, y, steps=200):
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    g = torch.Generator().manual_seed(0)
    for _ in range(steps):
        i = torch.randint(0, len(x), (128,), generator=g)
        opt.zero_grad()
        F.cross_entropy(net(x[i]), y[i]).backward()
        opt.step()
    return net.eval()

def main():
    torch.manual_seed(0)
    xtr, ytr = data("train")
    xte, yte = data("test")
    xte, yte = xte[:N], yte[:N]
    cfg = ["--act", "relu", "--config", "configs/fmnist-mlp.ini"]
    with tempfile.TemporaryDirectory() as tmp:
        seq = train(torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 64), torch.nn.ReLU(),
                                        torch.nn.Dropout(0.1), torch.nn.Linear(64, 10)), xtr, ytr)
        p = os.path.join(tmp, "seq.safetensors")
        saddle_io.save(seq.state_dict(), p)
        assert list(saddle_io.load(p)) == ["1.weight", "1.bias", "4.weight", "4.bias"]
        with torch.no_grad():
            compare("Flatten + Sequential (1.*, 4.*)", F.cross_entropy(seq(xte), yte).item(), *saddle_eval(p, *cfg))

        named = train(Named(), xtr, ytr)
        for dt in (torch.float64, torch.bfloat16):
            p = os.path.join(tmp, f"named-{dt}.safetensors")
            saddle_io.save({k: v.to(dt) for k, v in named.state_dict().items()}, p)
            back = saddle_io.load(p)
            assert all(back[k].dtype == dt and torch.equal(back[k], v.to(dt)) for k, v in named.state_dict().items())
            ref = Named()
            ref.load_state_dict({k: v.float() for k, v in back.items()})
            with torch.no_grad():
                compare(f"named modules as {dt}", F.cross_entropy(ref.eval()(xte), yte).item(), *saddle_eval(p, *cfg))

        run = os.path.join(tmp, "run")
        subprocess.run(["bin/saddle", "train", "configs/fmnist-mlp.ini", "--set", "train.epochs=1", "--out", run],
                       check=True, capture_output=True)
        final = os.path.join(run, "final.safetensors")
        net, meta = saddle_io.model(final)
        tensors, meta2 = read_safetensors(final)
        other, _ = build(meta2)
        other.load_state_dict({k: v for k, v in tensors.items() if not k.startswith("optim.")})
        with torch.no_grad():
            xf = xte.flatten(1)
            same = torch.equal(net(xf), other(xf))
            global ok
            ok &= same
            print(f"saddle checkpoint {meta['arch']}: saddle_io logits {'equal' if same else 'DIFFER from'} an independent reader's")
            compare("saddle checkpoint", F.cross_entropy(net(xf), yte).item(), saddle_eval(run)[0])
        # Rewritten by saddle_io with its metadata, it is still the same checkpoint to saddle.
        again = os.path.join(tmp, "again.safetensors")
        saddle_io.save(saddle_io.load(final), again, saddle_io.metadata(final))
        compare("saddle checkpoint rewritten by saddle_io", saddle_eval(final)[0], saddle_eval(again)[0],
                names=("saddle (original)", "saddle (rewritten)"))
    print("all agree" if ok else "DISAGREE")
    sys.exit(0 if ok else 1)

if __name__ == "__main__":
    main()
