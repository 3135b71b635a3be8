"""safetensors files from and to PyTorch with torch alone (no `safetensors`
package, which Debian does not ship): what saddle reads and writes.

    import torch, saddle_io
    saddle_io.save(model.state_dict(), "model.safetensors")   # for `saddle eval --act relu`
    state = saddle_io.load("runs/fmnist-mlp/final.safetensors")
    net, meta = saddle_io.model("runs/fmnist-mlp/final.safetensors")   # a strict-loaded nn.Sequential

A file is an 8-byte little-endian header length, a JSON header
{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}
and the raw little-endian data, the tensors tiling it in order. saddle reads
F32, F64, F16 and BF16 (converted to float32); this module reads and writes
every dtype torch has a name for below.
"""
import json
import os
import re
import struct
import sys

import torch

__all__ = ["save", "load", "metadata", "model"]

_DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
    "U8": torch.uint8, "BOOL": torch.bool,
}
_NAMES = {v: k for k, v in _DTYPES.items()}
_MAX_HEADER = 100 << 20

if sys.byteorder != "little":
    raise ImportError("saddle_io: safetensors data is little-endian; this host is not")


def _bytes(t):
    """The tensor's raw bytes in C order (through a byte view, so bfloat16,
    which numpy has no type for, works too)."""
    t = t.detach().to("cpu").contiguous().reshape(-1)
    if t.numel() == 0:
        return b""
    if t.dtype == torch.bool:
        t = t.to(torch.uint8)
    return t.view(torch.uint8).numpy().tobytes()


def save(tensors, path, metadata=None):
    """Writes a dict of tensors (a state_dict) in its order, with an optional
    str -> str metadata map, to path (through a temporary file, renamed)."""
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, t in tensors.items():
        if not isinstance(t, torch.Tensor):
            raise TypeError("saddle_io.save: %r is a %s, not a tensor" % (name, type(t).__name__))
        if t.dtype not in _NAMES:
            raise TypeError("saddle_io.save: %r has dtype %s, which safetensors has no name for"
                            % (name, t.dtype))
        b = _bytes(t)
        header[name] = {"dtype": _NAMES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)  # the data starts 8-byte aligned
    tmp = "%s.tmp-saddle_io" % path
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def _read(path):
    with open(path, "rb") as f:
        buf = f.read()
    if len(buf) < 8:
        raise ValueError("%s: %d bytes, shorter than the 8-byte header length" % (path, len(buf)))
    (n,) = struct.unpack("<Q", buf[:8])
    if n > _MAX_HEADER or n > len(buf) - 8:
        raise ValueError("%s: header length %d does not fit the file: not a safetensors file"
                         % (path, n))
    header = json.loads(buf[8:8 + n])
    if not isinstance(header, dict):
        raise ValueError("%s: the header is not a JSON object" % path)
    return header, memoryview(buf)[8 + n:]


def load(path):
    """The tensors of a safetensors file as a dict (file order), each a new
    tensor of the file's dtype; __metadata__ is left out (see metadata())."""
    header, data = _read(path)
    header.pop("__metadata__", None)
    out, spans = {}, []
    for name, e in header.items():
        dt = _DTYPES.get(e.get("dtype"))
        if dt is None:
            raise ValueError("%s: tensor %r: dtype %r is not supported" % (path, name, e.get("dtype")))
        shape, (b, end) = [int(s) for s in e["shape"]], e["data_offsets"]
        count = 1
        for s in shape:
            count *= s
        size = torch.empty((), dtype=dt).element_size()
        if not 0 <= b <= end <= len(data) or end - b != count * size:
            raise ValueError("%s: tensor %r: data_offsets %r do not hold %s %s"
                             % (path, name, [b, end], e["dtype"], shape))
        spans.append((b, end, name))
        if count == 0:
            out[name] = torch.empty(shape, dtype=dt)
        else:
            raw = torch.frombuffer(bytearray(data[b:end]), dtype=torch.uint8)
            out[name] = raw.view(torch.uint8 if dt == torch.bool else dt).reshape(shape)
            if dt == torch.bool:
                out[name] = out[name].to(torch.bool)
    pos = 0
    for b, end, name in sorted(spans):
        if b != pos:
            raise ValueError("%s: tensor %r: the data section has a hole or overlap at byte %d"
                             % (path, name, b))
        pos = end
    if pos != len(data):
        raise ValueError("%s: %d bytes of data belong to no tensor" % (path, len(data) - pos))
    return out


def metadata(path):
    """The __metadata__ map of a safetensors file ({} when it has none)."""
    return dict(_read(path)[0].get("__metadata__", {}))


_ACTS = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid,
         "softplus": torch.nn.Softplus, "gelu": torch.nn.GELU}


def model(path):
    """A saddle checkpoint as the nn.Sequential of its metadata "arch"
    (e.g. 784-256relu-256relu-10), its weights loaded strictly; returns
    (net, metadata). Optimizer state (optim.*) is not part of the model."""
    meta = metadata(path)
    if not meta.get("format", "").startswith("saddle-"):
        raise ValueError("%s: no saddle metadata (format); build the model yourself and "
                         "load_state_dict(saddle_io.load(path))" % path)
    tokens = meta["arch"].split("-")
    width, mods = int(tokens[0]), []
    for tok in tokens[1:]:
        out, act = re.fullmatch(r"(\d+)([a-z_]*)", tok).groups()
        mods.append(torch.nn.Linear(width, int(out)))
        if act == "leaky_relu":
            mods.append(torch.nn.LeakyReLU(float(meta.get("leaky_slope", 0.01))))
        elif act and act != "linear":
            mods.append(_ACTS[act]())
        width = int(out)
    net = torch.nn.Sequential(*mods)
    state = {k: v for k, v in load(path).items() if not k.startswith("optim.")}
    net.load_state_dict(state, strict=True)
    return net, meta
