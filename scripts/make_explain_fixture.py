#!/usr/bin/python3
"""Generate the attention-rollout fixtures for `vit explain` (test/fixtures/explain/<name>.json).

The attention probabilities come from torchvision's VisionTransformer (an implementation of the
ViT math independent of ours, as for the parity fixtures, see make_fixtures.py), loaded with a
committed fixture checkpoint (fixtures/models/<name>/model.safetensors, timm's names mapped back
with torchvision_vit.py) and run in float64 on that fixture's own input (reference.safetensors:
an already-normalized tensor, i.e. a preprocessed image). Every block's nn.MultiheadAttention is
asked for its per-head weights (torchvision's blocks pass need_weights=False; a wrapper turns it
on, which changes nothing else), giving the full [heads][T][T] softmax of each block, the last
one included (ours computes only the class token's row there).

From them, with matrices in float64 (Abnar & Zuidema 2020, "Quantifying Attention Flow"):
  R_l     = 0.5 * mean_h(A_l) + 0.5 * I, rows renormalized to sum 1
  rollout = R_L @ ... @ R_1   (full T x T products, left to right, not the vector order vit uses)
  grid    = rollout[0, 1:]    the class token's row over the patch tokens, row-major grid order
and the raw rows A_l[h][0, 1:] of every block and head, plus their mean over heads.
The logits of the float64 run are checked against the fixture's reference logits (1e-6), which
checks the renaming and that the hooked model is the fixture's model.

Written per fixture (all numbers float64 in JSON, repr with 10 significant digits):
  {"model", "source", "grid": [gh, gw], "depth", "heads", "tokens",
   "images": [{"rollout": [...], "layers": [{"mean": [...], "heads": [[...], ...]}, ...]}]}

Run: /usr/bin/python3 scripts/make_explain_fixture.py   (deterministic: same bytes every run)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Dict, List

import numpy as np
import torch
import torchvision
from torchvision.models import VisionTransformer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from safetensors_io import decode_safetensors  # noqa: E402
from torchvision_vit import forward_with_features, timm_torchvision_names  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
MODELS = REPO_ROOT / "fixtures" / "models"
OUT = REPO_ROOT / "test" / "fixtures" / "explain"
# tiny: 4x4 grid, 3 heads, batch 2; narrow384: the 24x24 grid of ViT-B/16-384; no_qkv_bias: depth
# 3 (a product of three), 4 heads, no qkv bias.
FIXTURES = ["tiny", "narrow384", "no_qkv_bias"]
LOGITS_TOLERANCE = 1e-6
SOURCE = f"torchvision {torchvision.__version__} VisionTransformer (float64), torch {torch.__version__}"


def read(path: Path) -> Dict[str, np.ndarray]:
    arrays, _ = decode_safetensors(path.read_bytes(), str(path))
    return arrays


def build(name: str) -> VisionTransformer:
    cfg = json.loads((MODELS / name / "config.json").read_text())
    args = cfg["model_args"]
    dim = args["embed_dim"]
    model = VisionTransformer(image_size=args["img_size"], patch_size=args["patch_size"],
                              num_layers=args["depth"], num_heads=args["num_heads"], hidden_dim=dim,
                              mlp_dim=int(dim * args["mlp_ratio"]), num_classes=cfg["num_classes"])
    timm = read(MODELS / name / "model.safetensors")
    state = {tv: torch.from_numpy(timm[tm].copy()) for tm, tv in timm_torchvision_names(args["depth"], args["qkv_bias"])}
    for i in range(args["depth"]):  # timm has no qkv bias at all when qkv_bias is false
        state.setdefault(f"encoder.layers.encoder_layer_{i}.self_attention.in_proj_bias", torch.zeros(3 * dim))
    model.load_state_dict(state, strict=True)
    return model.double().eval()


def record_attention(model: VisionTransformer) -> List[torch.Tensor]:
    """Make every block's attention also return its per-head weights, appended to the list returned."""
    weights: List[torch.Tensor] = []
    for layer in model.encoder.layers:
        attn = layer.self_attention
        inner = attn.forward

        def forward(*args, inner=inner, **kwargs):
            kwargs.update(need_weights=True, average_attn_weights=False)
            out, w = inner(*args, **kwargs)
            weights.append(w.detach())  # [batch][heads][T][T]
            return out, w

        attn.forward = forward
    return weights


def rollout(layers: List[np.ndarray]) -> np.ndarray:
    """Full rollout matrix R_L @ ... @ R_1 from per-layer [heads][T][T] weights."""
    tokens = layers[0].shape[-1]
    result = np.eye(tokens)
    for a in layers:  # R_1 first: result = R_l @ result
        r = 0.5 * a.mean(axis=0) + 0.5 * np.eye(tokens)
        r = r / r.sum(axis=1, keepdims=True)
        result = r @ result
    return result


def numbers(values: np.ndarray) -> List[float]:
    return [float(f"{v:.10g}") for v in values.tolist()]


def make(name: str) -> dict:
    model = build(name)
    reference = read(MODELS / name / "reference.safetensors")
    x = torch.from_numpy(reference["input"].astype(np.float64))
    weights = record_attention(model)
    with torch.no_grad():
        _, logits = forward_with_features(model, x)
    diff = float(np.abs(logits.numpy() - reference["logits"].astype(np.float64)).max())
    if diff > LOGITS_TOLERANCE:
        raise SystemExit(f"{name}: float64 logits differ from the fixture's by {diff:.3g} > {LOGITS_TOLERANCE}")
    depth = len(model.encoder.layers)
    assert len(weights) == depth, (len(weights), depth)
    batch, heads, tokens, _ = weights[0].shape
    grid = model.image_size // model.patch_size
    images = []
    for b in range(batch):
        layers = [w[b].numpy() for w in weights]
        for a in layers:  # softmax rows: each sums to 1
            assert np.allclose(a.sum(axis=-1), 1.0, atol=1e-12)
        images.append({
            "rollout": numbers(rollout(layers)[0, 1:]),
            "layers": [{"mean": numbers(a.mean(axis=0)[0, 1:]), "heads": [numbers(a[h, 0, 1:]) for h in range(heads)]}
                       for a in layers],
        })
    print(f"{name}: {batch} image(s), depth {depth}, {heads} heads, {tokens} tokens, logits within {diff:.2g}")
    return {"model": name, "source": SOURCE, "grid": [grid, grid], "depth": depth, "heads": heads, "tokens": tokens,
            "images": images}


def main() -> None:
    torch.set_num_threads(1)
    OUT.mkdir(parents=True, exist_ok=True)
    for name in FIXTURES:
        (OUT / f"{name}.json").write_text(json.dumps(make(name), separators=(",", ":")) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
