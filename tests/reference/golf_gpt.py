"""golf_gpt.py: PyTorch reference of the Parameter Golf baseline model (openai/parameter-golf train_gpt.py `GPT`) and
of its optimizers (Muon + Adam groups), for parity tests of the C++ trainer and runtime.

Written for Debian's torch 1.13 on CPU (run with /usr/bin/python3): RMSNorm is written out (1.13 has no
F.rms_norm), attention is an explicit causal softmax (1.13 has no F.scaled_dot_product_attention) and GQA expands
k/v with repeat_interleave (what SDPA's enable_gqa does). Everything runs in the dtype the model is built with
(fp32 or fp64); the challenge's bf16 autocast is not reproduced, but Muon's Newton-Schulz dtype is an argument
(bf16 as in the challenge, fp32 for parity with the C++ CPU trainer).

API (other tests import this module):
    cfg = make_config(vocab_size=64, model_dim=32, ...)      # dict of the SPEC.md §3.1 CONF keys
    model = GolfGPT(cfg, dtype=torch.float32)                   # challenge init, from torch's RNG
    logits, loss = model(ids, targets)                          # logits (B, T, V) after the softcap; loss or None
    nll = model.token_nll(ids, targets)                         # (B, T) per-target NLL in nats
    save_weights(path, model)  /  cfg, tensors = load_weights(path)  /  model = model_from_file(path)
    opt = Optimizers(model, ns_dtype=torch.float32); opt.step(lr_mul, step); opt.zero_grad()
    write_tensors(path, {name: array}, metadata) / read_tensors(path)   # safetensors, F32/F64/I32/I64
"""
import json
import math
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# ---- configuration ---------------------------------------------------------------------------------------------------

# The keys and defaults of golf::ModelConfig (format/model_config.h), i.e. the challenge baseline.
CONFIG_DEFAULTS = {
    "arch": "golf-gpt",
    "vocab_size": 1024,
    "model_dim": 512,
    "num_layers": 9,
    "num_heads": 8,
    "num_kv_heads": 4,
    "mlp_hidden": 1024,
    "activation": "relu2",
    "activation_slope": 0.5,
    "rope_base": 10000.0,
    "rope_dims": 64,
    "logit_softcap": 30.0,
    "norm_eps": float(np.finfo(np.float32).eps),
    "qk_norm": True,
    "tie_embeddings": True,
    "num_encoder_layers": 4,
    "max_seq_len": 1024,
    "bos_id": 1,
}


def make_config(**overrides):
    """A full config dict; rope_dims defaults to head_dim and num_encoder_layers to num_layers // 2 unless given."""
    cfg = dict(CONFIG_DEFAULTS)
    cfg.update(overrides)
    if "rope_dims" not in overrides:
        cfg["rope_dims"] = cfg["model_dim"] // cfg["num_heads"]
    if "num_encoder_layers" not in overrides:
        cfg["num_encoder_layers"] = cfg["num_layers"] // 2
    return cfg


# ---- hyperparameters of the optimizers (train_gpt.py Hyperparameters) -----------------------------------------------

OPTIM_DEFAULTS = {
    "matrix_lr": 0.04,
    "scalar_lr": 0.04,
    "tied_embed_lr": 0.05,
    "embed_lr": 0.6,
    "head_lr": 0.008,
    "beta1": 0.9,
    "beta2": 0.95,
    "adam_eps": 1e-8,
    "muon_momentum": 0.95,
    "muon_momentum_warmup_start": 0.85,
    "muon_momentum_warmup_steps": 500,
    "muon_backend_steps": 5,
    "tied_embed_init_std": 0.005,
    "qk_gain_init": 1.5,
}

CONTROL_TENSOR_NAME_PATTERNS = ("attn_scale", "attn_scales", "mlp_scale", "mlp_scales", "resid_mix", "resid_mixes",
                                "q_gain", "skip_weight", "skip_weights")


# ---- model -----------------------------------------------------------------------------------------------------------

def rms_norm(x, eps):
    """Weightless RMSNorm as F.rms_norm: computed in at least fp32, returned in x's dtype."""
    dt = torch.promote_types(x.dtype, torch.float32)
    xf = x.to(dt)
    return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)).to(x.dtype)


class Rotary(nn.Module):
    """NeoX half-split RoPE on the first rope_dims of each head. The tables are computed in table_dtype: fp32 is
    what golf's C++ trainer and runtime use. NOTE: the challenge's train_gpt.py calls `.bfloat16()` on the whole GPT,
    which also casts Rotary's inv_freq buffer, so its positions (torch.arange in the buffer's dtype), angles and
    cos/sin are bf16 (positions above 256 are rounded); pass table_dtype=torch.bfloat16 to reproduce a checkpoint
    trained by that script exactly."""

    def __init__(self, rope_dims, base, table_dtype=torch.float32):
        super().__init__()
        self.rope_dims, self.base, self.table_dtype = rope_dims, base, table_dtype

    def tables(self, T):
        rd = self.rope_dims
        inv_freq = (1.0 / (self.base ** (torch.arange(0, rd, 2, dtype=torch.float32) / rd))).to(self.table_dtype)
        t = torch.arange(T, dtype=self.table_dtype)
        freqs = torch.outer(t, inv_freq)
        return freqs.cos(), freqs.sin()  # (T, rd/2) each

    def forward(self, x):
        # x (B, heads, T, hd)
        rd = self.rope_dims
        if rd == 0:
            return x
        cos, sin = self.tables(x.size(-2))
        cos, sin = cos.to(x.dtype)[None, None], sin.to(x.dtype)[None, None]
        half = rd // 2
        x1, x2, rest = x[..., :half], x[..., half:rd], x[..., rd:]
        return torch.cat((x1 * cos + x2 * sin, x1 * (-sin) + x2 * cos, rest), dim=-1)


class CausalSelfAttention(nn.Module):
    def __init__(self, cfg, rope_table_dtype=torch.float32):
        super().__init__()
        d, H, KV = cfg["model_dim"], cfg["num_heads"], cfg["num_kv_heads"]
        self.num_heads, self.num_kv_heads, self.head_dim = H, KV, d // H
        self.eps, self.qk_norm = cfg["norm_eps"], cfg["qk_norm"]
        self.c_q = nn.Linear(d, d, bias=False)
        self.c_k = nn.Linear(d, KV * self.head_dim, bias=False)
        self.c_v = nn.Linear(d, KV * self.head_dim, bias=False)
        self.proj = nn.Linear(d, d, bias=False)
        self.q_gain = nn.Parameter(torch.full((H,), OPTIM_DEFAULTS["qk_gain_init"]))
        self.rotary = Rotary(cfg["rope_dims"], cfg["rope_base"], rope_table_dtype)

    def forward(self, x):
        B, T, d = x.shape
        q = self.c_q(x).reshape(B, T, self.num_heads, self.head_dim).transpose(1, 2)
        k = self.c_k(x).reshape(B, T, self.num_kv_heads, self.head_dim).transpose(1, 2)
        v = self.c_v(x).reshape(B, T, self.num_kv_heads, self.head_dim).transpose(1, 2)
        if self.qk_norm:
            q = rms_norm(q, self.eps)
            k = rms_norm(k, self.eps)
        q = self.rotary(q)
        k = self.rotary(k)
        q = q * self.q_gain.to(q.dtype)[None, :, None, None]
        group = self.num_heads // self.num_kv_heads
        if group > 1:  # SDPA's enable_gqa: query head h reads kv head h // group
            k = k.repeat_interleave(group, dim=1)
            v = v.repeat_interleave(group, dim=1)
        scores = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(self.head_dim))
        mask = torch.ones(T, T, dtype=torch.bool).triu(1)
        scores = scores.masked_fill(mask, float("-inf"))
        y = torch.softmax(scores, dim=-1) @ v
        return self.proj(y.transpose(1, 2).reshape(B, T, d))


class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.fc = nn.Linear(cfg["model_dim"], cfg["mlp_hidden"], bias=False)
        self.proj = nn.Linear(cfg["mlp_hidden"], cfg["model_dim"], bias=False)
        self.slope = cfg["activation_slope"] if cfg["activation"] == "leaky_relu2" else 0.0

    def forward(self, x):
        h = self.fc(x)
        h = F.leaky_relu(h, self.slope) if self.slope else torch.relu(h)
        return self.proj(h.square())


class Block(nn.Module):
    def __init__(self, cfg, rope_table_dtype=torch.float32):
        super().__init__()
        d = cfg["model_dim"]
        self.eps = cfg["norm_eps"]
        self.attn = CausalSelfAttention(cfg, rope_table_dtype)
        self.mlp = MLP(cfg)
        self.attn_scale = nn.Parameter(torch.ones(d))
        self.mlp_scale = nn.Parameter(torch.ones(d))
        self.resid_mix = nn.Parameter(torch.stack((torch.ones(d), torch.zeros(d))))

    def forward(self, x, x0):
        mix = self.resid_mix.to(x.dtype)
        x = mix[0][None, None, :] * x + mix[1][None, None, :] * x0
        x = x + self.attn_scale.to(x.dtype)[None, None, :] * self.attn(rms_norm(x, self.eps))
        x = x + self.mlp_scale.to(x.dtype)[None, None, :] * self.mlp(rms_norm(x, self.eps))
        return x


class GolfGPT(nn.Module):
    """The challenge's GPT; parameter names are SPEC.md §3.1's. dtype: parameters and compute (fp32 or fp64).
    rope_table_dtype: see Rotary (bf16 reproduces train_gpt.py's RoPE exactly)."""

    def __init__(self, cfg, dtype=torch.float32, rope_table_dtype=torch.float32):
        super().__init__()
        self.cfg = dict(cfg)
        d, V, L = cfg["model_dim"], cfg["vocab_size"], cfg["num_layers"]
        self.num_encoder_layers = cfg["num_encoder_layers"]
        self.num_decoder_layers = L - self.num_encoder_layers
        self.num_skips = min(self.num_encoder_layers, self.num_decoder_layers)
        self.eps, self.softcap = cfg["norm_eps"], cfg["logit_softcap"]
        self.tok_emb = nn.Embedding(V, d)
        self.skip_weights = nn.Parameter(torch.ones(self.num_skips, d))
        self.blocks = nn.ModuleList([Block(cfg, rope_table_dtype) for _ in range(L)])
        self.lm_head = None if cfg["tie_embeddings"] else nn.Linear(d, V, bias=False)
        self._init_weights()
        self.to(dtype)

    def _init_weights(self):
        # train_gpt.py GPT._init_weights: tied embedding N(0, 0.005); _zero_init on attn.proj, mlp.proj, lm_head;
        # other linears keep nn.Linear's default U(±1/√fan_in).
        if self.cfg["tie_embeddings"]:
            nn.init.normal_(self.tok_emb.weight, mean=0.0, std=OPTIM_DEFAULTS["tied_embed_init_std"])
        for b in self.blocks:
            nn.init.zeros_(b.attn.proj.weight)
            nn.init.zeros_(b.mlp.proj.weight)
        if self.lm_head is not None:
            nn.init.zeros_(self.lm_head.weight)

    def logits(self, ids):
        x = rms_norm(self.tok_emb(ids), self.eps)
        x0 = x
        skips = []
        for i in range(self.num_encoder_layers):
            x = self.blocks[i](x, x0)
            skips.append(x)
        for i in range(self.num_decoder_layers):
            if skips:
                x = x + self.skip_weights[i].to(x.dtype)[None, None, :] * skips.pop()
            x = self.blocks[self.num_encoder_layers + i](x, x0)
        x = rms_norm(x, self.eps)
        w = self.tok_emb.weight if self.lm_head is None else self.lm_head.weight
        z = F.linear(x, w)
        if self.softcap > 0:
            z = self.softcap * torch.tanh(z / self.softcap)
        return z

    def forward(self, ids, targets=None):
        z = self.logits(ids)
        if targets is None:
            return z, None
        zf = z.to(torch.promote_types(z.dtype, torch.float32))
        return z, F.cross_entropy(zf.reshape(-1, zf.size(-1)), targets.reshape(-1), reduction="mean")

    def token_nll(self, ids, targets):
        z = self.logits(ids)
        zf = z.to(torch.promote_types(z.dtype, torch.float32))
        return F.cross_entropy(zf.reshape(-1, zf.size(-1)), targets.reshape(-1), reduction="none").reshape(targets.shape)


# ---- optimizers ------------------------------------------------------------------------------------------------------

def zeropower_via_newtonschulz5(G, steps=5, eps=1e-7, dtype=torch.bfloat16):
    """train_gpt.py's NS5 with the working dtype as an argument (bf16 in the challenge)."""
    a, b, c = (3.4445, -4.7750, 2.0315)
    X = G.to(dtype)
    X = X / (X.norm() + eps)
    transposed = G.size(0) > G.size(1)
    if transposed:
        X = X.T
    for _ in range(steps):
        A = X @ X.T
        B = b * A + c * A @ A
        X = a * X + B @ X
    return X.T if transposed else X


class Muon(torch.optim.Optimizer):
    """train_gpt.py's Muon on one process (the update buffer has the NS dtype, as its bf16 updates_flat)."""

    def __init__(self, params, lr, momentum, backend_steps, nesterov=True, ns_dtype=torch.bfloat16):
        super().__init__(params, dict(lr=lr, momentum=momentum, backend_steps=backend_steps, nesterov=nesterov))
        self.ns_dtype = ns_dtype

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad
                state = self.state[p]
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = torch.zeros_like(g)
                buf = state["momentum_buffer"]
                buf.mul_(group["momentum"]).add_(g)
                if group["nesterov"]:
                    g = g.add(buf, alpha=group["momentum"])
                g = zeropower_via_newtonschulz5(g, steps=group["backend_steps"], dtype=self.ns_dtype)
                g = g * max(1, g.size(0) / g.size(1)) ** 0.5
                p.add_(g.to(p.dtype), alpha=-group["lr"])


def param_group(name, ndim):
    """Which optimizer train_gpt.py gives a parameter: 'muon', 'adam_embed', 'adam_head' or 'adam_scalar'."""
    if name == "tok_emb.weight":
        return "adam_embed"
    if name == "lm_head.weight":
        return "adam_head"
    if name.startswith("blocks.") and ndim == 2 and not any(p in name for p in CONTROL_TENSOR_NAME_PATTERNS):
        return "muon"
    return "adam_scalar"


class Optimizers:
    """The challenge's optimizer set: Adam(tok_emb), Muon(block matrices), Adam(control tensors + skip_weights),
    Adam(lm_head) when untied. step(lr_mul, step) sets every group's lr = base_lr·lr_mul and Muon's momentum warm-up
    exactly as the training loop does, then steps all of them."""

    def __init__(self, model, hp=None, ns_dtype=torch.bfloat16):
        self.hp = dict(OPTIM_DEFAULTS)
        self.hp.update(hp or {})
        hp = self.hp
        groups = {"muon": [], "adam_embed": [], "adam_head": [], "adam_scalar": []}
        for name, p in model.named_parameters():
            groups[param_group(name, p.ndim)].append(p)
        betas, eps = (hp["beta1"], hp["beta2"]), hp["adam_eps"]
        tok_lr = hp["tied_embed_lr"] if model.cfg["tie_embeddings"] else hp["embed_lr"]
        self.opts = [torch.optim.Adam([{"params": groups["adam_embed"], "lr": tok_lr, "base_lr": tok_lr}],
                                      betas=betas, eps=eps),
                     Muon(groups["muon"], lr=hp["matrix_lr"], momentum=hp["muon_momentum"],
                          backend_steps=hp["muon_backend_steps"], ns_dtype=ns_dtype),
                     torch.optim.Adam([{"params": groups["adam_scalar"], "lr": hp["scalar_lr"],
                                        "base_lr": hp["scalar_lr"]}], betas=betas, eps=eps)]
        self.opts[1].param_groups[0]["base_lr"] = hp["matrix_lr"]
        if groups["adam_head"]:
            self.opts.append(torch.optim.Adam([{"params": groups["adam_head"], "lr": hp["head_lr"],
                                                "base_lr": hp["head_lr"]}], betas=betas, eps=eps))

    def muon_momentum(self, step):
        hp = self.hp
        w = hp["muon_momentum_warmup_steps"]
        frac = min(step / w, 1.0) if w > 0 else 1.0
        return (1 - frac) * hp["muon_momentum_warmup_start"] + frac * hp["muon_momentum"]

    def zero_grad(self):
        for o in self.opts:
            o.zero_grad(set_to_none=True)

    def step(self, lr_mul, step):
        for g in self.opts[1].param_groups:
            g["momentum"] = self.muon_momentum(step)
        for o in self.opts:
            for g in o.param_groups:
                g["lr"] = g["base_lr"] * lr_mul
        for o in self.opts:
            o.step()


# ---- safetensors I/O (no dependency on the safetensors package) ----------------------------------------------------

_ST_DTYPES = {"F32": np.float32, "F64": np.float64, "I32": np.int32, "I64": np.int64}
_NP_TO_ST = {np.dtype(v).str: k for k, v in _ST_DTYPES.items()}


def write_tensors(path, tensors, metadata=None):
    """tensors: {name: numpy array or torch tensor}, written little-endian in insertion order."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    for name, t in tensors.items():
        a = t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
        a = np.ascontiguousarray(a.astype(a.dtype.newbyteorder("<")))
        st = _NP_TO_ST.get(a.dtype.str)
        if st is None:
            raise ValueError(f"{name}: dtype {a.dtype} not supported")
        b = a.tobytes()
        header[name] = {"dtype": st, "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    text = json.dumps(header).encode()
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def read_tensors(path):
    """Returns ({name: numpy array}, metadata dict)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    out = {}
    for name, e in header.items():
        b0, b1 = e["data_offsets"]
        out[name] = np.frombuffer(data[base + b0:base + b1], dtype=np.dtype(_ST_DTYPES[e["dtype"]]).newbyteorder("<")
                                  ).reshape(e["shape"]).copy()
    return out, meta


def save_weights(path, model, extra_metadata=None):
    """All parameters as F32 with the config in metadata 'golf.config' (what the C++ param_store_load reads)."""
    meta = {"golf.config": json.dumps(model.cfg), "golf.kind": "params"}
    meta.update(extra_metadata or {})
    write_tensors(path, {k: v.detach().to(torch.float32) for k, v in model.named_parameters()}, meta)


def load_weights(path):
    """Returns (config dict, {name: torch fp32 tensor})."""
    tensors, meta = read_tensors(path)
    cfg = make_config(**json.loads(meta["golf.config"])) if "golf.config" in meta else None
    return cfg, {k: torch.from_numpy(v) for k, v in tensors.items()}


def model_from_file(path, dtype=torch.float32):
    cfg, tensors = load_weights(path)
    model = GolfGPT(cfg, dtype=dtype)
    load_into(model, tensors)
    return model


def load_into(model, tensors):
    """Copies tensors (by SPEC name) into the model's parameters; every parameter must be present."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.numel() == 0:  # e.g. skip_weights of a 1-layer model, which files may omit
                continue
            if name not in tensors:
                raise KeyError(f"tensor '{name}' missing")
            src = torch.as_tensor(tensors[name])
            if tuple(src.shape) != tuple(p.shape):
                raise ValueError(f"tensor '{name}': shape {tuple(src.shape)} != {tuple(p.shape)}")
            p.copy_(src.to(p.dtype))
