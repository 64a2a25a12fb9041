"""torchvision's VisionTransformer (ViT-B/16-384) with the weights of a timm-named checkpoint.

Shared by export_onnx.py and torch_bench.py. The checkpoint is the one bench/checkpoint.mjs writes
(timm names, F32); the names are mapped back to torchvision's with the same table as
scripts/make_fixtures.py (torchvision's model is an independent implementation of the same math:
pre-norm blocks, fused qkv projection, exact GELU, LayerNorm eps 1e-6, class-token pooling).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Dict

OPENBLAS_DIR = "/usr/lib/x86_64-linux-gnu/openblas-openmp"
REPO_ROOT = Path(__file__).resolve().parents[2]


def reexec_with_openblas(threads: int | None = None) -> None:
    """Restart the interpreter with OpenBLAS first on the library path, before torch loads
    (Debian's default reference BLAS is ~50x slower). OMP_NUM_THREADS is set for the child."""
    paths = [p for p in os.environ.get("LD_LIBRARY_PATH", "").split(":") if p]
    if not os.path.isdir(OPENBLAS_DIR) or OPENBLAS_DIR in paths:
        return
    env = dict(os.environ, LD_LIBRARY_PATH=":".join([OPENBLAS_DIR, *paths]))
    if threads is not None:
        env["OMP_NUM_THREADS"] = str(threads)
        env["OPENBLAS_NUM_THREADS"] = str(threads)
    else:
        env.setdefault("OMP_NUM_THREADS", "2")
    os.execve(sys.executable, [sys.executable, *sys.argv], env)


# ViT-B/16-384: timm's vit_base_patch16_384.
IMG_SIZE, PATCH, DIM, DEPTH, HEADS, MLP_DIM, CLASSES = 384, 16, 768, 12, 12, 3072, 1000


def load_torchvision_vit(checkpoint: Path):
    """The model in eval mode, every parameter taken from the checkpoint (strict: all names and
    shapes must match, nothing left over)."""
    import torch
    from torchvision.models import VisionTransformer

    sys.path.insert(0, str(REPO_ROOT / "scripts"))
    from safetensors_io import decode_safetensors  # pylint: disable=import-outside-toplevel
    from torchvision_vit import timm_torchvision_names  # pylint: disable=import-outside-toplevel

    arrays, _ = decode_safetensors(Path(checkpoint).read_bytes(), str(checkpoint))
    pairs = timm_torchvision_names(DEPTH)
    missing = [tm for tm, _ in pairs if tm not in arrays]
    extra = sorted(set(arrays) - {tm for tm, _ in pairs})
    if missing or extra:
        raise SystemExit(f"{checkpoint}: not a timm vit_base_patch16_384 checkpoint "
                         f"(missing {missing[:5]}, unexpected {extra[:5]})")
    state: Dict[str, "torch.Tensor"] = {tv: torch.from_numpy(arrays[tm].copy()) for tm, tv in pairs}

    model = VisionTransformer(image_size=IMG_SIZE, patch_size=PATCH, num_layers=DEPTH,
                              num_heads=HEADS, hidden_dim=DIM, mlp_dim=MLP_DIM,
                              num_classes=CLASSES)  # LayerNorm eps 1e-6, exact GELU
    model.load_state_dict(state, strict=True)
    return model.eval()


def read_input(path: Path, batch: int):
    """Raw little-endian float32 [batch, 3, 384, 384] (as run.mjs writes it)."""
    import numpy as np
    import torch

    data = np.fromfile(path, dtype="<f4")
    expected = batch * 3 * IMG_SIZE * IMG_SIZE
    if data.size != expected:
        raise SystemExit(f"{path}: expected {expected} float32 values, found {data.size}")
    return torch.from_numpy(data.reshape(batch, 3, IMG_SIZE, IMG_SIZE).copy())
