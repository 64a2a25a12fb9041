#!/usr/bin/python3
"""Generate the PyTorch parity fixtures for `vit` (timm VisionTransformer in TypeScript).

The reference is torchvision's `torchvision.models.VisionTransformer`, an implementation
independent of timm of the same ViT math (pre-norm blocks, fused q/k/v input projection,
exact erf GELU, LayerNorm eps 1e-6, class-token pooling). For every fixture config the
script builds that model, overwrites EVERY tensor with seeded random values (distinct
distributions, no trivial init, so a mix-up of any two tensors changes the output),
renames the state dict to timm's key layout and runs the model on a seeded random input.

Written under --models-out (default: <repo>/fixtures/models; shipped in the package, as
`vit verify` checks them):

  <name>/model.safetensors      checkpoint in timm's layout, F32, names sorted
  <name>/config.json            timm Hugging Face hub config (architecture, model_args,
                                pretrained_cfg)
  <name>/reference.safetensors  input [B,3,H,W], features [B,D] (class token after the
                                final LayerNorm = timm pre_logits), logits [B,classes],
                                and __metadata__ (model, source, seeds, measured checks)

and under --out (default: <repo>/test/fixtures; test-only):

  layouts/tiny_torchvision/model.safetensors   the `tiny` weights under torchvision's names
  layouts/tiny_transformers/model.safetensors  the `tiny` weights under Hugging Face
  layouts/tiny_transformers/config.json        transformers' ViTForImageClassification names
      (the layouts carry no reference file: tests reuse fixtures/models/tiny/reference.safetensors)
  full/vit_base_patch16_384/{model.safetensors,config.json,reference.safetensors}
      only with --full: the real vit_base_patch16_384 shape (86,859,496 parameters, ~347 MB),
      same init scheme; gitignored, never committed.

The fixtures:
  tiny          32 px, patch 8, dim 48, depth 2, 3 heads, 10 classes; head weight x4 (logits of
                trained-classifier size) so that tanh-GELU moves the logits by > 1e-3: with the
                plain scheme the effect is only 2e-4..7e-4 for any seed, because the final
                LayerNorm caps the gain from the MLP output (max |gelu_tanh - gelu_erf| = 4.7e-4)
  narrow384     384 px, patch 16 (577 tokens), dim 32, depth 2, 2 heads, 7 classes, B=1
  no_qkv_bias   qkv_bias=False: zero in_proj_bias in the reference, no qkv bias tensors at all
                in the checkpoint; also depth 3, mlp_ratio 2.5 and ImageNet mean/std in config
  large_scores  q and k projections scaled up so pre-softmax scores reach the hundreds
                (exp() without max subtraction overflows float32); mlp_ratio 3.3 so the hidden
                width is int(36 * 3.3) = 118 (truncation, not rounding, like timm)
  eps_matters   tiny patch-embedding/cls/pos values: the first LayerNorm sees token variance far
                below 1e-6, so its eps visibly changes the logits

Init scheme (all F32): Linear/conv weights N(0, 1/fan_in); cls token and position embedding
N(0, 0.5^2); all biases N(0, 0.1^2); LayerNorm weights 1 + N(0, 0.1^2), biases N(0, 0.1^2).
Input N(0, 1). Weights come from torch.Generator(seed), the input from torch.Generator(seed + 1000).

The stored features/logits are computed by the torchvision model in float64 (the F32 weights and
input upcast exactly) and rounded to F32, so they are the best estimate of the exact answer and
do not depend on BLAS threading; the deviation of torch's own float32 run is recorded in the
metadata. The script asserts, by an independent timm-style recomputation from the timm-layout
tensors (which also validates the renaming), that the renamed checkpoint reproduces torchvision,
that the logits are not near-constant, that tanh-GELU would change the `tiny` logits by > 1e-3,
that large_scores has max |score| >= 100, and that eps_matters moves by > 1e-2 with eps 1e-5 or
1e-12. Output is deterministic: two runs give byte-identical files.

Run (from anywhere; Debian python3-torch + python3-torchvision, no pip packages needed):

  /usr/bin/python3 scripts/make_fixtures.py            # committed fixtures (< 5 MB)
  /usr/bin/python3 scripts/make_fixtures.py --full     # + the full-size model (~1-2 min)

The script re-executes itself with LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp
(Debian's default reference BLAS is ~50x slower).
"""

from __future__ import annotations

import os
import sys

OPENBLAS_DIR = "/usr/lib/x86_64-linux-gnu/openblas-openmp"


def _reexec_with_openblas() -> None:
    """Restart the interpreter with OpenBLAS first on the library path (before torch loads)."""
    paths = [p for p in os.environ.get("LD_LIBRARY_PATH", "").split(":") if p]
    if not os.path.isdir(OPENBLAS_DIR) or OPENBLAS_DIR in paths:
        return
    env = dict(os.environ, LD_LIBRARY_PATH=":".join([OPENBLAS_DIR, *paths]))
    env.setdefault("OMP_NUM_THREADS", "2")
    os.execve(sys.executable, [sys.executable, *sys.argv], env)


_reexec_with_openblas()

# pylint: disable=wrong-import-position
import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Dict, List, Optional, Tuple  # noqa: E402

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import torchvision  # noqa: E402
from torchvision.models import VisionTransformer  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from safetensors_io import decode_safetensors, write_safetensors  # noqa: E402
from torchvision_vit import forward_with_features, timm_torchvision_names  # noqa: E402

Tensors = Dict[str, torch.Tensor]

REPO_ROOT = Path(__file__).resolve().parent.parent
LAYER_NORM_EPS = 1e-6  # torchvision's and timm's ViT default
INPUT_SEED_OFFSET = 1000
FULL_PARAM_COUNT = 86_859_496  # timm.create_model("vit_base_patch16_384") parameter count
SOURCE = f"torchvision {torchvision.__version__} VisionTransformer, torch {torch.__version__}"

INCEPTION_MEAN = INCEPTION_STD = (0.5, 0.5, 0.5)  # what timm's ViT (augreg) configs use
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


# --------------------------------------------------------------------------------------------
# Fixture specs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    name: str
    img_size: int
    patch_size: int
    embed_dim: int
    depth: int
    num_heads: int
    num_classes: int
    seed: int
    mlp_ratio: float = 4.0
    qkv_bias: bool = True
    batch: int = 2
    qk_scale: float = 1.0  # multiplies the q and k input projections (scores scale by its square)
    embed_scale: float = 1.0  # multiplies patch-embedding weight/bias, cls token, pos embedding
    head_scale: float = 1.0  # multiplies the classifier weight (logit magnitude)
    architecture: Optional[str] = None  # timm architecture name; default vit_<name>_fixture
    with_model_args: bool = True  # real hub configs of registered timm names carry none
    sensitivity_checks: bool = True  # the extra tanh-GELU / eps recomputations
    mean: Tuple[float, float, float] = INCEPTION_MEAN
    std: Tuple[float, float, float] = INCEPTION_STD
    crop_pct: float = 1.0
    interpolation: str = "bicubic"

    @property
    def arch(self) -> str:
        return self.architecture or f"vit_{self.name}_fixture"

    @property
    def tweaks(self) -> str:
        """Human-readable departures from the plain init scheme (for the metadata)."""
        out = []
        if not self.qkv_bias:
            out.append("qkv bias zeroed (and omitted from the timm checkpoint)")
        if self.qk_scale != 1.0:
            out.append(f"q and k projections x{self.qk_scale:g}")
        if self.embed_scale != 1.0:
            out.append(f"patch-embedding weight/bias, cls token, pos embedding x{self.embed_scale:g}")
        if self.head_scale != 1.0:
            out.append(f"head weight x{self.head_scale:g}")
        return "; ".join(out) or "none"

    @property
    def mlp_dim(self) -> int:
        return int(self.embed_dim * self.mlp_ratio)  # exactly timm's Block(mlp_ratio=...)

    @property
    def head_dim(self) -> int:
        return self.embed_dim // self.num_heads

    @property
    def num_tokens(self) -> int:
        return 1 + (self.img_size // self.patch_size) ** 2


FIXTURES: List[Spec] = [
    Spec("tiny", img_size=32, patch_size=8, embed_dim=48, depth=2, num_heads=3, num_classes=10,
         seed=1, head_scale=4.0),
    Spec("narrow384", img_size=384, patch_size=16, embed_dim=32, depth=2, num_heads=2,
         num_classes=7, seed=2, batch=1),
    Spec("no_qkv_bias", img_size=48, patch_size=16, embed_dim=40, depth=3, num_heads=4,
         num_classes=5, seed=3, mlp_ratio=2.5, qkv_bias=False,
         mean=IMAGENET_MEAN, std=IMAGENET_STD, crop_pct=0.9),
    Spec("large_scores", img_size=32, patch_size=8, embed_dim=36, depth=2, num_heads=3,
         num_classes=6, seed=4, mlp_ratio=3.3, qk_scale=6.0),
    Spec("eps_matters", img_size=32, patch_size=8, embed_dim=48, depth=2, num_heads=4,
         num_classes=10, seed=5, embed_scale=3e-4),
]

FULL = Spec("vit_base_patch16_384", img_size=384, patch_size=16, embed_dim=768, depth=12,
            num_heads=12, num_classes=1000, seed=384, batch=1,
            architecture="vit_base_patch16_384", with_model_args=False, sensitivity_checks=False)

# Checks asserted per fixture (name -> minimum value); everything is measured and reported anyway.
MIN_GELU_TANH_EFFECT = {"tiny": 1e-3}
MIN_EPS_EFFECT = {"eps_matters": 1e-2}
MIN_MAX_SCORE = {"large_scores": 100.0}
MIN_LOGIT_STD = 0.1  # per sample, across classes: "not near-constant"


# --------------------------------------------------------------------------------------------
# safetensors: scripts/safetensors_io.py (F32, names sorted, header padded to 8 bytes)
# --------------------------------------------------------------------------------------------


def read_safetensors(path: Path) -> Tuple[Tensors, Dict[str, str]]:
    """Read back what was written, as torch tensors."""
    arrays, metadata = decode_safetensors(path.read_bytes(), str(path))
    return {name: torch.from_numpy(arr.copy()) for name, arr in arrays.items()}, metadata


def write_json(path: Path, obj: dict, sort_keys: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, sort_keys=sort_keys) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------------------------
# Model construction and seeded init
# --------------------------------------------------------------------------------------------


def build_torchvision_model(spec: Spec) -> VisionTransformer:
    return VisionTransformer(
        image_size=spec.img_size,
        patch_size=spec.patch_size,
        num_layers=spec.depth,
        num_heads=spec.num_heads,
        hidden_dim=spec.embed_dim,
        mlp_dim=spec.mlp_dim,
        num_classes=spec.num_classes,
    )  # norm_layer defaults to LayerNorm(eps=1e-6), GELU is the exact erf form


def init_std(name: str, shape: torch.Size) -> Tuple[float, float]:
    """(mean, std) of the seeded init for one torchvision parameter."""
    if name in ("class_token", "encoder.pos_embedding"):
        return 0.0, 0.5
    if name.endswith("bias"):  # Linear, conv, in_proj and LayerNorm biases
        return 0.0, 0.1
    if len(shape) == 1:  # LayerNorm weight
        return 1.0, 0.1
    fan_in = 1
    for d in shape[1:]:
        fan_in *= d
    return 0.0, fan_in ** -0.5  # Linear [out, in], conv [out, in, kh, kw], in_proj [3D, D]


@torch.no_grad()
def randomize(model: VisionTransformer, spec: Spec) -> None:
    """Overwrite every tensor with seeded values, then apply the spec's tweaks."""
    params = dict(model.named_parameters())
    assert set(params) == set(model.state_dict()), "unexpected buffers in the state dict"
    gen = torch.Generator().manual_seed(spec.seed)
    for name, p in params.items():  # registration order: deterministic
        mean, std = init_std(name, p.shape)
        p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float32) * std + mean)

    d = spec.embed_dim
    for layer in model.encoder.layers:
        attn = layer.self_attention
        if not spec.qkv_bias:
            attn.in_proj_bias.zero_()  # torchvision always has it; timm has none
        if spec.qk_scale != 1.0:
            attn.in_proj_weight[: 2 * d].mul_(spec.qk_scale)  # rows [q; k; v]
            attn.in_proj_bias[: 2 * d].mul_(spec.qk_scale)
    if spec.head_scale != 1.0:
        model.heads.head.weight.mul_(spec.head_scale)
    if spec.embed_scale != 1.0:
        for p in (model.conv_proj.weight, model.conv_proj.bias, model.class_token,
                  model.encoder.pos_embedding):
            p.mul_(spec.embed_scale)


def make_input(spec: Spec) -> torch.Tensor:
    gen = torch.Generator().manual_seed(spec.seed + INPUT_SEED_OFFSET)
    shape = (spec.batch, 3, spec.img_size, spec.img_size)
    return torch.randn(shape, generator=gen, dtype=torch.float32)


# --------------------------------------------------------------------------------------------
# Checkpoint layouts
# --------------------------------------------------------------------------------------------


def to_timm(tv_sd: Tensors, spec: Spec) -> Tensors:
    # (torchvision name, timm name); in_proj_bias is absent when qkv_bias=False
    pairs = [(tv, tm) for tm, tv in timm_torchvision_names(spec.depth, spec.qkv_bias)]
    used = {tv for tv, _ in pairs}
    leftover = set(tv_sd) - used
    if not spec.qkv_bias:  # the only tensors dropped: all-zero in_proj biases
        for name in list(leftover):
            assert name.endswith("self_attention.in_proj_bias") and not tv_sd[name].any(), name
            leftover.discard(name)
    assert not leftover and used <= set(tv_sd), (leftover, used - set(tv_sd))
    return {tm: tv_sd[tv].detach().clone() for tv, tm in pairs}


def expected_timm_shapes(spec: Spec) -> Dict[str, Tuple[int, ...]]:
    d, h, p, c = spec.embed_dim, spec.mlp_dim, spec.patch_size, spec.num_classes
    shapes = {
        "cls_token": (1, 1, d),
        "pos_embed": (1, spec.num_tokens, d),
        "patch_embed.proj.weight": (d, 3, p, p),
        "patch_embed.proj.bias": (d,),
        "norm.weight": (d,),
        "norm.bias": (d,),
        "head.weight": (c, d),
        "head.bias": (c,),
    }
    for i in range(spec.depth):
        b = f"blocks.{i}."
        shapes.update({
            b + "norm1.weight": (d,), b + "norm1.bias": (d,),
            b + "attn.qkv.weight": (3 * d, d),
            b + "attn.proj.weight": (d, d), b + "attn.proj.bias": (d,),
            b + "norm2.weight": (d,), b + "norm2.bias": (d,),
            b + "mlp.fc1.weight": (h, d), b + "mlp.fc1.bias": (h,),
            b + "mlp.fc2.weight": (d, h), b + "mlp.fc2.bias": (d,),
        })
        if spec.qkv_bias:
            shapes[b + "attn.qkv.bias"] = (3 * d,)
    return shapes


def timm_to_transformers(sd: Tensors, spec: Spec) -> Tensors:
    """Hugging Face transformers ViTForImageClassification names (q, k, v split from qkv)."""
    d = spec.embed_dim
    out = {
        "vit.embeddings.cls_token": sd["cls_token"],
        "vit.embeddings.position_embeddings": sd["pos_embed"],
        "vit.embeddings.patch_embeddings.projection.weight": sd["patch_embed.proj.weight"],
        "vit.embeddings.patch_embeddings.projection.bias": sd["patch_embed.proj.bias"],
        "vit.layernorm.weight": sd["norm.weight"],
        "vit.layernorm.bias": sd["norm.bias"],
        "classifier.weight": sd["head.weight"],
        "classifier.bias": sd["head.bias"],
    }
    for i in range(spec.depth):
        b, hf = f"blocks.{i}.", f"vit.encoder.layer.{i}."
        renames = [("norm1", "layernorm_before"), ("attn.proj", "attention.output.dense"),
                   ("norm2", "layernorm_after"), ("mlp.fc1", "intermediate.dense"),
                   ("mlp.fc2", "output.dense")]
        for a, c in renames:
            out[f"{hf}{c}.weight"] = sd[f"{b}{a}.weight"]
            out[f"{hf}{c}.bias"] = sd[f"{b}{a}.bias"]
        for j, part in enumerate(("query", "key", "value")):
            rows = slice(j * d, (j + 1) * d)
            out[f"{hf}attention.attention.{part}.weight"] = sd[b + "attn.qkv.weight"][rows].clone()
            if spec.qkv_bias:
                out[f"{hf}attention.attention.{part}.bias"] = sd[b + "attn.qkv.bias"][rows].clone()
    return out


def transformers_to_timm_qkv(hf: Tensors, spec: Spec, i: int) -> Tuple[torch.Tensor, ...]:
    p = f"vit.encoder.layer.{i}.attention.attention."
    w = torch.cat([hf[f"{p}{x}.weight"] for x in ("query", "key", "value")])
    if not spec.qkv_bias:
        return (w,)
    return w, torch.cat([hf[f"{p}{x}.bias"] for x in ("query", "key", "value")])


# --------------------------------------------------------------------------------------------
# Forward passes
# --------------------------------------------------------------------------------------------


@dataclass
class Stats:
    max_abs_score: float = 0.0  # max |q.k * head_dim^-0.5| over all blocks, pre-softmax
    norm1_input_max_var: float = 0.0  # block 0: max over tokens of the LayerNorm input variance


@torch.no_grad()
def timm_forward(sd: Tensors, x: torch.Tensor, spec: Spec, eps: float = LAYER_NORM_EPS,
                 gelu: str = "none", stats: Optional[Stats] = None
                 ) -> Tuple[torch.Tensor, torch.Tensor]:
    """Independent recomputation from the timm-layout tensors, written like timm's code."""
    b = x.shape[0]
    d, nh, hd = spec.embed_dim, spec.num_heads, spec.head_dim
    h = F.conv2d(x, sd["patch_embed.proj.weight"], sd["patch_embed.proj.bias"],
                 stride=spec.patch_size)
    h = h.flatten(2).transpose(1, 2)  # [B, N, D]
    h = torch.cat([sd["cls_token"].expand(b, -1, -1), h], dim=1) + sd["pos_embed"]
    n = h.shape[1]
    for i in range(spec.depth):
        p = f"blocks.{i}."
        if stats is not None and i == 0:
            stats.norm1_input_max_var = h.var(dim=-1, unbiased=False).max().item()
        y = F.layer_norm(h, (d,), sd[p + "norm1.weight"], sd[p + "norm1.bias"], eps)
        qkv = F.linear(y, sd[p + "attn.qkv.weight"], sd.get(p + "attn.qkv.bias"))
        q, k, v = qkv.reshape(b, n, 3, nh, hd).permute(2, 0, 3, 1, 4).unbind(0)
        scores = (q @ k.transpose(-2, -1)) * hd ** -0.5
        if stats is not None:
            stats.max_abs_score = max(stats.max_abs_score, scores.abs().max().item())
        y = (scores.softmax(dim=-1) @ v).transpose(1, 2).reshape(b, n, d)
        h = h + F.linear(y, sd[p + "attn.proj.weight"], sd[p + "attn.proj.bias"])
        y = F.layer_norm(h, (d,), sd[p + "norm2.weight"], sd[p + "norm2.bias"], eps)
        y = F.gelu(F.linear(y, sd[p + "mlp.fc1.weight"], sd[p + "mlp.fc1.bias"]), approximate=gelu)
        h = h + F.linear(y, sd[p + "mlp.fc2.weight"], sd[p + "mlp.fc2.bias"])
    h = F.layer_norm(h, (d,), sd["norm.weight"], sd["norm.bias"], eps)
    features = h[:, 0]
    return features, F.linear(features, sd["head.weight"], sd["head.bias"])


def max_abs_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return (a.double() - b.double()).abs().max().item()


# --------------------------------------------------------------------------------------------
# Configs
# --------------------------------------------------------------------------------------------


def timm_config(spec: Spec) -> dict:
    """Shaped like timm's save_config_for_hf / the timm/* hub config.json files."""
    cfg: dict = {
        "architecture": spec.arch,
        "num_classes": spec.num_classes,
        "num_features": spec.embed_dim,
        "global_pool": "token",
    }
    if spec.with_model_args:
        cfg["model_args"] = {
            "img_size": spec.img_size,
            "patch_size": spec.patch_size,
            "embed_dim": spec.embed_dim,
            "depth": spec.depth,
            "num_heads": spec.num_heads,
            "mlp_ratio": spec.mlp_ratio,
            "qkv_bias": spec.qkv_bias,
        }
    cfg["pretrained_cfg"] = {
        "tag": "fixture",
        "custom_load": False,
        "input_size": [3, spec.img_size, spec.img_size],
        "fixed_input_size": True,
        "interpolation": spec.interpolation,
        "crop_pct": spec.crop_pct,
        "crop_mode": "center",
        "mean": list(spec.mean),
        "std": list(spec.std),
        "num_classes": spec.num_classes,
        "pool_size": None,
        "first_conv": "patch_embed.proj",
        "classifier": "head",
    }
    return cfg


def transformers_config(spec: Spec) -> dict:
    """Shaped like a transformers ViTConfig.to_json_file() (keys sorted)."""
    labels = {str(i): f"LABEL_{i}" for i in range(spec.num_classes)}
    return {
        "architectures": ["ViTForImageClassification"],
        "attention_probs_dropout_prob": 0.0,
        "encoder_stride": spec.patch_size,
        "hidden_act": "gelu",  # exact erf GELU in transformers
        "hidden_dropout_prob": 0.0,
        "hidden_size": spec.embed_dim,
        "id2label": labels,
        "image_size": spec.img_size,
        "initializer_range": 0.02,
        "intermediate_size": spec.mlp_dim,
        "label2id": {v: int(k) for k, v in labels.items()},
        "layer_norm_eps": LAYER_NORM_EPS,  # what the reference used (google/* ViTs say 1e-12)
        "model_type": "vit",
        "num_attention_heads": spec.num_heads,
        "num_channels": 3,
        "num_hidden_layers": spec.depth,
        "patch_size": spec.patch_size,
        "qkv_bias": spec.qkv_bias,
        "torch_dtype": "float32",
    }


# --------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------


@dataclass
class Result:
    spec: Spec
    params: int
    stats: Stats
    float32_diff: float
    gelu_tanh_diff: Optional[float]
    eps_1e5_diff: Optional[float]
    eps_1e12_diff: Optional[float]
    files: List[Path]
    seconds: float


def check(ok: bool, message: str) -> None:
    if not ok:
        raise SystemExit(f"FIXTURE CHECK FAILED: {message}")


def fmt(v: float) -> str:
    return f"{v:.3e}"


def generate(spec: Spec, out_dir: Path) -> Tuple[Result, VisionTransformer, Tensors]:
    start = time.time()
    torch.manual_seed(0)  # pin the construction-time init (every value is overwritten anyway)
    model = build_torchvision_model(spec).eval()
    randomize(model, spec)
    tv_sd = {k: v.detach().clone() for k, v in model.state_dict().items()}
    timm_sd = to_timm(tv_sd, spec)
    n_params = sum(t.numel() for t in tv_sd.values())

    # Layout: exactly timm's names and shapes.
    shapes = {k: tuple(v.shape) for k, v in timm_sd.items()}
    check(shapes == expected_timm_shapes(spec), f"{spec.name}: timm shapes differ")
    n_timm = sum(t.numel() for t in timm_sd.values())
    check(n_timm == n_params - (0 if spec.qkv_bias else 3 * spec.embed_dim * spec.depth),
          f"{spec.name}: parameter count mismatch")
    if spec.name == FULL.name:
        check(n_timm == FULL_PARAM_COUNT, f"full model has {n_timm} parameters")

    x = make_input(spec)

    # Reference: torchvision in float64 (weights/input upcast exactly), rounded to F32.
    model64 = build_torchvision_model(spec).double().eval()
    model64.load_state_dict({k: v.double() for k, v in tv_sd.items()})
    with torch.no_grad():
        features64, logits64 = forward_with_features(model64, x.double())
        assert torch.allclose(model64.heads(features64), logits64, rtol=0, atol=0)
    del model64
    features, logits = features64.float(), logits64.float()

    # torch's own float32 run, for the record (tolerance hint for the tests).
    with torch.no_grad():
        features32, logits32 = forward_with_features(model, x)
        assert torch.allclose(model.heads(features32), logits32, rtol=0, atol=0)
    float32_diff = max_abs_diff(logits32, logits64)

    # Independent recomputation from the timm-layout tensors (validates the renaming).
    sd64 = {k: v.double() for k, v in timm_sd.items()}
    stats = Stats()
    f_re, l_re = timm_forward(sd64, x.double(), spec, stats=stats)
    scale = 1.0 + logits64.abs().max().item()
    check(max_abs_diff(l_re, logits64) < 1e-9 * scale and max_abs_diff(f_re, features64) < 1e-9,
          f"{spec.name}: timm-layout recomputation differs from torchvision "
          f"({max_abs_diff(l_re, logits64):.3e})")

    # Not near-constant logits; distinct samples give distinct logits.
    logit_std = logits64.std(dim=1).min().item()
    check(logit_std > MIN_LOGIT_STD, f"{spec.name}: logits near-constant (std {logit_std:.3e})")
    if spec.batch > 1:
        check(max_abs_diff(logits64[0], logits64[1]) > 1e-2, f"{spec.name}: samples alike")

    gelu_diff = eps5_diff = eps12_diff = None
    if spec.sensitivity_checks:
        gelu_diff = max_abs_diff(timm_forward(sd64, x.double(), spec, gelu="tanh")[1], logits64)
        eps5_diff = max_abs_diff(timm_forward(sd64, x.double(), spec, eps=1e-5)[1], logits64)
        eps12_diff = max_abs_diff(timm_forward(sd64, x.double(), spec, eps=1e-12)[1], logits64)
    if spec.name in MIN_GELU_TANH_EFFECT:
        check(gelu_diff > MIN_GELU_TANH_EFFECT[spec.name],
              f"{spec.name}: tanh GELU moves logits only {gelu_diff:.3e}")
    if spec.name in MIN_EPS_EFFECT:
        lim = MIN_EPS_EFFECT[spec.name]
        check(eps5_diff > lim and eps12_diff > lim,
              f"{spec.name}: eps effect too small ({eps5_diff:.3e}, {eps12_diff:.3e})")
    if spec.name in MIN_MAX_SCORE:
        check(stats.max_abs_score >= MIN_MAX_SCORE[spec.name],
              f"{spec.name}: max |score| only {stats.max_abs_score:.3f}")

    # Write.
    folder = out_dir / spec.name
    metadata = {
        "model": spec.name,
        "architecture": spec.arch,
        "source": SOURCE,
        "seed": str(spec.seed),
        "input_seed": str(spec.seed + INPUT_SEED_OFFSET),
        "input": "N(0,1), already normalized (no preprocessing applied)",
        "features": "class token after the final LayerNorm (timm forward_head pre_logits)",
        "compute_dtype": "float64 (F32 weights and input upcast), outputs rounded to F32",
        "layer_norm_eps": repr(LAYER_NORM_EPS),
        "gelu": "erf",
        "qkv_bias": str(spec.qkv_bias).lower(),
        "init_tweaks": spec.tweaks,
        "max_abs_attention_score": fmt(stats.max_abs_score),
        "block0_norm1_input_max_variance": fmt(stats.norm1_input_max_var),
        "torch_float32_logits_max_abs_diff": fmt(float32_diff),
    }
    if spec.sensitivity_checks:
        metadata.update({
            "gelu_tanh_logits_max_abs_diff": fmt(gelu_diff),
            "eps_1e-5_logits_max_abs_diff": fmt(eps5_diff),
            "eps_1e-12_logits_max_abs_diff": fmt(eps12_diff),
        })
    files = [folder / "model.safetensors", folder / "config.json", folder / "reference.safetensors"]
    write_safetensors(files[0], timm_sd)
    write_json(files[1], timm_config(spec))
    write_safetensors(files[2], {"input": x, "features": features, "logits": logits}, metadata)
    verify_written(files[0], timm_sd)
    verify_written(files[2], {"input": x, "features": features, "logits": logits})

    result = Result(spec, n_timm, stats, float32_diff, gelu_diff, eps5_diff, eps12_diff, files,
                    time.time() - start)
    return result, model, timm_sd


def verify_written(path: Path, tensors: Tensors) -> None:
    back, _ = read_safetensors(path)
    check(list(back) == sorted(tensors), f"{path}: names not sorted")
    for k, v in tensors.items():
        check(torch.equal(back[k], v.float()), f"{path}: {k} round-trip mismatch")


def write_layouts(spec: Spec, model: VisionTransformer, timm_sd: Tensors, out_dir: Path
                  ) -> List[Path]:
    """Other checkpoint layouts of the same weights (tests reuse models/<spec>/reference)."""
    tv_path = out_dir / f"{spec.name}_torchvision" / "model.safetensors"
    tv_sd = {k: v.detach().clone() for k, v in model.state_dict().items()}
    write_safetensors(tv_path, tv_sd)
    verify_written(tv_path, tv_sd)

    hf_dir = out_dir / f"{spec.name}_transformers"
    hf_sd = timm_to_transformers(timm_sd, spec)
    for i in range(spec.depth):  # the split must concatenate back to timm's fused qkv
        fused = transformers_to_timm_qkv(hf_sd, spec, i)
        check(torch.equal(fused[0], timm_sd[f"blocks.{i}.attn.qkv.weight"]), "qkv split")
        if spec.qkv_bias:
            check(torch.equal(fused[1], timm_sd[f"blocks.{i}.attn.qkv.bias"]), "qkv bias split")
    check(sum(t.numel() for t in hf_sd.values()) == sum(t.numel() for t in timm_sd.values()),
          "transformers layout parameter count")
    write_safetensors(hf_dir / "model.safetensors", hf_sd, {"format": "pt"})
    verify_written(hf_dir / "model.safetensors", hf_sd)
    write_json(hf_dir / "config.json", transformers_config(spec), sort_keys=True)
    return [tv_path, hf_dir / "model.safetensors", hf_dir / "config.json"]


def report(result: Result) -> None:
    r, s = result, result.spec
    print(f"[{s.name}] {s.img_size}px/{s.patch_size} D={s.embed_dim} depth={s.depth} "
          f"heads={s.num_heads} mlp={s.mlp_dim} classes={s.num_classes} B={s.batch} "
          f"params={r.params:,} ({r.seconds:.1f}s)")
    print(f"    max|score|={r.stats.max_abs_score:.3f}  "
          f"block0 norm1 input var<={r.stats.norm1_input_max_var:.3e}  "
          f"torch f32 vs f64 logits {r.float32_diff:.3e}")
    if s.sensitivity_checks:
        print(f"    logits moved by: tanh-GELU {r.gelu_tanh_diff:.3e}, eps 1e-5 "
              f"{r.eps_1e5_diff:.3e}, eps 1e-12 {r.eps_1e12_diff:.3e}")
    for f in r.files:
        print(f"    {f} ({f.stat().st_size:,} bytes)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true",
                        help="also write full/vit_base_patch16_384 (~347 MB, gitignored)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "test" / "fixtures",
                        help="root of the test-only fixtures: layouts/ and full/ (default: <repo>/test/fixtures)")
    parser.add_argument("--models-out", type=Path, default=REPO_ROOT / "fixtures" / "models",
                        help="the parity fixtures shipped for `vit verify` (default: <repo>/fixtures/models)")
    args = parser.parse_args()

    torch.set_num_threads(min(2, os.cpu_count() or 1))
    print(f"{SOURCE}; BLAS path: {os.environ.get('LD_LIBRARY_PATH', '(default)')}")

    for spec in FIXTURES:
        result, model, timm_sd = generate(spec, args.models_out)
        if spec.name == "tiny":
            result.files += write_layouts(spec, model, timm_sd, args.out / "layouts")
        report(result)

    if args.full:
        result, _, _ = generate(FULL, args.out / "full")
        report(result)


if __name__ == "__main__":
    main()
