#!/usr/bin/python3
"""Cross-check (not part of `make test`; needs Debian's python3-torch and numpy):
recomputes in float64 with torch.autograd, independently of saddle's C code,
what `saddle critical RUN` reports for each end point, and compares.

    /usr/bin/python3 tests/torch/check_critical.py RUN [--name critical] [--points 1,5,9]

The training data is rebuilt from the IDX files and RUN/config.ini in
data_load's order (limit -> resize -> normalize): area averaging with exact
fractional overlaps (stored as float32), then PCA whitening fitted on the
training set (raw 0..255 pixels, covariance 1/n, eps = 1e-5 x the mean
eigenvalue, components by descending eigenvalue, each eigenvector's largest-
magnitude entry positive), stored as float32 like saddle, then used as float64.
For each end point of RUN/probes/NAME_points.npy: loss, |g|, the full Hessian
(torch.autograd.functional.hessian of the loss of the flat θ), its spectrum
(torch.linalg.eigh), the negative counts and near-null gradient shares at the
thresholds t = options.thresholds (relative to lambda_max), hg_rel and the
accuracy, against RUN/probes/NAME.json (about 3 s a point for 2,230 parameters
and 1,000 examples on one thread). Tolerances (exit 1 beyond them):
  loss                relative 1e-9
  grad_norm           1e-12 + 1e-6 |g|: g is a mean of O(1) per-example terms
                      that cancel, so its rounding error is absolute (~1e-16),
                      not relative to |g|, which can be 1e-9 at a critical point
  lambda_min/max      1e-7 |lambda| + 1e-12 lambda_max (the eigensolver's
                      absolute floor, for a lambda_min near 0)
  negative            exact, unless an eigenvalue lies within 1e-9 lambda_max of
                      the threshold (reported as a tie)
  null_grad_fraction  absolute 1e-6, unless a tie at +-t lambda_max
  hg_rel              1e-6 hg_rel + 2e-8: at a gradient-flat point all but ~1e-4
                      of |g|^2 lies in the near-null eigenspace, so |Hg| comes
                      from a tiny part of g; the inputs rebuilt here differ from
                      saddle's in a few float32 ulps (summation order), which
                      moves g by ~1e-8 |g| and hg_rel by as much (measured on
                      runs/tiny: up to 8e-9, while torch's own H g and its
                      eigenbasis form agree to 1e-15)
  accuracy            exact, unless an example's top two outputs are within 1e-4
                      (saddle evaluates accuracy in float32)"""
import argparse, configparser, json, os, sys, time
import numpy as np
import torch
sys.path.insert(0, os.path.dirname(__file__))
from check_ckpt import read_safetensors, build
from check_eval import idx

WHITEN_EPS_REL = 1e-5   # datasets/dataset.h
TIE = 1e-9              # an eigenvalue this close (x lambda_max) to a threshold is a tie

def area_weights(src, dst):
    """[dst][src]: target j covers [j*src, (j+1)*src), source i [i*dst, (i+1)*dst)."""
    w = np.zeros((dst, src))
    for j in range(dst):
        for i in range(src):
            ov = min((i + 1) * dst, (j + 1) * src) - max(i * dst, j * src)
            w[j, i] = max(ov, 0) / src
    return w

def load_train(run):
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(os.path.join(run, "config.ini"))
    d = cfg["data"]
    if d.get("name") not in ("fashion-mnist", "mnist", "idx"):
        sys.exit(f"check_critical: data.name = {d.get('name')}: only IDX image sets are rebuilt")
    if float(d.get("val_split", "0")) != 0 or (int(d.get("limit", "0")) and d.get("subset") == "random"):
        sys.exit("check_critical: val_split > 0 or subset = random needs saddle's RNG; not rebuilt")
    norm = d.get("normalize", "scale")
    if norm not in ("whiten", "scale", "none"):
        sys.exit(f"check_critical: normalize = {norm} is not rebuilt (whiten, scale, none)")
    ddir = d.get("dir") or "/usr/share/datasets/fashion-mnist"
    x = idx(f"{ddir}/train-images-idx3-ubyte.gz").numpy().astype(np.float64)
    y = idx(f"{ddir}/train-labels-idx1-ubyte.gz").numpy().astype(np.int64)
    limit = int(d.get("limit", "0"))
    if limit:
        x, y = x[:limit], y[:limit]
    n, R, C = x.shape
    r = int(d.get("resize", "0"))
    if r:   # separable, in double; saddle rounds the result to float
        x = np.einsum("ai,eik,bk->eab", area_weights(R, r), x, area_weights(C, r))
        x = x.astype(np.float32).astype(np.float64)
    x = x.reshape(n, -1)
    if norm == "whiten":
        mean = x.mean(0)
        xc = x - mean
        cov = np.triu(xc.T @ xc) / n                    # upper triangle mirrored, as saddle
        # LAPACK on the upper triangle, as saddle's dsyevd call sees it (the
        # lower-triangle path rounds differently: a few inputs move by 1 ulp)
        lam, U = np.linalg.eigh(cov + np.triu(cov, 1).T, UPLO="U")   # ascending
        lam = np.where(lam > 0, lam, 0.0)
        eps = WHITEN_EPS_REL * lam.mean() if lam.sum() > 0 else 1.0
        lam, U = lam[::-1], U[:, ::-1]                  # first principal component first
        big = U[np.abs(U).argmax(0), np.arange(U.shape[1])]
        W = (U * np.where(big < 0, -1.0, 1.0)).T / np.sqrt(lam + eps)[:, None]
        x = (xc @ W.T).astype(np.float32)
    elif norm == "scale":
        x = x.astype(np.float32) / np.float32(255)
    return torch.from_numpy(x.astype(np.float64)), torch.from_numpy(y)

def main():
    ap = argparse.ArgumentParser(description="check `saddle critical` against torch.autograd")
    ap.add_argument("run")
    ap.add_argument("--name", default="critical")
    ap.add_argument("--points", help="1-based, comma-separated (default: all)")
    args = ap.parse_args()
    probes = os.path.join(args.run, "probes")
    side = json.load(open(os.path.join(probes, args.name + ".json")))
    P = np.load(os.path.join(probes, args.name + "_points.npy"))
    if side["data"].get("subset") != "all" or side["data"].get("split") != "train":
        sys.exit("check_critical: the probe used a subset or split other than the whole training set")
    thresholds = side["options"]["thresholds"]
    _, meta = read_safetensors(os.path.join(probes, args.name, "point-01.safetensors"))
    net, _ = build(meta)
    layers = []   # (out, in, activation or None), from the arch metadata
    for m in net:
        if isinstance(m, torch.nn.Linear):
            layers.append([m.out_features, m.in_features, None])
        else:
            layers[-1][2] = m
    x, y = load_train(args.run)
    assert x.shape[0] == side["data"]["examples"], (x.shape, side["data"]["examples"])
    K = layers[-1][0]
    onehot = torch.nn.functional.one_hot(y, K).double()

    def forward(theta):
        h, off = x, 0
        for o, i, act in layers:
            W = theta[off:off + o * i].view(o, i)
            b = theta[off + o * i:off + o * i + o]
            off += o * i + o
            h = h @ W.T + b
            if act is not None:
                h = act(h)
        assert off == theta.numel()
        return h

    def loss(theta):
        f = forward(theta)
        if meta.get("loss") == "mse":
            return 0.5 * ((f - onehot) ** 2).sum(1).mean()
        return torch.nn.functional.cross_entropy(f, y)

    ks = [int(s) - 1 for s in args.points.split(",")] if args.points else range(len(side["points"]))
    print(f"{args.run}: {x.shape[0]} examples, {P.shape[1]} parameters, {meta['arch']} "
          f"{meta.get('loss')}, {len(ks)} of {len(side['points'])} end points")
    print(f"{'point':<18}{'quantity':<22}{'saddle':>24}{'torch':>24}{'rel. diff':>11}  verdict")
    worst, bad, ties, t0 = {}, 0, 0, time.time()

    def report(k, what, s, t, ok, tie=False, key=None):
        nonlocal bad, ties
        rel = abs(s - t) / max(abs(t), 1e-300) if s != t else 0.0
        key = key or what
        worst[key] = max(worst.get(key, 0.0), rel)
        verdict = "ok" if ok else ("tie" if tie else "DISAGREE")
        bad += verdict == "DISAGREE"
        ties += verdict == "tie"
        print(f"{k:<18}{what:<22}{s:>24.16g}{t:>24.16g}{rel:>11.1e}  {verdict}")

    for k in ks:
        e, tp = side["points"][k], time.time()
        label = f"{k + 1} ({e['start']})"
        th = torch.from_numpy(P[k].copy()).requires_grad_()
        L = loss(th)
        g = torch.autograd.grad(L, th)[0]
        H = torch.autograd.functional.hessian(loss, th.detach())
        H = 0.5 * (H + H.T)
        lam, Q = torch.linalg.eigh(H)
        gq, g2, gn = Q.T @ g, (g * g).sum(), g.norm().item()
        lmin, lmax = lam[0].item(), lam[-1].item()
        S = lmax if lmax > 0 else max(abs(lmin), 1e-300)
        report(label, "loss", e["loss"], L.item(), abs(e["loss"] - L.item()) <= 1e-9 * abs(L.item()))
        report(label, "grad_norm", e["grad_norm"], gn, abs(e["grad_norm"] - gn) <= 1e-12 + 1e-6 * gn)
        for nm, v in (("lambda_min", lmin), ("lambda_max", lmax)):
            report(label, nm, e[nm], v, abs(e[nm] - v) <= 1e-7 * abs(v) + 1e-12 * S)
        for i, t in enumerate(thresholds):
            thr = t * S
            neg = int((lam < -thr).sum())
            tie = bool(((lam + thr).abs() <= TIE * S).any())
            report(label, f"negative[{t:g}]", e["negative"][i], neg, e["negative"][i] == neg, tie,
                   "negative")
            nf = (gq[lam.abs() <= thr] ** 2).sum().item() / g2.item() if g2 > 0 else 0.0
            tie = bool(((lam.abs() - thr).abs() <= TIE * S).any())
            report(label, f"null_grad_frac[{t:g}]", e["null_grad_fraction"][i], nf,
                   abs(e["null_grad_fraction"][i] - nf) <= 1e-6, tie, "null_grad_fraction")
        hg = (H @ g).norm().item() / (S * gn) if gn > 0 else 0.0
        report(label, "hg_rel", e["hg_rel"], hg, abs(e["hg_rel"] - hg) <= 1e-6 * hg + 2e-8)
        with torch.no_grad():   # saddle's accuracy is of the float32 copy of θ
            f = forward(th.detach().float().double())
        top2 = f.topk(2, dim=1).values
        near = int((top2[:, 0] - top2[:, 1] < 1e-4).sum())
        acc = (f.argmax(1) == y).double().mean().item()
        report(label, "accuracy", e["accuracy"], acc,
               abs(e["accuracy"] - acc) <= near / len(y) + 1e-12, near > 0)
        print(f"{'':<18}({time.time() - tp:.1f} s: loss, gradient, Hessian, eigh)")
    print("max relative difference: " + ", ".join(f"{q} {v:.1e}" for q, v in worst.items()))
    print(f"{len(ks)} end points in {time.time() - t0:.0f} s: "
          + ("agree" if not bad else f"{bad} DISAGREE") + (f" ({ties} ties)" if ties else ""))
    sys.exit(1 if bad else 0)

if __name__ == "__main__":
    main()
