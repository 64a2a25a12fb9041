#!/usr/bin/python3
"""Make the fixtures of `--img-size` (a ViT run at another input size) for test/model/img-size.test.ts.

timm resamples the position embedding when a model is created with another img_size
(timm/layers/pos_embed.py, resample_abs_pos_embed): the class token's row is kept, the grid rows
are viewed as a [1, D, g, g] image and resized with

    F.interpolate(posemb, size=new_size, mode='bicubic', antialias=True)

(align_corners unset, i.e. False), then flattened back. timm is not installed here, so that
function is restated below (`resample_abs_pos_embed`, 1 prefix token, square grids) over the
real F.interpolate of this machine's PyTorch.

Written to test/fixtures/img-size/ (deterministic: re-running gives byte-identical files):

  pos_embed.safetensors   for each case '<fixture>.<from>to<to>': the fixture model's pos_embed
                          ([1, 1 + g*g, D], F32) resampled to grid <to>, by F.interpolate in
                          float32 (what timm computes at load time). Cases: an up-size and a
                          down-size of two fixture models, with whole and fractional ratios.
  <fixture>_<size>px.safetensors
                          input [B, 3, S, S] (seeded N(0, 1)), features and logits of
                          torchvision's VisionTransformer built for S px with the fixture's
                          weights and the resampled pos_embed above; computed in float64 (the
                          F32 tensors upcast exactly) and rounded to F32, like make_fixtures.py.

Run:  /usr/bin/python3 scripts/make_img_size_fixtures.py
(re-executed with OpenBLAS on the library path by importing make_fixtures.py).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# make_fixtures re-executes this interpreter with OpenBLAS on the library path when imported,
# before torch loads (Debian's default reference BLAS is ~50x slower).
import make_fixtures  # noqa: E402,F401  pylint: disable=unused-import

# pylint: disable=wrong-import-position
import json  # noqa: E402
from typing import Dict  # noqa: E402

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import torchvision  # noqa: E402
from torchvision.models import VisionTransformer  # noqa: E402

from safetensors_io import decode_safetensors, write_safetensors  # noqa: E402
from torchvision_vit import forward_with_features, timm_torchvision_names  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
MODELS = REPO_ROOT / "fixtures" / "models"
OUT = REPO_ROOT / "test" / "fixtures" / "img-size"
SOURCE = f"torch {torch.__version__} F.interpolate; torchvision {torchvision.__version__} VisionTransformer"

# (fixture, from grid, to grid): up and down, whole and fractional ratios, one grid of 1.
# Down-sizing 24 -> 5 and 24 -> 2 sums up to 21 and 25 taps per output.
POS_EMBED_CASES = [("tiny", 4, 7), ("tiny", 4, 3), ("tiny", 4, 1), ("tiny", 4, 8),
                   ("narrow384", 24, 10), ("narrow384", 24, 31), ("narrow384", 24, 5), ("narrow384", 24, 2)]
# (fixture, new image size, batch, input seed): a model run end to end at another size.
FORWARD_CASES = [("tiny", 56, 2, 56), ("narrow384", 160, 1, 160)]


def resample_abs_pos_embed(posemb: torch.Tensor, new_size, num_prefix_tokens: int = 1) -> torch.Tensor:
    """timm.layers.resample_abs_pos_embed (interpolation='bicubic', antialias=True), square grids."""
    num_new_tokens = new_size[0] * new_size[1] + num_prefix_tokens
    if num_new_tokens == posemb.shape[1] and new_size[0] == new_size[1]:
        return posemb
    hw = int(math.sqrt(posemb.shape[1] - num_prefix_tokens))
    prefix, grid = posemb[:, :num_prefix_tokens], posemb[:, num_prefix_tokens:]
    embed_dim = grid.shape[-1]
    grid = grid.float().reshape(1, hw, hw, -1).permute(0, 3, 1, 2)
    grid = F.interpolate(grid, size=new_size, mode="bicubic", antialias=True)
    grid = grid.permute(0, 2, 3, 1).reshape(1, -1, embed_dim)
    return torch.cat([prefix, grid], dim=1)


def read_model(name: str):
    arrays, _ = decode_safetensors((MODELS / name / "model.safetensors").read_bytes(), name)
    config = json.loads((MODELS / name / "config.json").read_text())
    return {k: torch.from_numpy(v.copy()) for k, v in arrays.items()}, config["model_args"], config["num_classes"]


def torchvision_at(sd: Dict[str, torch.Tensor], args: dict, num_classes: int, img_size: int) -> VisionTransformer:
    """torchvision's ViT for img_size px with the timm-layout weights `sd` (pos_embed already resampled)."""
    model = VisionTransformer(
        image_size=img_size, patch_size=args["patch_size"], num_layers=args["depth"],
        num_heads=args["num_heads"], hidden_dim=args["embed_dim"],
        mlp_dim=int(args["embed_dim"] * args["mlp_ratio"]), num_classes=num_classes)
    pairs = timm_torchvision_names(args["depth"], args.get("qkv_bias", True))
    state = {tv: sd[tm].double() for tm, tv in pairs}
    if not args.get("qkv_bias", True):
        for name, value in model.state_dict().items():
            if name.endswith("in_proj_bias"):
                state[name] = torch.zeros_like(value, dtype=torch.float64)
    model = model.double().eval()
    model.load_state_dict(state)
    return model


def main() -> None:
    torch.use_deterministic_algorithms(True)
    OUT.mkdir(parents=True, exist_ok=True)
    resampled: Dict[str, torch.Tensor] = {}
    for name, old, new in POS_EMBED_CASES:
        sd, args, _ = read_model(name)
        assert sd["pos_embed"].shape[1] == old * old + 1, (name, sd["pos_embed"].shape)
        out = resample_abs_pos_embed(sd["pos_embed"], (new, new))
        assert out.dtype == torch.float32 and out.shape == (1, new * new + 1, args["embed_dim"])
        assert torch.equal(out[:, 0], sd["pos_embed"][:, 0])
        # antialias matters even when up-sizing: PyTorch's AA path uses Keys' a = -0.5, not -0.75
        plain = F.interpolate(sd["pos_embed"][:, 1:].reshape(1, old, old, -1).permute(0, 3, 1, 2),
                              size=(new, new), mode="bicubic", align_corners=False)
        gap = (plain.permute(0, 2, 3, 1).reshape(1, -1, args["embed_dim"]) - out[:, 1:]).abs().max().item()
        print(f"pos_embed {name} {old}->{new}: max |aa - plain bicubic| = {gap:.3g}")
        resampled[f"{name}.{old}to{new}"] = out
    write_safetensors(OUT / "pos_embed.safetensors", resampled, {"source": SOURCE, "function": "timm resample_abs_pos_embed (bicubic, antialias=True)"})

    for name, size, batch, seed in FORWARD_CASES:
        sd, args, num_classes = read_model(name)
        grid = size // args["patch_size"]
        assert grid * args["patch_size"] == size
        sd = dict(sd, pos_embed=resample_abs_pos_embed(sd["pos_embed"], (grid, grid)))
        model = torchvision_at(sd, args, num_classes, size)
        x = torch.randn((batch, 3, size, size), generator=torch.Generator().manual_seed(seed), dtype=torch.float32)
        with torch.no_grad():
            features, logits = forward_with_features(model, x.double())
        print(f"forward {name} at {size} px: logits std {logits.std().item():.3f}")
        write_safetensors(OUT / f"{name}_{size}px.safetensors",
                          {"input": x, "features": features.float(), "logits": logits.float()},
                          {"source": SOURCE, "model": name, "img_size": str(size),
                           "compute_dtype": "float64 (F32 weights, resampled pos_embed and input upcast), outputs rounded to F32"})


if __name__ == "__main__":
    main()
