#!/usr/bin/python3
"""check_gptq_torch.py: golf's C++ GPTQ (trainer/export/gptq.cpp, through gptq_cli) against an independent fp64
GPTQ written here in PyTorch after Frantar et al. 2022 (the reference implementation's structure: damping by
percdamp · mean diag, activation order, H^-1 by cholesky_inverse, its upper Cholesky factor, lazy block updates).

Scales are computed here independently too, the way format/quant.h defines them: clip = max|w| or k · std(row or
group) (unbiased), scale = f16(clip / code_max), computed from the ORIGINAL weights. Codes are
round(w / scale).clamp(-code_max, code_max) of the error-corrected weights.

Checks, for several small layers (correlated inputs, a dead input column, per-row and grouped scales, q2..q8, act
order on and off, blocks smaller than the width) that the codes are EQUAL, element for element.

Usage: /usr/bin/python3 check_gptq_torch.py path/to/gptq_cli   (needs Debian's python3-torch)
"""
import os
import subprocess
import sys
import tempfile

import torch

torch.set_default_dtype(torch.float64)


def reference_scales(w32, bits, group, k):
    """(rows, n_groups) f16-rounded scales as float64, from the original fp32 weights."""
    rows, cols = w32.shape
    span = group if group else cols
    g = w32.reshape(rows, cols // span, span)
    qmax = 7 if bits == 4 else 2 ** (bits - 1) - 1
    if k is None:
        clip = g.abs().amax(dim=2)
    else:
        clip = (k * g.double().std(dim=2)).float()
    scale = (clip / torch.tensor(float(qmax), dtype=torch.float32)).to(torch.float16)
    scale = torch.where((scale == 0) & (clip > 0), torch.tensor(2.0 ** -24, dtype=torch.float16), scale)
    return scale.double(), qmax, span


def reference_gptq(w32, h, bits, group, k, percdamp, block, act_order):
    rows, cols = w32.shape
    scales, qmax, span = reference_scales(w32, bits, group, k)
    W = w32.double().clone()
    H = h.clone()
    dead = torch.diag(H) == 0
    H[dead, dead] = 1
    perm = torch.argsort(torch.diag(H), descending=True, stable=True) if act_order else torch.arange(cols)
    # H's diagonal for the order is the caller's (dead columns have 0 there, so they go last either way).
    if act_order:
        perm = torch.argsort(torch.diag(h), descending=True, stable=True)
    W = W[:, perm]
    H = H[perm][:, perm]
    H += percdamp * torch.mean(torch.diag(H)) * torch.eye(cols)
    Hinv = torch.linalg.cholesky(torch.cholesky_inverse(torch.linalg.cholesky(H)), upper=True)
    col_scale = scales[:, perm // span]  # (rows, cols) in permuted order
    Q = torch.zeros(rows, cols, dtype=torch.int64)
    for i1 in range(0, cols, block):
        i2 = min(i1 + block, cols)
        W1 = W[:, i1:i2].clone()
        Err1 = torch.zeros_like(W1)
        Hinv1 = Hinv[i1:i2, i1:i2]
        for i in range(i2 - i1):
            w = W1[:, i]
            s = col_scale[:, i1 + i]
            q = torch.where(s != 0, torch.round(w / torch.where(s != 0, s, 1.0)).clamp(-qmax, qmax), 0.0)
            Q[:, i1 + i] = q.long()
            err = (w - q * s) / Hinv1[i, i]
            W1[:, i:] -= err.unsqueeze(1) * Hinv1[i, i:].unsqueeze(0)
            Err1[:, i] = err
        W[:, i2:] -= Err1 @ Hinv[i1:i2, i2:]
    out = torch.zeros_like(Q)
    out[:, perm] = Q
    return out


def main():
    cli = sys.argv[1]
    failures = 0
    cases = [  # rows, cols, spec, bits, group, k, percdamp, block, act_order
        (16, 64, "q6:k12.85", 6, 0, 12.85, 0.01, 128, 1),
        (16, 64, "q5:k8", 5, 0, 8.0, 0.01, 16, 1),
        (24, 128, "q4:g32", 4, 32, None, 0.01, 32, 1),
        (8, 96, "q3:g32:k4", 3, 32, 4.0, 0.05, 128, 0),
        (8, 64, "q2:k2", 2, 0, 2.0, 0.01, 8, 1),
        (12, 64, "q8", 8, 0, None, 0.01, 128, 1),
        (12, 128, "q7:g64:k10", 7, 64, 10.0, 0.1, 48, 1),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for n, (rows, cols, spec, bits, group, k, damp, block, act) in enumerate(cases):
            gen = torch.Generator().manual_seed(100 + n)
            w32 = (torch.randn(rows, cols, generator=gen, dtype=torch.float32) * 0.05)
            # Correlated inputs: X = Z · M with a random mixing M, so H is far from diagonal; one dead input.
            z = torch.randn(4 * cols, cols, generator=gen)
            m = torch.eye(cols) + 0.3 * torch.randn(cols, cols, generator=gen)
            x = z @ m
            x[:, 3] = 0
            h = x.T @ x
            w32.numpy().astype("<f4").tofile(os.path.join(tmp, "w.f32"))
            h.numpy().astype("<f8").tofile(os.path.join(tmp, "h.f64"))
            out = os.path.join(tmp, "codes.i8")
            subprocess.run([cli, os.path.join(tmp, "w.f32"), os.path.join(tmp, "h.f64"), str(rows), str(cols), spec,
                            str(damp), str(block), str(act), out], check=True)
            got = torch.frombuffer(bytearray(open(out, "rb").read()), dtype=torch.int8).long().reshape(rows, cols)
            want = reference_gptq(w32, h, bits, group, k, damp, block, act)
            diff = int((got != want).sum())
            rtn_diff = int((got != torch.round(w32.double() / reference_scales(w32, bits, group, k)[0].repeat_interleave(
                group if group else cols, dim=1)).clamp(-(7 if bits == 4 else 2 ** (bits - 1) - 1),
                                                       7 if bits == 4 else 2 ** (bits - 1) - 1).long()).sum())
            print(f"{spec:12s} {rows}x{cols} damp {damp} block {block} act_order {act}: "
                  f"{diff} codes differ from the reference ({rtn_diff} differ from round-to-nearest)")
            if diff != 0:
                failures += 1
            if rtn_diff == 0:  # GPTQ that changes nothing would pass trivially; it must move codes
                print("FAIL: GPTQ gave the round-to-nearest codes")
                failures += 1
    print("FAIL" if failures else "OK")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
