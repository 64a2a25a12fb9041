#!/usr/bin/env python3
"""Make a PyTorch reference file for `vit verify` from any timm ViT checkpoint and any images.

What it writes (--out, a safetensors file; F32 tensors, names sorted, header padded to 8 bytes):

  input     [B,3,H,W]  the images after timm's own eval transform for the model
                       (timm.data.resolve_model_data_config + create_transform(is_training=False),
                       each image opened like timm does: PIL Image.open(path).convert('RGB'),
                       no EXIF rotation), or the tensors given with --input, stacked in order
  logits    [B,C]      model(input), the model in eval mode, no grad
  features  [B,D]      timm's pre-logits: model.forward_head(model.forward_features(x),
                       pre_logits=True), i.e. the class token after the final norm
  __metadata__         model (architecture, what `vit verify` falls back to when no config.json
                       sits beside the weights), model_id, weights, backend, timm_version,
                       torch_version, images or inputs (JSON lists), data_config (JSON),
                       compute_dtype, and atol / rtol when given with --atol / --rtol

Run it with timm (pip install timm torch safetensors pillow):

  python3 scripts/reference_logits.py --model vit_base_patch16_384 --pretrained \\
      --out ref.safetensors cat.jpg dog.png
  python3 scripts/reference_logits.py --checkpoint model.safetensors \\
      --out ref.safetensors cat.jpg            # config.json beside the checkpoint names the
                                               # architecture, its args and pretrained_cfg
  python3 scripts/reference_logits.py --model vit_base_patch16_384 --checkpoint model.safetensors \\
      --input cat_input.safetensors --out ref.safetensors   # a tensor made by `vit preprocess`

--model takes any timm name (name.tag, hf-hub:ORG/NAME). With --checkpoint the weights are loaded
strictly into the model (timm.models.load_checkpoint); a config.json beside the checkpoint (or
--config) supplies architecture, num_classes, model_args and pretrained_cfg (the preprocessing);
--model overrides only the architecture name. --pretrained downloads timm's weights.

Then compare our TypeScript model with it:

  vit verify --weights model.safetensors --reference ref.safetensors
  # with --pretrained: `vit download vit_base_patch16_384` prints the cached model.safetensors
  # path (the same Hugging Face cache timm uses); pass that path as --weights.

To also check our preprocessing, compare `vit preprocess IMG --weights model.safetensors --out
t.safetensors` with row i of this file's `input` (same image, same config).

Tolerance: `vit verify` passes an element when |ours - ref| <= atol + rtol * |ref| (numpy.allclose),
for every logit and feature. Defaults are atol = rtol = 1e-4, or the atol / rtol stored here by
--atol / --rtol (its own --atol / --rtol override both). Both sides compute in float32, so part of
the difference is PyTorch's own rounding; --dtype float64 computes the reference in float64 (the
outputs are still stored as F32), leaving only our error in the comparison.

Errors (a missing file, an unknown model, a model that is not a timm VisionTransformer, a tensor of
the wrong size) are reported in one line without a traceback: exit code 2 for bad arguments, 1 for
everything else. A VisionTransformer variant that `vit` cannot run (register tokens, average
pooling, layer scale, ...) is reported as a warning; the file is still written.

--backend torchvision is a stand-in FOR TESTING THIS SCRIPT WITHOUT timm: it builds
torchvision.models.VisionTransformer from a timm-layout safetensors checkpoint (+ config.json or the
architecture name for the head count) and preprocesses with torchvision transforms equal to timm's
center-crop eval transform (Resize(floor(size / crop_pct), interpolation), CenterCrop(size),
ToTensor, Normalize(mean, std)). It only supports plain class-token ViTs. On a Debian machine with
python3-torch and python3-torchvision:

  /usr/bin/python3 scripts/reference_logits.py --backend torchvision \\
      --checkpoint fixtures/models/tiny/model.safetensors \\
      --out /tmp/ref.safetensors test/fixtures/images/cat.jpg test/fixtures/images/coffee.png
  node bin/vit.js verify --weights fixtures/models/tiny/model.safetensors \\
      --reference /tmp/ref.safetensors

When /usr/lib/x86_64-linux-gnu/openblas-openmp exists (Debian), the script restarts itself with it
first on LD_LIBRARY_PATH (Debian's default reference BLAS is ~50x slower); set
REFERENCE_LOGITS_NO_REEXEC=1 to prevent that.

Tests (need python3-torch, python3-torchvision, python3-pil; not part of CI):
  /usr/bin/python3 -m unittest scripts/test_reference_logits.py
"""

from __future__ import annotations

import argparse
import difflib
import json
import math
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

PROG = "reference_logits.py"

try:
    import numpy as np
except ImportError:  # torch needs it anyway; say so without a traceback
    sys.exit(f"{PROG}: error: numpy is not installed (pip install numpy torch)")

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the shared safetensors module beside this file
from safetensors_io import (  # noqa: E402
    SafetensorsFormatError,
    decode_safetensors,
    encode_safetensors,
    to_numpy_f32,
    write_safetensors,
)
from torchvision_vit import forward_with_features, timm_torchvision_names  # noqa: E402

OPENBLAS_DIR = "/usr/lib/x86_64-linux-gnu/openblas-openmp"
FEATURES_NOTE = ("timm pre-logits: forward_head(forward_features(x), pre_logits=True) "
                 "(class token after the final norm)")

# timm's VisionTransformer sizes (embed_dim, num_heads) by the name part after 'vit_'; only the
# torchvision stand-in needs them (the head count cannot be read off the weights).
VIT_HEADS = {"tiny": 3, "small": 6, "medium": 8, "base": 12, "large": 16, "huge": 16,
             "giant": 16, "gigantic": 16}
IMAGENET_DEFAULT_MEAN = (0.485, 0.456, 0.406)
IMAGENET_DEFAULT_STD = (0.229, 0.224, 0.225)
INCEPTION_MEAN = INCEPTION_STD = (0.5, 0.5, 0.5)


class UserError(Exception):
    """A problem with the user's inputs: reported in one line, exit code 1, no traceback."""


# --------------------------------------------------------------------------------------------
# safetensors: scripts/safetensors_io.py
# --------------------------------------------------------------------------------------------


def read_safetensors(path: Path) -> Tuple[Dict[str, np.ndarray], Dict[str, str]]:
    try:
        return decode_safetensors(read_file(path, "safetensors file"), str(path))
    except SafetensorsFormatError as err:
        raise UserError(str(err)) from None


def read_file(path: Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise UserError(f"{what} not found: {path}") from None
    except IsADirectoryError:
        raise UserError(f"{what} is a directory, not a file: {path}") from None
    except OSError as err:
        raise UserError(f"cannot read {what} {path}: {err.strerror or err}") from None


# --------------------------------------------------------------------------------------------
# Arguments
# --------------------------------------------------------------------------------------------


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (value >= 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Write a `vit verify` reference file (input, logits, features) from a timm "
                    "ViT and images, or already-preprocessed tensors.",
        epilog="afterwards: vit verify --weights MODEL.safetensors --reference OUT",
    )
    parser.add_argument("images", nargs="*", type=Path, metavar="IMAGE",
                        help="images, preprocessed with timm's eval transform for the model")
    parser.add_argument("-o", "--out", type=Path, required=True, help="safetensors file to write")
    parser.add_argument("-m", "--model", help="timm model name (name.tag, hf-hub:ORG/NAME); "
                        "default: 'architecture' in the checkpoint's config.json")
    weights = parser.add_mutually_exclusive_group()
    weights.add_argument("-c", "--checkpoint", type=Path,
                         help="local weights (timm layout; .safetensors or .pth)")
    weights.add_argument("--pretrained", action="store_true",
                         help="timm's pretrained weights for --model (downloads them)")
    parser.add_argument("--config", type=Path, help="timm config.json (default: config.json "
                        "beside the checkpoint, if there is one)")
    parser.add_argument("-i", "--input", dest="inputs", action="append", type=Path, default=[],
                        metavar="FILE", help="safetensors holding an already-preprocessed 'input' "
                        "[B,3,H,W] or [3,H,W] (e.g. from `vit preprocess`); repeatable, instead "
                        "of images")
    parser.add_argument("--atol", type=_non_negative,
                        help="absolute tolerance to store for `vit verify`")
    parser.add_argument("--rtol", type=_non_negative,
                        help="relative tolerance to store for `vit verify`")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                        help="compute dtype of the reference (stored as F32 either way)")
    parser.add_argument("--batch-size", type=_positive_int, default=16,
                        help="images per forward pass (default 16)")
    parser.add_argument("--threads", type=_positive_int, help="torch threads (default: torch's)")
    parser.add_argument("--backend", choices=["timm", "torchvision"], default="timm",
                        help="timm (default), or torchvision: a stand-in for testing this "
                        "script without timm (plain ViTs in timm layout only)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    return parser


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse and cross-check; problems exit with code 2 and a usage line (argparse's error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.images and not args.inputs:
        parser.error("give images, or --input FILE with an already-preprocessed tensor")
    if args.images and args.inputs:
        parser.error("give either images or --input files, not both")
    if not args.pretrained and args.checkpoint is None:
        parser.error("give --checkpoint FILE, or --model NAME --pretrained: a reference from "
                     "randomly initialised weights cannot be reproduced")
    if args.pretrained and not args.model:
        parser.error("--pretrained needs --model NAME")
    if args.backend == "torchvision" and args.pretrained:
        parser.error("--backend torchvision cannot download weights: give --checkpoint")
    if args.config is not None and args.pretrained:
        parser.error("--config goes with --checkpoint")
    return args


# --------------------------------------------------------------------------------------------
# Inputs: images and preprocessed tensors (no timm needed)
# --------------------------------------------------------------------------------------------


def check_readable(paths: Sequence[Path], what: str) -> None:
    """Fail early, before any model is built, on the first missing or unreadable path."""
    for p in paths:
        if not p.exists():
            raise UserError(f"{what} not found: {p}")
        if p.is_dir():
            raise UserError(f"{what} is a directory, not a file: {p}")
        if not os.access(p, os.R_OK):
            raise UserError(f"{what} is not readable: {p}")


def load_rgb(path: Path):
    """Open an image exactly like timm's datasets do: PIL, convert('RGB'), no EXIF rotation."""
    from PIL import Image, UnidentifiedImageError  # pylint: disable=import-outside-toplevel
    try:
        with Image.open(path) as img:
            return img.convert("RGB")
    except FileNotFoundError:
        raise UserError(f"image not found: {path}") from None
    except UnidentifiedImageError:
        raise UserError(f"cannot read image {path}: not an image format Pillow knows") from None
    except (OSError, ValueError, SyntaxError) as err:  # truncated / corrupt files
        raise UserError(f"cannot read image {path}: {err}") from None
    except Image.DecompressionBombError as err:
        raise UserError(f"cannot read image {path}: {err}") from None


def preprocess_images(paths: Sequence[Path], transform: Callable[[Any], Any]):
    """The images through `transform`, stacked to [B,3,H,W] float32."""
    import torch  # pylint: disable=import-outside-toplevel
    rows = []
    for p in paths:
        t = transform(load_rgb(p))
        if not (hasattr(t, "shape") and len(t.shape) == 3):
            raise UserError(f"{p}: the transform gave shape {tuple(getattr(t, 'shape', ()))}, "
                            "expected [3,H,W]")
        rows.append(t.float())
    shapes = {tuple(r.shape) for r in rows}
    if len(shapes) != 1:
        raise UserError(f"the images were preprocessed to different sizes {sorted(shapes)}; "
                        "the model's eval transform should crop to one size")
    return torch.stack(rows)


def load_input_tensors(paths: Sequence[Path]) -> np.ndarray:
    """The 'input' tensors of the files, [3,H,W] promoted to [1,3,H,W], concatenated."""
    parts = []
    for p in paths:
        tensors, _ = read_safetensors(p)
        if "input" in tensors:
            t = tensors["input"]
        elif len(tensors) == 1:
            t = next(iter(tensors.values()))
        else:
            raise UserError(f"{p}: no tensor named 'input' (has {', '.join(sorted(tensors))})")
        if t.ndim == 3:
            t = t[None]
        if t.ndim != 4 or t.shape[1] != 3 or t.shape[0] < 1:
            raise UserError(f"{p}: input has shape {list(t.shape)}, expected [B,3,H,W] or [3,H,W]")
        if t.dtype != np.float32:
            raise UserError(f"{p}: input must be floating point, found {t.dtype}")
        if not np.isfinite(t).all():
            raise UserError(f"{p}: input holds NaN or infinite values")
        parts.append(t)
    sizes = {tuple(t.shape[1:]) for t in parts}
    if len(sizes) != 1:
        raise UserError(f"the --input tensors differ in size: {sorted(sizes)}")
    return np.ascontiguousarray(np.concatenate(parts, axis=0), dtype=np.float32)


def check_input_size(x_shape: Sequence[int], data_config: Mapping[str, Any], model_name: str
                     ) -> None:
    expected = tuple(int(v) for v in data_config["input_size"])
    if tuple(int(v) for v in x_shape[1:]) != expected:
        raise UserError(f"the input is {list(x_shape)} but {model_name} expects "
                        f"[B, {expected[0]}, {expected[1]}, {expected[2]}]")


def read_config_json(path: Path) -> Dict[str, Any]:
    try:
        cfg = json.loads(read_file(path, "config file").decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise UserError(f"{path}: not valid JSON: {err}") from None
    if not isinstance(cfg, dict):
        raise UserError(f"{path}: expected a JSON object")
    return cfg


def config_path_for(args: argparse.Namespace) -> Optional[Path]:
    """--config, else config.json beside --checkpoint if it exists."""
    if args.config is not None:
        return args.config
    if args.checkpoint is not None:
        beside = args.checkpoint.parent / "config.json"
        if beside.is_file():
            return beside
    return None


def architecture_of(model_id: str) -> str:
    """'vit_base_patch16_384.augreg_in21k' -> 'vit_base_patch16_384'; hf-hub ids unchanged."""
    if re.match(r"^hf[-_]hub:", model_id):
        return model_id
    return model_id.split(".", 1)[0]


# --------------------------------------------------------------------------------------------
# Backends: a loaded model, its data config and eval transform
# --------------------------------------------------------------------------------------------


@dataclass
class Loaded:
    arch: str  # architecture name (metadata 'model')
    model_id: str  # what the user asked for (name.tag, hf-hub:...), or the architecture
    forward: Callable[[Any], Tuple[Any, Any]]  # x [B,3,H,W] -> (features [B,D], logits [B,C])
    data_config: Dict[str, Any]  # input_size, interpolation, mean, std, crop_pct, crop_mode
    transform: Callable[[Any], Any]  # PIL RGB image -> [3,H,W] float32 tensor
    info: Dict[str, str] = field(default_factory=dict)  # extra metadata
    warnings: List[str] = field(default_factory=list)


# ---- timm ----------------------------------------------------------------------------------


def import_timm():
    try:
        import timm  # pylint: disable=import-outside-toplevel
        import timm.data  # noqa: F401  pylint: disable=import-outside-toplevel
        import timm.models  # noqa: F401  pylint: disable=import-outside-toplevel
    except ImportError as err:
        raise UserError(f"timm is not installed ({err}): pip install timm "
                        "(--backend torchvision is a stand-in for testing this script only)"
                        ) from None
    return timm


def timm_check_known(timm, name: str) -> None:
    """Unknown names fail here, with the closest registered names as a hint."""
    if re.match(r"^hf[-_]hub:", name):
        return  # resolved by create_model from the hub's config.json
    arch = architecture_of(name)
    if timm.is_model(arch):
        return
    close = difflib.get_close_matches(arch, timm.list_models(), n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(close)}?" if close else " (timm.list_models() lists them)"
    raise UserError(f"unknown timm model '{name}'{hint}")


def timm_vit_problems(timm, model, name: str) -> List[str]:
    """Error if not a timm VisionTransformer; else what `vit` cannot run (as warnings)."""
    vt = timm.models.vision_transformer.VisionTransformer
    if not isinstance(model, vt):
        raise UserError(f"{name} is a {type(model).__module__}.{type(model).__name__}, not a timm "
                        "VisionTransformer: vit implements only timm's ViT (vit_*)")
    import torch.nn as nn  # pylint: disable=import-outside-toplevel
    ident = nn.Identity
    problems = []
    if type(model) is not vt:
        problems.append(f"a subclass of VisionTransformer ({type(model).__name__})")
    if getattr(model, "global_pool", "token") != "token":
        problems.append(f"global_pool '{model.global_pool}' (vit pools the class token)")
    if getattr(model, "cls_token", None) is None:
        problems.append("no class token")
    if getattr(model, "num_reg_tokens", 0):
        problems.append(f"{model.num_reg_tokens} register tokens")
    if getattr(model, "no_embed_class", False):
        problems.append("no_embed_class")
    for attr in ("norm_pre", "fc_norm"):
        if not isinstance(getattr(model, attr, ident()), ident):
            problems.append(f"{attr} is not Identity")
    if type(getattr(model, "patch_embed", None)).__name__ != "PatchEmbed":
        problems.append(f"patch embedding {type(getattr(model, 'patch_embed', None)).__name__}")
    if not isinstance(getattr(model, "head", None), nn.Linear):
        problems.append("the head is not one Linear layer")
    block = model.blocks[0] if len(getattr(model, "blocks", [])) else None
    if block is not None:
        for attr in ("ls1", "ls2"):
            if not isinstance(getattr(block, attr, ident()), ident):
                problems.append("layer scale (init_values)")
                break
        attn = getattr(block, "attn", None)
        for attr in ("q_norm", "k_norm"):
            if not isinstance(getattr(attn, attr, ident()), ident):
                problems.append("q/k norm")
                break
    return [f"{name}: {p}: vit does not implement this, `vit verify` will refuse or fail"
            for p in problems]


def timm_data_config(timm, model, pretrained_cfg: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """timm's resolved eval data config (config.json's pretrained_cfg wins over the model's)."""
    data = timm.data
    if hasattr(data, "resolve_model_data_config"):  # timm >= 0.9
        return dict(data.resolve_model_data_config(model, pretrained_cfg=pretrained_cfg))
    return dict(data.resolve_data_config({}, default_cfg=pretrained_cfg or {}, model=model))


def timm_transform(timm, data_config: Dict[str, Any]):
    return timm.data.create_transform(**data_config, is_training=False)


def timm_load(args: argparse.Namespace, config: Optional[Dict[str, Any]]) -> Loaded:
    """Build the model with timm, check it is a ViT, load the weights, eval, no grad."""
    timm = import_timm()
    cfg = config or {}
    name = args.model or cfg.get("architecture")
    if not isinstance(name, str) or not name:
        raise UserError("no model name: give --model NAME (the checkpoint has no config.json "
                        "with an 'architecture')")
    kwargs: Dict[str, Any] = dict(cfg.get("model_args") or {})
    for key in ("num_classes", "global_pool"):
        if key in cfg and key not in kwargs:
            kwargs[key] = cfg[key]

    def create(pretrained: bool):
        try:
            return timm.create_model(name, pretrained=pretrained, **kwargs)
        except RuntimeError as err:
            raise UserError(f"timm cannot create {name}: {err}") from None
        except TypeError as err:  # model_args the architecture does not take
            raise UserError(f"timm cannot create {name} with {kwargs}: {err}") from None

    if re.match(r"^hf[-_]hub:", name) or timm.is_model(architecture_of(name)):
        model = create(False)
    elif args.model is None and cfg.get("model_args"):
        # An architecture timm does not register (e.g. the repository's fixtures): build the
        # VisionTransformer class directly from config.json's model_args.
        try:
            model = timm.models.vision_transformer.VisionTransformer(**kwargs)
        except TypeError as err:
            raise UserError(f"config.json model_args do not fit VisionTransformer: {err}") from None
    else:
        timm_check_known(timm, name)
        raise AssertionError("unreachable")
    warnings = timm_vit_problems(timm, model, name)

    if args.pretrained:
        model = create(True)  # the architecture was checked before downloading
        weights = f"timm pretrained ({name})"
    else:
        try:
            timm.models.load_checkpoint(model, str(args.checkpoint), strict=True)
        except (RuntimeError, KeyError, ValueError) as err:
            first = str(err).strip().splitlines()[:3]
            raise UserError(f"{args.checkpoint} does not fit {name}: {' '.join(first)}") from None
        except FileNotFoundError:
            raise UserError(f"checkpoint not found: {args.checkpoint}") from None
        weights = str(args.checkpoint)
    model = model.eval().to(dtype=compute_dtype(args))

    def forward(x):
        feats = model.forward_features(x)
        return model.forward_head(feats, pre_logits=True), model.forward_head(feats)

    data_config = timm_data_config(timm, model, cfg.get("pretrained_cfg"))
    arch = architecture_of(name) if not re.match(r"^hf[-_]hub:", name) else \
        str(getattr(model, "pretrained_cfg", {}).get("architecture") or name)
    return Loaded(
        arch=arch,
        model_id=name,
        forward=forward,
        data_config=data_config,
        transform=timm_transform(timm, data_config),
        info={"backend": f"timm {timm.__version__}", "timm_version": timm.__version__,
              "weights": weights},
        warnings=warnings,
    )


# ---- torchvision stand-in (testing only) -----------------------------------------------------


def compute_dtype(args: argparse.Namespace):
    import torch  # pylint: disable=import-outside-toplevel
    return torch.float64 if args.dtype == "float64" else torch.float32


@dataclass(frozen=True)
class TvSpec:
    img_size: int
    patch_size: int
    embed_dim: int
    depth: int
    num_heads: int
    mlp_dim: int
    num_classes: int
    qkv_bias: bool


def tv_spec_from(state: Mapping[str, np.ndarray], cfg: Mapping[str, Any], arch: str,
                 source: str) -> TvSpec:
    """Sizes from the timm-layout tensors; the head count from model_args or the name."""
    need = ["cls_token", "pos_embed", "patch_embed.proj.weight", "head.weight", "norm.weight",
            "blocks.0.mlp.fc1.weight"]
    missing = [k for k in need if k not in state]
    if missing:
        raise UserError(f"{source}: not a timm-layout ViT checkpoint "
                        f"(missing {', '.join(missing)})")
    args = dict(cfg.get("model_args") or {})
    plain = {"global_pool": "token", "class_token": True, "no_embed_class": False,
             "reg_tokens": 0, "pre_norm": False, "fc_norm": None, "init_values": None,
             "qk_norm": False}
    for key, value in plain.items():
        got = args.get(key, cfg.get(key) if key == "global_pool" else None)
        if got is not None and got != value and not (value is None and got is False):
            raise UserError(f"{source}: {key} = {got!r}: the torchvision stand-in runs plain "
                            "ViTs only")
    embed_dim = state["cls_token"].shape[-1]
    patch = state["patch_embed.proj.weight"].shape[-1]
    tokens = state["pos_embed"].shape[1]
    side = math.isqrt(tokens - 1)
    if side * side != tokens - 1:
        raise UserError(f"{source}: pos_embed has {tokens} tokens, not 1 + a square grid")
    depth = len({k.split(".")[1] for k in state if k.startswith("blocks.")})
    heads = args.get("num_heads")
    if heads is None:
        m = re.match(r"^vit_([a-z]+)_patch", arch)
        heads = VIT_HEADS.get(m.group(1)) if m else None
    if heads is None:
        raise UserError(f"{source}: cannot tell the number of attention heads of '{arch}': "
                        "give config.json with model_args.num_heads, or --model vit_<size>_...")
    return TvSpec(img_size=side * patch, patch_size=patch, embed_dim=embed_dim, depth=depth,
                  num_heads=int(heads), mlp_dim=state["blocks.0.mlp.fc1.weight"].shape[0],
                  num_classes=state["head.weight"].shape[0],
                  qkv_bias="blocks.0.attn.qkv.bias" in state)


def tv_data_config(cfg: Mapping[str, Any], spec: TvSpec) -> Dict[str, Any]:
    """config.json's pretrained_cfg over timm's ViT defaults (inception mean/std, bicubic,
    crop_pct 0.9, or 1.0 at 384 px), the keys of timm's resolve_model_data_config."""
    pc = dict(cfg.get("pretrained_cfg") or {})
    out = {
        "input_size": tuple(pc.get("input_size") or (3, spec.img_size, spec.img_size)),
        "interpolation": pc.get("interpolation") or "bicubic",
        "mean": tuple(pc.get("mean") or INCEPTION_MEAN),
        "std": tuple(pc.get("std") or INCEPTION_STD),
        "crop_pct": pc.get("crop_pct") or (1.0 if spec.img_size == 384 else 0.9),
        "crop_mode": pc.get("crop_mode") or "center",
    }
    return out


def tv_transform(data_config: Mapping[str, Any]):
    """torchvision transforms equal to timm's transforms_imagenet_eval (center / squash)."""
    from torchvision import transforms as T  # pylint: disable=import-outside-toplevel
    modes = {"bicubic": T.InterpolationMode.BICUBIC, "bilinear": T.InterpolationMode.BILINEAR,
             "nearest": T.InterpolationMode.NEAREST}
    interp = modes.get(data_config["interpolation"])
    if interp is None:
        raise UserError(f"the torchvision stand-in does not do interpolation "
                        f"'{data_config['interpolation']}'")
    _, h, w = data_config["input_size"]
    crop_pct = float(data_config["crop_pct"])
    scale = (math.floor(h / crop_pct), math.floor(w / crop_pct))
    mode = data_config["crop_mode"]
    if mode == "center" and scale[0] == scale[1]:
        resize = T.Resize(scale[0], interpolation=interp)  # shortest edge
    elif mode == "squash":
        resize = T.Resize(scale, interpolation=interp)
    else:
        raise UserError(f"the torchvision stand-in does not do crop_mode '{mode}' at {h}x{w}")
    return T.Compose([resize, T.CenterCrop((h, w)), T.ToTensor(),
                      T.Normalize(mean=list(data_config["mean"]), std=list(data_config["std"]))])


def torchvision_load(args: argparse.Namespace, config: Optional[Dict[str, Any]]) -> Loaded:
    """torchvision.models.VisionTransformer from a timm-layout safetensors checkpoint."""
    import torch  # pylint: disable=import-outside-toplevel
    import torchvision  # pylint: disable=import-outside-toplevel
    from torchvision.models import VisionTransformer  # pylint: disable=import-outside-toplevel

    cfg = config or {}
    if args.checkpoint.suffix != ".safetensors":
        raise UserError(f"{args.checkpoint}: the torchvision stand-in reads .safetensors only")
    state_np, _ = read_safetensors(args.checkpoint)
    arch = args.model or cfg.get("architecture") or "vit"
    arch = architecture_of(arch)
    spec = tv_spec_from(state_np, cfg, arch, str(args.checkpoint))
    pairs = timm_torchvision_names(spec.depth, spec.qkv_bias)
    extra = sorted(set(state_np) - {tm for tm, _ in pairs})
    missing = sorted({tm for tm, _ in pairs} - set(state_np))
    if extra or missing:
        raise UserError(f"{args.checkpoint} does not fit a plain ViT of depth {spec.depth}: "
                        f"missing {missing[:3]}, unexpected {extra[:3]}")
    torch.manual_seed(0)
    model = VisionTransformer(image_size=spec.img_size, patch_size=spec.patch_size,
                              num_layers=spec.depth, num_heads=spec.num_heads,
                              hidden_dim=spec.embed_dim, mlp_dim=spec.mlp_dim,
                              num_classes=spec.num_classes)
    tv_state = {tv: torch.from_numpy(np.array(state_np[tm], dtype=np.float32))
                for tm, tv in pairs}
    if not spec.qkv_bias:  # torchvision always has the bias: zero is timm's "no bias"
        for i in range(spec.depth):
            tv_state[f"encoder.layers.encoder_layer_{i}.self_attention.in_proj_bias"] = \
                torch.zeros(3 * spec.embed_dim)
    try:
        model.load_state_dict(tv_state, strict=True)
    except RuntimeError as err:
        raise UserError(f"{args.checkpoint}: {str(err).splitlines()[0]}") from None
    model = model.eval().to(dtype=compute_dtype(args))

    def forward(x):
        return forward_with_features(model, x)

    data_config = tv_data_config(cfg, spec)
    return Loaded(
        arch=arch,
        model_id=args.model or arch,
        forward=forward,
        data_config=data_config,
        transform=tv_transform(data_config),
        info={"backend": f"torchvision {torchvision.__version__} VisionTransformer stand-in "
                         "(testing only, not timm)",
              "timm_version": "not used", "weights": str(args.checkpoint)},
    )


BACKENDS: Dict[str, Callable[[argparse.Namespace, Optional[Dict[str, Any]]], Loaded]] = {
    "timm": timm_load,
    "torchvision": torchvision_load,
}


# --------------------------------------------------------------------------------------------
# Running and writing
# --------------------------------------------------------------------------------------------


def run_batches(forward: Callable[[Any], Tuple[Any, Any]], x, batch_size: int, dtype):
    """(features, logits) as float32, the model run on chunks of batch_size, no grad."""
    import torch  # pylint: disable=import-outside-toplevel
    feats, logits = [], []
    with torch.no_grad():
        for start in range(0, x.shape[0], batch_size):
            f, l = forward(x[start:start + batch_size].to(dtype))
            feats.append(f.float())
            logits.append(l.float())
    features, out = torch.cat(feats), torch.cat(logits)
    if features.ndim != 2 or out.ndim != 2 or out.shape[0] != x.shape[0]:
        raise UserError(f"unexpected output shapes: features {list(features.shape)}, "
                        f"logits {list(out.shape)}")
    if not (torch.isfinite(out).all() and torch.isfinite(features).all()):
        raise UserError("the model produced NaN or infinite outputs")
    return features, out


def build_metadata(args: argparse.Namespace, loaded: Loaded, torch_version: str,
                   config_path: Optional[Path]) -> Dict[str, str]:
    meta: Dict[str, str] = {
        "model": loaded.arch,
        "model_id": loaded.model_id,
        "created_by": "scripts/reference_logits.py",
        "torch_version": torch_version,
        "compute_dtype": f"{args.dtype} (outputs stored as F32)",
        "features": FEATURES_NOTE,
        **loaded.info,
    }
    if config_path is not None:
        meta["config"] = str(config_path)
    if args.images:
        meta["images"] = json.dumps([str(p) for p in args.images])
        meta["input"] = "images through the model's eval transform (PIL convert('RGB'))"
        meta["data_config"] = json.dumps(jsonable(loaded.data_config))
    else:
        meta["inputs"] = json.dumps([str(p) for p in args.inputs])
        meta["input"] = "the 'input' tensors of the --input files, concatenated"
    if args.atol is not None:
        meta["atol"] = repr(args.atol)
    if args.rtol is not None:
        meta["rtol"] = repr(args.rtol)
    return meta


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


@dataclass
class Result:
    out: Path
    samples: int
    input_shape: List[int]
    logits_shape: List[int]
    features_shape: List[int]
    top1: List[Tuple[int, float]]
    metadata: Dict[str, str]
    warnings: List[str]


def make_reference(args: argparse.Namespace) -> Result:
    """Everything after argument parsing; raises UserError for the user's mistakes."""
    check_readable(args.images, "image")
    check_readable(args.inputs, "input file")
    if args.checkpoint is not None:
        check_readable([args.checkpoint], "checkpoint")
    config_path = config_path_for(args)
    config = read_config_json(config_path) if config_path is not None else None
    if args.checkpoint is not None and args.out.resolve() == args.checkpoint.resolve():
        raise UserError("--out would overwrite the checkpoint")

    try:
        import torch  # pylint: disable=import-outside-toplevel
    except ImportError:
        raise UserError("PyTorch is not installed (pip install torch)") from None
    if args.threads is not None:
        torch.set_num_threads(args.threads)

    loaded = BACKENDS[args.backend](args, config)
    if args.images:
        x = preprocess_images(args.images, loaded.transform)
    else:
        x = torch.from_numpy(load_input_tensors(args.inputs))
    check_input_size(x.shape, loaded.data_config, loaded.model_id)
    features, logits = run_batches(loaded.forward, x, args.batch_size, compute_dtype(args))

    metadata = build_metadata(args, loaded, torch.__version__, config_path)
    write_safetensors(args.out, {"input": x, "logits": logits, "features": features}, metadata)
    values, index = logits.max(dim=1)
    return Result(out=args.out, samples=x.shape[0], input_shape=list(x.shape),
                  logits_shape=list(logits.shape), features_shape=list(features.shape),
                  top1=[(int(i), float(v)) for i, v in zip(index, values)],
                  metadata=metadata, warnings=loaded.warnings)


def verify_command(args: argparse.Namespace) -> str:
    weights = str(args.checkpoint) if args.checkpoint is not None else "MODEL.safetensors"
    cmd = f"vit verify --weights {weights} --reference {args.out}"
    if args.config is not None:
        cmd += f" --config {args.config}"
    return cmd


def report(args: argparse.Namespace, result: Result) -> str:
    names = [str(p) for p in (args.images or args.inputs)]
    lines = [f"model       {result.metadata['model_id']} ({result.metadata['backend']}, "
             f"torch {result.metadata['torch_version']}, {args.dtype})",
             f"weights     {result.metadata['weights']}"]
    if args.images:
        lines.append(f"preprocess  {result.metadata['data_config']}")
    lines.append(f"wrote       {result.out}: input {result.input_shape}, logits "
                 f"{result.logits_shape}, features {result.features_shape}")
    for i, (cls, val) in enumerate(result.top1):
        src = names[i] if len(names) == result.samples else f"sample {i}"
        lines.append(f"  {i:<3} top-1 class {cls:<6} logit {val:+.4f}  {src}")
    if args.pretrained:
        lines.append(f"next        vit download {args.model}   # prints the cached weights' path")
    lines.append(f"next        {verify_command(args)}")
    return "\n".join(lines) + "\n"


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    try:
        result = make_reference(args)
    except UserError as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 1
    for warning in result.warnings:
        print(f"{PROG}: warning: {warning}", file=sys.stderr)
    if not args.quiet:
        sys.stdout.write(report(args, result))
    return 0


def _reexec_with_openblas() -> None:
    """Restart with Debian's OpenBLAS first on the library path, before torch loads."""
    if os.environ.get("REFERENCE_LOGITS_NO_REEXEC") or "torch" in sys.modules:
        return
    paths = [p for p in os.environ.get("LD_LIBRARY_PATH", "").split(":") if p]
    if not os.path.isdir(OPENBLAS_DIR) or OPENBLAS_DIR in paths:
        return
    env = dict(os.environ, LD_LIBRARY_PATH=":".join([OPENBLAS_DIR, *paths]))
    os.execve(sys.executable, [sys.executable, *sys.argv], env)


if __name__ == "__main__":
    _reexec_with_openblas()
    sys.exit(main())
