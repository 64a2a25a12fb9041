#!/usr/bin/python3
"""Generate the int8-agreement fixtures for `vit verify --precision int8`.

Two fixtures of the same small ViT (48 px, patch 8 = 37 tokens, dim 48, depth 3, 3 heads,
10 classes, 12 images), written like scripts/make_fixtures.py's (torchvision's VisionTransformer,
seeded random weights renamed to timm's layout, reference logits computed in float64):

  int8_plain     the plain init scheme of make_fixtures.py (Linear weights N(0, 1/fan_in),
                 LayerNorm weights 1 + N(0, 0.1^2), biases N(0, 0.1^2)).
  int8_outliers  the same weights with outlier channels injected, as trained ViTs have them
                 (a few LayerNorm channels far larger than the rest): in K = 2 seeded channels of
                 every block's norm1 and norm2, gamma and beta are multiplied by 40 and the input
                 columns of the Linear that reads that LayerNorm (qkv after norm1, fc1 after norm2)
                 are divided by 40. Linear(diag(40) y) with W / 40 on those columns is the same
                 function, so the float reference is (up to rounding) the plain one; but the
                 LayerNorm output now has two channels ~40x the others, which per-token
                 activation quantization cannot represent together with the rest.
                 The final norm is left alone: its output is the model's `features` output, so a
                 transform that folded it into the head would change `vit embed`'s answer.

Both ship in fixtures/models/ (so `vit verify` checks them in fp32, which proves the injection left
the function unchanged: the fp32 PASS rule, atol 1e-4, holds on both), and `vit verify
--precision int8` reports its agreement with them.

The script asserts that the plain and outlier references agree (max |Δ logits| < 1e-5 after
rounding to F32: the injection is exact up to rounding) and that the outlier LayerNorm outputs really are outliers
(their max |value| over the batch is >= 10x that of every other channel).

Run (Debian python3-torch + python3-torchvision; deterministic, byte-identical output):

  /usr/bin/python3 scripts/make_int8_fixtures.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# make_fixtures re-executes the interpreter with OpenBLAS on the library path when imported.
import make_fixtures as mf  # noqa: E402  pylint: disable=wrong-import-position

import argparse  # noqa: E402
import os  # noqa: E402
from typing import Dict, List, Tuple  # noqa: E402

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

Tensors = Dict[str, torch.Tensor]

SPEC = mf.Spec("int8_plain", img_size=48, patch_size=8, embed_dim=48, depth=3, num_heads=3,
               num_classes=10, seed=8, batch=12)
OUTLIER_NAME = "int8_outliers"
OUTLIER_CHANNELS = 2  # K per LayerNorm
OUTLIER_FACTOR = 40.0
OUTLIER_SEED = 88  # which channels
MIN_OUTLIER_RATIO = 10.0  # outlier channel max |LN out| over the largest other channel's


def outlier_channels(spec: mf.Spec) -> Dict[str, List[int]]:
    """K seeded channels for every block's norm1 and norm2 (timm names)."""
    gen = torch.Generator().manual_seed(OUTLIER_SEED)
    out = {}
    for i in range(spec.depth):
        for norm in ("norm1", "norm2"):
            perm = torch.randperm(spec.embed_dim, generator=gen)[:OUTLIER_CHANNELS]
            out[f"blocks.{i}.{norm}"] = sorted(perm.tolist())
    return out


def inject_outliers(sd: Tensors, channels: Dict[str, List[int]]) -> Tensors:
    """gamma, beta x FACTOR on the chosen channels; the reading Linear's columns / FACTOR."""
    out = {k: v.clone() for k, v in sd.items()}
    reader = {"norm1": "attn.qkv", "norm2": "mlp.fc1"}
    for norm, chans in channels.items():
        block, kind = norm.rsplit(".", 1)
        idx = torch.tensor(chans)
        out[f"{norm}.weight"][idx] *= OUTLIER_FACTOR
        out[f"{norm}.bias"][idx] *= OUTLIER_FACTOR
        out[f"{block}.{reader[kind]}.weight"][:, idx] /= OUTLIER_FACTOR
    return out


@torch.no_grad()
def layer_norm_outputs(sd: Tensors, x: torch.Tensor, spec: mf.Spec) -> Dict[str, torch.Tensor]:
    """max |output| per channel of every block's norm1/norm2 over the batch (float64)."""
    maxima: Dict[str, torch.Tensor] = {}
    d, nh, hd, eps = spec.embed_dim, spec.num_heads, spec.head_dim, mf.LAYER_NORM_EPS
    b = x.shape[0]
    h = F.conv2d(x, sd["patch_embed.proj.weight"], sd["patch_embed.proj.bias"], stride=spec.patch_size)
    h = torch.cat([sd["cls_token"].expand(b, -1, -1), h.flatten(2).transpose(1, 2)], dim=1) + sd["pos_embed"]
    n = h.shape[1]
    for i in range(spec.depth):
        p = f"blocks.{i}."
        y = F.layer_norm(h, (d,), sd[p + "norm1.weight"], sd[p + "norm1.bias"], eps)
        maxima[p + "norm1"] = y.abs().amax(dim=(0, 1))
        q, k, v = F.linear(y, sd[p + "attn.qkv.weight"], sd[p + "attn.qkv.bias"]).reshape(b, n, 3, nh, hd).permute(2, 0, 3, 1, 4).unbind(0)
        y = ((q @ k.transpose(-2, -1)) * hd ** -0.5).softmax(dim=-1) @ v
        h = h + F.linear(y.transpose(1, 2).reshape(b, n, d), sd[p + "attn.proj.weight"], sd[p + "attn.proj.bias"])
        y = F.layer_norm(h, (d,), sd[p + "norm2.weight"], sd[p + "norm2.bias"], eps)
        maxima[p + "norm2"] = y.abs().amax(dim=(0, 1))
        h = h + F.linear(F.gelu(F.linear(y, sd[p + "mlp.fc1.weight"], sd[p + "mlp.fc1.bias"])), sd[p + "mlp.fc2.weight"], sd[p + "mlp.fc2.bias"])
    return maxima


def to_torchvision(timm_sd: Tensors, spec: mf.Spec) -> Tensors:
    return {tv: timm_sd[tm] for tm, tv in mf.timm_torchvision_names(spec.depth, spec.qkv_bias)}


@torch.no_grad()
def reference(timm_sd: Tensors, x: torch.Tensor, spec: mf.Spec) -> Tuple[torch.Tensor, torch.Tensor, float]:
    """(features, logits) by torchvision in float64, rounded to F32; and torch's float32 deviation."""
    model64 = mf.build_torchvision_model(spec).double().eval()
    model64.load_state_dict({k: v.double() for k, v in to_torchvision(timm_sd, spec).items()})
    features64, logits64 = mf.forward_with_features(model64, x.double())
    model32 = mf.build_torchvision_model(spec).eval()
    model32.load_state_dict(to_torchvision(timm_sd, spec))
    _, logits32 = mf.forward_with_features(model32, x)
    # Independent timm-style recomputation (validates the renaming).
    _, l_re = mf.timm_forward({k: v.double() for k, v in timm_sd.items()}, x.double(), spec)
    mf.check(mf.max_abs_diff(l_re, logits64) < 1e-9 * (1 + logits64.abs().max().item()),
             f"{spec.name}: timm-layout recomputation differs from torchvision")
    return features64.float(), logits64.float(), mf.max_abs_diff(logits32, logits64)


def write_fixture(name: str, timm_sd: Tensors, x: torch.Tensor, spec: mf.Spec, models_out: Path,
                  tweaks: str, extra: Dict[str, str]) -> Tuple[List[Path], torch.Tensor]:
    features, logits, f32_diff = reference(timm_sd, x, spec)
    logit_std = logits.double().std(dim=1).min().item()
    mf.check(logit_std > mf.MIN_LOGIT_STD, f"{name}: logits near-constant (std {logit_std:.3e})")
    folder = models_out / name
    arch = f"vit_{name}_fixture"
    config = mf.timm_config(spec)
    config["architecture"] = arch
    metadata = {
        "model": name,
        "architecture": arch,
        "source": mf.SOURCE,
        "seed": str(spec.seed),
        "input_seed": str(spec.seed + mf.INPUT_SEED_OFFSET),
        "input": "N(0,1), already normalized (no preprocessing applied)",
        "features": "class token after the final LayerNorm (timm forward_head pre_logits)",
        "compute_dtype": "float64 (F32 weights and input upcast), outputs rounded to F32",
        "layer_norm_eps": repr(mf.LAYER_NORM_EPS),
        "gelu": "erf",
        "qkv_bias": "true",
        "init_tweaks": tweaks,
        "torch_float32_logits_max_abs_diff": mf.fmt(f32_diff),
        "made_by": "scripts/make_int8_fixtures.py",
        **extra,
    }
    files = [folder / "model.safetensors", folder / "config.json", folder / "reference.safetensors"]
    mf.write_safetensors(files[0], timm_sd)
    mf.write_json(files[1], config)
    outputs = {"input": x, "features": features, "logits": logits}
    mf.write_safetensors(files[2], outputs, metadata)
    mf.verify_written(files[0], timm_sd)
    mf.verify_written(files[2], outputs)
    return files, logits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models-out", type=Path, default=mf.REPO_ROOT / "fixtures" / "models",
                        help="where the fixture folders go (default: <repo>/fixtures/models)")
    args = parser.parse_args()
    torch.set_num_threads(min(2, os.cpu_count() or 1))

    spec = SPEC
    torch.manual_seed(0)
    model = mf.build_torchvision_model(spec).eval()
    mf.randomize(model, spec)
    plain = mf.to_timm({k: v.detach().clone() for k, v in model.state_dict().items()}, spec)
    mf.check({k: tuple(v.shape) for k, v in plain.items()} == mf.expected_timm_shapes(spec), "shapes")
    x = mf.make_input(spec)

    channels = outlier_channels(spec)
    outliers = inject_outliers(plain, channels)

    # The injected outliers are outliers: every chosen channel's max |LN output| over the batch is
    # >= MIN_OUTLIER_RATIO x the largest of the other channels'.
    maxima = layer_norm_outputs({k: v.double() for k, v in outliers.items()}, x.double(), spec)
    ratios = []
    for norm, chans in channels.items():
        m = maxima[norm]
        others = m[[c for c in range(spec.embed_dim) if c not in chans]].max().item()
        ratio = min(m[c].item() for c in chans) / others
        mf.check(ratio >= MIN_OUTLIER_RATIO, f"{norm}: outlier ratio only {ratio:.2f}")
        ratios.append(ratio)

    common = {"int8_fixture_kind": "plain"}
    files, logits_plain = write_fixture(spec.name, plain, x, spec, args.models_out, "none", common)
    channel_text = "; ".join(f"{k}: {v}" for k, v in channels.items())
    extra = {
        "int8_fixture_kind": "outliers",
        "outlier_factor": f"{OUTLIER_FACTOR:g}",
        "outlier_channels": channel_text,
        "outlier_min_ratio": f"{min(ratios):.2f}",
    }
    tweaks = (f"from {spec.name}: in {OUTLIER_CHANNELS} channels of every block's norm1/norm2, "
              f"gamma and beta x{OUTLIER_FACTOR:g} and the next Linear's input columns "
              f"(qkv, fc1) / {OUTLIER_FACTOR:g}")
    files_o, logits_outliers = write_fixture(OUTLIER_NAME, outliers, x, spec, args.models_out, tweaks, extra)
    diff = mf.max_abs_diff(logits_plain, logits_outliers)
    mf.check(diff < 1e-5, f"the injection changed the function: logits moved {diff:.3e}")

    print(f"{mf.SOURCE}; {spec.img_size}px/{spec.patch_size} D={spec.embed_dim} depth={spec.depth} "
          f"classes={spec.num_classes} B={spec.batch}")
    print(f"outlier channels: {channel_text}")
    print(f"min outlier ratio {min(ratios):.2f}; plain vs outlier reference logits {diff:.3e}")
    for f in files + files_o:
        print(f"    {f} ({f.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
