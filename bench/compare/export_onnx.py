#!/usr/bin/python3
"""Export the bench's random-weight ViT-B/16-384 to ONNX, for onnxruntime-node/-web in run.mjs.

  /usr/bin/python3 bench/compare/export_onnx.py CHECKPOINT [--out bench/compare/models/vit_base_patch16_384.onnx]

CHECKPOINT is the timm-named safetensors that bench/checkpoint.mjs writes (run.mjs passes it). The
weights are renamed back to torchvision's names (torch_vit.py), loaded strictly into torchvision's
VisionTransformer, and exported at opset 17 with input "pixel_values" [batch,3,384,384] (batch a
dynamic axis) and output "logits" [batch,1000]. The export runs with gradients enabled: under
no_grad/inference_mode nn.MultiheadAttention takes its fused fast path, which torch 1.13 cannot
export. The ONNX is then checked against torch's float32 output on a seeded random batch of 2
(which also proves the dynamic batch axis) by running it with onnxruntime-node (engine.mjs; needs
`npm install` in bench/compare). A sidecar <out>.json records the checkpoint (path, size, mtime)
the ONNX was made from and the check, so run.mjs re-exports when the checkpoint changes.
Debian's python3-torch and python3-torchvision are all it needs.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from torch_vit import IMG_SIZE, REPO_ROOT, load_torchvision_vit, reexec_with_openblas  # noqa: E402

reexec_with_openblas()

# pylint: disable=wrong-import-position
import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import torch  # noqa: E402
import torchvision  # noqa: E402

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "models" / "vit_base_patch16_384.onnx"
OPSET = 17
CHECK_BATCH = 2
CHECK_SEED = 5
# float32 against float32 (different summation orders, MLAS vs OpenBLAS): logits of this model are
# O(1); a wrong weight or op gives differences of O(0.1) or more.
TOLERANCE = 1e-3


def export(model: torch.nn.Module, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    dummy = torch.zeros(1, 3, IMG_SIZE, IMG_SIZE)
    # torchvision asserts the image size in Python; the tracer warns that the assert becomes a
    # constant, which is right: the model only takes 384x384.
    warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
    with torch.enable_grad():  # see the header: the MHA fast path does not export
        torch.onnx.export(
            model, (dummy,), str(tmp), opset_version=OPSET, do_constant_folding=True,
            input_names=["pixel_values"], output_names=["logits"],
            dynamic_axes={"pixel_values": {0: "batch"}, "logits": {0: "batch"}},
        )
    os.replace(tmp, out)


def check(model: torch.nn.Module, onnx_path: Path) -> dict:
    """Max |ONNX (onnxruntime-node) - torch| on a seeded random batch of CHECK_BATCH."""
    gen = torch.Generator().manual_seed(CHECK_SEED)
    x = torch.randn(CHECK_BATCH, 3, IMG_SIZE, IMG_SIZE, generator=gen)
    with torch.no_grad():
        expected = model(x)
    with tempfile.TemporaryDirectory() as tmp:
        input_path = Path(tmp) / "input.f32"
        x.numpy().astype("<f4").tofile(input_path)
        args = {"engine": "ort-node", "onnx": str(onnx_path), "input": str(input_path),
                "batch": CHECK_BATCH, "threads": 1, "warmup": 1, "runs": 0}
        if not (HERE / "node_modules" / "onnxruntime-node").is_dir():
            raise SystemExit("export_onnx: cannot check the ONNX: run `npm install` in bench/compare "
                             "first (or pass --no-check)")
        run = subprocess.run(["node", str(HERE / "engine.mjs"), json.dumps(args)], cwd=HERE,
                             capture_output=True, text=True, check=False)
        if run.returncode != 0:
            raise SystemExit(f"export_onnx: onnxruntime-node failed on the export:\n{run.stderr}")
        result = json.loads(run.stdout.strip().splitlines()[-1])
    got = torch.tensor(result["logits"]).reshape(expected.shape)
    diff = (got - expected).abs().max().item()
    scale = expected.abs().max().item()
    print(f"check: onnxruntime-node {result.get('version')} vs torch on a batch of {CHECK_BATCH}: "
          f"max |diff| {diff:.3e} (max |logit| {scale:.3f}, tolerance {TOLERANCE:g})")
    if not diff <= TOLERANCE:
        raise SystemExit(f"export_onnx: the ONNX output differs from torch's by {diff:.3e}")
    return {"batch": CHECK_BATCH, "seed": CHECK_SEED, "maxAbsDiff": diff, "maxAbsLogit": scale,
            "tolerance": TOLERANCE, "runtime": f"onnxruntime-node {result.get('version')}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint", type=Path, help="timm-named model.safetensors (bench/checkpoint.mjs)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"default {DEFAULT_OUT.relative_to(REPO_ROOT)}")
    parser.add_argument("--no-check", action="store_true", help="skip the onnxruntime-node check")
    args = parser.parse_args()

    checkpoint = args.checkpoint.resolve()
    t0 = time.perf_counter()
    model = load_torchvision_vit(checkpoint)
    t1 = time.perf_counter()
    export(model, args.out)
    t2 = time.perf_counter()
    print(f"exported {args.out} ({args.out.stat().st_size / 2**20:.1f} MiB, opset {OPSET}, dynamic batch) "
          f"from {checkpoint}: load {t1 - t0:.1f} s, export {t2 - t1:.1f} s")
    checked = None if args.no_check else check(model, args.out)

    stat = checkpoint.stat()
    sidecar = {
        "checkpoint": str(checkpoint), "checkpointBytes": stat.st_size, "checkpointMtimeMs": stat.st_mtime * 1000,
        "onnxBytes": args.out.stat().st_size, "opset": OPSET, "input": "pixel_values [batch,3,384,384]",
        "output": "logits [batch,1000]", "source": f"torchvision {torchvision.__version__} VisionTransformer, "
        f"torch {torch.__version__}", "check": checked,
    }
    args.out.with_name(args.out.name + ".json").write_text(json.dumps(sidecar, indent=2) + "\n")


if __name__ == "__main__":
    main()
