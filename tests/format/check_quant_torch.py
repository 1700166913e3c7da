#!/usr/bin/python3
"""check_quant_torch.py: cross-checks golf's quantizer (through quant_cli) against PyTorch.

Checks, for random matrices with Gaussian, heavy-tailed, tied and all-zero rows:
  - percentile clips equal torch.quantile(|W|, p/100, dim=1) (relative 1e-6), per row and per group;
  - k·std clips equal k * torch.std(W, dim=1) (relative 1e-6);
  - f16 scales equal torch's (clip/code_max).clamp_min(floor).to(torch.float16), bit for bit; with floor 1/127 and
    p = 99.99984 this is the challenge's reference export;
  - codes equal torch.round(clamp(W, -clip, clip) / scale16).clamp(-code_max, code_max), where scale16 is the
    f16-rounded scale (golf's deliberate choice), and that choice reconstructs W at least as well as the
    reference export's codes computed from the fp32 scale.

Usage: /usr/bin/python3 check_quant_torch.py path/to/quant_cli   (needs Debian's python3-torch and numpy)
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

REL_TOL = 1e-6
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL: " + message)


def make_matrix(rows, cols, scale, seed):
    gen = torch.Generator().manual_seed(seed)
    w = torch.randn(rows, cols, generator=gen) * scale
    # Heavy tails (Student t, 3 degrees of freedom) so the top order statistics are far apart and the percentile's
    # interpolation matters.
    t = torch.distributions.StudentT(3.0)
    torch.manual_seed(seed)
    w[1::4] = t.sample((len(range(1, rows, 4)), cols)) * scale
    w[2] = torch.round(w[2] / scale * 2) * scale / 2  # many ties
    w[3] = 0.0  # an all-zero row: clip 0, scale floor or 0
    w[5, :] = w[5, :] * 1000.0  # a large row
    return w.contiguous()


def run_cli(cli, w, dtype, group_size, clip, clip_value, scale_floor, tmp):
    rows, cols = w.shape
    paths = [os.path.join(tmp, name) for name in ("w.f32", "out.raw", "clips.f32")]
    w.numpy().astype("<f4").tofile(paths[0])
    cmd = [cli, paths[0], str(rows), str(cols), dtype, str(group_size), clip, repr(clip_value), repr(scale_floor),
           paths[1], paths[2]]
    subprocess.run(cmd, check=True)
    raw = np.fromfile(paths[1], dtype=np.uint8)
    clips = torch.from_numpy(np.fromfile(paths[2], dtype="<f4").copy())
    return raw, clips


def decode_raw(raw, dtype, rows, cols, group_size):
    """Splits a raw layout (SPEC.md §5.2) into codes [rows*cols/G, G] (logical order) and f16 scales."""
    count = rows * cols
    span = group_size if group_size else cols
    code_bytes = count // 2 if dtype == "q4" else count
    scales_offset = (code_bytes + 63) // 64 * 64
    n_scales = count // span
    scales = torch.from_numpy(raw[scales_offset:scales_offset + 2 * n_scales].copy().view("<f2").astype(np.float16))
    assert len(raw) == scales_offset + 2 * n_scales, "raw size"
    assert not raw[code_bytes:scales_offset].any(), "padding must be zero"
    if dtype == "q4":
        packed = raw[:code_bytes].reshape(n_scales, span // 2).astype(np.int16)
        codes = np.concatenate([(packed & 0xF) - 8, (packed >> 4) - 8], axis=1)
    else:
        codes = raw[:count].view(np.int8).reshape(n_scales, span)
    return torch.from_numpy(codes.astype(np.int32)), scales


def check_case(cli, w, dtype, group_size, clip, clip_value, scale_floor, tmp):
    name = "%s g%d %s %s floor %.6g" % (dtype, group_size, clip, clip_value, scale_floor)
    rows, cols = w.shape
    span = group_size if group_size else cols
    code_max = (1 << (int(dtype[1:]) - 1)) - 1
    raw, clips = run_cli(cli, w, dtype, group_size, clip, clip_value, scale_floor, tmp)
    codes, scales = decode_raw(raw, dtype, rows, cols, group_size)
    groups = w.reshape(-1, span)

    # Clips against torch.
    if clip == "percentile":
        want_clip = torch.quantile(groups.abs(), clip_value / 100.0, dim=1)
    elif clip == "std_k":
        want_clip = clip_value * groups.double().std(dim=1).float()
    else:
        want_clip = groups.abs().amax(dim=1)
    rel = ((clips.double() - want_clip.double()).abs() / want_clip.double().abs().clamp_min(1e-30))
    rel = torch.where(want_clip == 0, (clips != 0).double(), rel)
    exact = int((clips == want_clip).sum())
    print("  %-42s clips: %d/%d bit-identical to torch, max rel diff %.2e" % (name, exact, len(clips),
                                                                             float(rel.max())))
    check(float(rel.max()) <= REL_TOL, "%s: clip differs from torch by %.3e relative" % (name, float(rel.max())))

    # Scales: torch's fp16 conversion of the same clip / code_max, floored.
    want_scale = (want_clip / code_max).clamp_min(scale_floor).to(torch.float16)
    want_scale = torch.where((want_scale == 0) & (want_clip / code_max > 0), torch.tensor(2.0 ** -24,
                             dtype=torch.float16), want_scale)  # golf's underflow rule
    same_scale = scales.view(torch.int16) == want_scale.view(torch.int16)
    check(bool(same_scale.all()), "%s: %d f16 scales differ from torch's" % (name, int((~same_scale).sum())))

    # Codes from the f16-rounded scale.
    s16 = scales.float().unsqueeze(1)
    c = clips.unsqueeze(1)
    safe = torch.where(s16 == 0, torch.ones_like(s16), s16)
    clipped = torch.maximum(torch.minimum(groups, c), -c)
    want_codes = torch.round(clipped / safe).clamp(-code_max, code_max)
    want_codes = torch.where(s16 == 0, torch.zeros_like(want_codes), want_codes).to(torch.int32)
    diff = int((codes != want_codes).sum())
    check(diff == 0, "%s: %d codes differ from torch.round(clamp(W)/scale16)" % (name, diff))

    # Reconstruction error: golf's codes vs codes computed from the fp32 scale (the reference export).
    s32 = (c / code_max).clamp_min(scale_floor)
    s32 = torch.where(s32 == 0, torch.ones_like(s32), s32)
    ref_codes = torch.round(clipped / s32).clamp(-code_max, code_max)
    ours = ((groups - codes.float() * s16) ** 2).sum().item()
    ref = ((groups - ref_codes * s16) ** 2).sum().item()
    norm = (groups ** 2).sum().item()
    print("  %-42s rel RMS: golf %.5f%%, codes from fp32 scale %.5f%%" % ("", 100 * (ours / norm) ** 0.5,
                                                                        100 * (ref / norm) ** 0.5))
    check(ours <= ref * (1 + 1e-9), "%s: golf's error %.6g exceeds the fp32-scale codes' %.6g" % (name, ours, ref))


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    cli = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        w = make_matrix(48, 1000, 1.0, seed=1)
        check_case(cli, w, "q8", 0, "percentile", 99.99984, 0.0, tmp)
        check_case(cli, w, "q8", 0, "percentile", 90.0, 0.0, tmp)
        check_case(cli, w, "q8", 0, "percentile", 50.0, 0.0, tmp)
        check_case(cli, w, "q8", 0, "none", 0.0, 0.0, tmp)
        check_case(cli, w, "q6", 0, "std_k", 3.0, 0.0, tmp)
        w_small = make_matrix(48, 1024, 0.02, seed=2)
        # The challenge's reference export: p = 99.99984, scale floor 1/127.
        check_case(cli, w_small, "q8", 0, "percentile", 99.99984, float(np.float32(1.0 / 127.0)), tmp)
        check_case(cli, w_small, "q8", 128, "percentile", 99.9, 0.0, tmp)
        check_case(cli, w_small, "q4", 32, "percentile", 99.0, 0.0, tmp)
        check_case(cli, w_small, "q4", 64, "std_k", 2.5, 0.0, tmp)
        check_case(cli, w_small, "q5", 64, "none", 0.0, 0.0, tmp)
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("all quantizer checks against torch %s passed" % torch.__version__)
    return 0


if __name__ == "__main__":
    sys.exit(main())
