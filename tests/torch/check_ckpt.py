#!/usr/bin/env python3
"""Interop check (not part of `make test`): loads a saddle checkpoint in PyTorch
with a hand-written safetensors reader, builds the nn.Sequential that its
__metadata__ "arch" describes, and load_state_dict(strict=True) must succeed.

    python3 tests/torch/check_ckpt.py runs/NAME/final.safetensors

Prints the logits of the input x = linspace(-1, 1, in) for comparison with
saddle. Optimizer state ("optim.*", in last.safetensors) is not part of the
model and is dropped before the strict load."""
import json, re, struct, sys
import torch

def read_safetensors(path):
    buf = open(path, "rb").read()
    (n,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = buf[8 + n:]
    tensors = {}
    for name, e in header.items():
        assert e["dtype"] == "F32", (name, e["dtype"])
        b, end = e["data_offsets"]
        t = torch.frombuffer(bytearray(data[b:end]), dtype=torch.float32)
        tensors[name] = t.reshape(e["shape"])
    return tensors, meta

def build(meta):
    acts = {"relu": lambda: torch.nn.ReLU(), "tanh": lambda: torch.nn.Tanh(),
            "sigmoid": lambda: torch.nn.Sigmoid(), "softplus": lambda: torch.nn.Softplus(),
            "gelu": lambda: torch.nn.GELU(),
            "leaky_relu": lambda: torch.nn.LeakyReLU(float(meta.get("leaky_slope", 0.01)))}
    tokens = meta["arch"].split("-")
    width, mods = int(tokens[0]), []
    for tok in tokens[1:]:
        out, act = re.fullmatch(r"(\d+)([a-z_]*)", tok).groups()
        mods.append(torch.nn.Linear(width, int(out)))
        if act and act != "linear":
            mods.append(acts[act]())
        width = int(out)
    return torch.nn.Sequential(*mods), int(tokens[0])

def main():
    tensors, meta = read_safetensors(sys.argv[1])
    assert meta.get("format") == "saddle-1", "not a saddle checkpoint: %r" % meta
    net, n_in = build(meta)
    state = {k: v for k, v in tensors.items() if not k.startswith("optim.")}
    net.load_state_dict(state, strict=True)
    x = torch.linspace(-1, 1, n_in).unsqueeze(0)
    torch.set_printoptions(precision=7)
    print("arch %s, step %s: strict load ok (%d tensors)" %
          (meta["arch"], meta.get("step"), len(state)))
    print("logits(linspace(-1, 1, %d)) =" % n_in, net(x).detach().flatten().tolist())

if __name__ == "__main__":
    main()
