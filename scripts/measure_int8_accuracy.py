#!/usr/bin/env python3
"""Measure top-1 accuracy of `vit --precision int8` against timm fp32 on your labelled images.

`vit verify --precision int8` measures agreement with the float reference on random-weight
fixtures; what int8 costs in ACCURACY on a real, pretrained model can only be measured on labelled
images, which this repository does not ship (and this machine cannot download). This script does
it wherever you have both:

  1. timm fp32 in Python: the model in eval mode, timm's own eval transform
     (resolve_model_data_config + create_transform), top-1 per image;
  2. `vit classify --precision fp32` and 3. `vit classify --precision int8` on the same files
     (vit's own decoding and preprocessing, which equal timm's; --format ndjson, -k 1);

and prints, per engine, the images scored, top-1 accuracy, and the fraction of images whose top-1
equals timm fp32's (agreement: what int8 changes, free of label noise).

Labelled images, either:
  --images DIR   folder per class, ImageNet style: DIR/<class>/<image>. Class indices are the
                 sorted folder names (torchvision ImageFolder's rule: for an ImageNet-1k val
                 folder with all 1000 synset folders, n01440764 ... n15075141, that is the
                 in1k index order), or the line numbers of --class-index FILE (one folder name
                 per line, in the model's class order).
  --csv FILE     rows `path,label` (label: the class index; a header row is skipped; relative
                 paths are relative to the CSV's folder).

Model, either:
  --model NAME --pretrained   timm's weights (timm downloads them; `vit` gets the same checkpoint
                              from the Hugging Face hub, so pass the same NAME, e.g.
                              vit_base_patch16_384.augreg_in21k_ft_in1k)
  --checkpoint FILE           local timm-layout weights (+ config.json beside it), given to both

Example (pip install timm torch pillow):

  python3 scripts/measure_int8_accuracy.py --images ~/imagenet/val --limit 5000 \\
      --model vit_base_patch16_384.augreg_in21k_ft_in1k --pretrained

  engine                  images   top-1    same top-1 as timm fp32
  timm fp32 (python)      5000     ...      -
  vit fp32                5000     ...      ...
  vit int8                5000     ...      ...

--self-test runs the whole pipeline without timm or network on synthetic images (noise, in three
class folders) with the random-weight fixture fixtures/models/int8_plain and the torchvision
stand-in of scripts/reference_logits.py: the accuracies it prints mean nothing, but every step
(listing, labels, Python model, both vit runs, parsing, the table) runs:

  /usr/bin/python3 scripts/measure_int8_accuracy.py --self-test

Exit codes: 0 done, 1 a problem with the inputs or a failed run (one line, no traceback),
2 bad arguments.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

SCRIPTS = Path(__file__).resolve().parent
REPO_ROOT = SCRIPTS.parent
sys.path.insert(0, str(SCRIPTS))
# pylint: disable=wrong-import-position
import reference_logits as rl  # noqa: E402  (torch is imported only when a model is built)
from reference_logits import _positive_int  # noqa: E402

PROG = "measure_int8_accuracy.py"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff"}
SELF_TEST_FIXTURE = REPO_ROOT / "fixtures" / "models" / "int8_plain"


class UserError(Exception):
    """Reported in one line, exit code 1."""


@dataclass
class Labelled:
    paths: List[Path]
    labels: List[int]
    classes: int  # number of distinct class indices the layout defines


@dataclass
class Score:
    engine: str
    predictions: Dict[str, int] = field(default_factory=dict)  # path -> top-1 index
    failed: int = 0


# --------------------------------------------------------------------------------------------
# Arguments
# --------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    data = parser.add_mutually_exclusive_group()
    data.add_argument("--images", type=Path, metavar="DIR", help="folder per class: DIR/<class>/<image>")
    data.add_argument("--csv", type=Path, metavar="FILE", help="rows path,label (class index)")
    parser.add_argument("--class-index", type=Path, metavar="FILE",
                        help="with --images: class folder names, one per line, in the model's class order")
    parser.add_argument("-m", "--model", help="timm model name (name.tag); with --checkpoint, default: config.json's architecture")
    weights = parser.add_mutually_exclusive_group()
    weights.add_argument("--pretrained", action="store_true", help="timm's pretrained weights for --model")
    weights.add_argument("-c", "--checkpoint", type=Path, help="local timm-layout .safetensors (config.json beside it)")
    parser.add_argument("--limit", type=_positive_int, help="score a seeded random sample of N images (the same N images every run)")
    parser.add_argument("--batch-size", type=_positive_int, default=16, help="images per forward pass (default 16)")
    parser.add_argument("--vit", default=f"node {REPO_ROOT / 'bin' / 'vit.js'}",
                        help="how to run vit (default: node <repo>/bin/vit.js)")
    parser.add_argument("--precisions", default="fp32,int8", help="vit runs, comma-separated (default fp32,int8)")
    parser.add_argument("--python-backend", choices=["timm", "torchvision"], default="timm",
                        help="timm (default), or the torchvision stand-in of reference_logits.py (no timm; local plain ViTs)")
    parser.add_argument("--json", action="store_true", help="print the table as JSON")
    parser.add_argument("--self-test", action="store_true",
                        help="run everything on synthetic images with the int8_plain fixture (no timm, no network)")
    return parser


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    precisions = [p.strip() for p in args.precisions.split(",") if p.strip()]
    bad = [p for p in precisions if p not in ("fp32", "int8")]
    if bad or not precisions:
        parser.error(f"--precisions: expected fp32 and/or int8, got {args.precisions!r}")
    args.precisions = precisions
    if args.self_test:
        if args.images or args.csv or args.checkpoint or args.pretrained or args.model:
            parser.error("--self-test makes its own images and model: give no --images/--csv/--model/--checkpoint")
        return args
    if args.images is None and args.csv is None:
        parser.error("give labelled images: --images DIR (folder per class) or --csv FILE")
    if args.class_index is not None and args.images is None:
        parser.error("--class-index goes with --images")
    if not args.pretrained and args.checkpoint is None:
        parser.error("give --model NAME --pretrained, or --checkpoint FILE")
    if args.pretrained and not args.model:
        parser.error("--pretrained needs --model NAME")
    if args.pretrained and args.python_backend == "torchvision":
        parser.error("--python-backend torchvision cannot download weights: give --checkpoint")
    return args


# --------------------------------------------------------------------------------------------
# Labelled images
# --------------------------------------------------------------------------------------------


def folder_per_class(root: Path, class_index: Optional[Path]) -> Labelled:
    if not root.is_dir():
        raise UserError(f"--images {root}: not a directory")
    folders = sorted(p.name for p in root.iterdir() if p.is_dir())
    if not folders:
        raise UserError(f"--images {root}: no class folders inside")
    if class_index is not None:
        names = [line.split()[0] for line in class_index.read_text(encoding="utf-8").splitlines() if line.strip()]
        index = {name: i for i, name in enumerate(names)}
        unknown = [f for f in folders if f not in index]
        if unknown:
            raise UserError(f"--class-index {class_index}: no line for folder(s) {', '.join(unknown[:5])}")
        classes = len(names)
    else:
        index = {name: i for i, name in enumerate(folders)}
        classes = len(folders)
    paths, labels = [], []
    for name in folders:
        for p in sorted((root / name).iterdir()):
            if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES:
                paths.append(p)
                labels.append(index[name])
    if not paths:
        raise UserError(f"--images {root}: no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in the class folders")
    return Labelled(paths, labels, classes)


def csv_labels(path: Path) -> Labelled:
    try:
        rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    except OSError as err:
        raise UserError(f"--csv {path}: {err.strerror}") from None
    paths, labels = [], []
    for n, row in enumerate(rows, 1):
        if not row or not "".join(row).strip():
            continue
        if len(row) < 2:
            raise UserError(f"--csv {path}:{n}: expected path,label")
        try:
            label = int(row[1])
        except ValueError:
            if n == 1:
                continue  # a header
            raise UserError(f"--csv {path}:{n}: label {row[1]!r} is not a class index") from None
        p = Path(row[0])
        paths.append(p if p.is_absolute() else path.parent / p)
        labels.append(label)
    if not paths:
        raise UserError(f"--csv {path}: no rows")
    return Labelled(paths, labels, max(labels) + 1)


# --------------------------------------------------------------------------------------------
# The engines
# --------------------------------------------------------------------------------------------


def python_fp32(args: argparse.Namespace, images: Sequence[Path]) -> Score:
    """timm (or the torchvision stand-in) fp32: top-1 per image, timm's eval transform."""
    import torch  # pylint: disable=import-outside-toplevel

    ns = argparse.Namespace(model=args.model, checkpoint=args.checkpoint, pretrained=args.pretrained,
                            config=None, dtype="float32")
    config_path = rl.config_path_for(ns)
    config = rl.read_config_json(config_path) if config_path else None
    try:
        loaded = rl.BACKENDS[args.python_backend](ns, config)
    except rl.UserError as err:
        raise UserError(str(err)) from None
    score = Score(f"{'timm' if args.python_backend == 'timm' else 'torchvision stand-in'} fp32 (python)")
    with torch.no_grad():
        for start in range(0, len(images), args.batch_size):
            chunk, rows = images[start:start + args.batch_size], []
            for p in chunk:
                try:
                    rows.append((p, loaded.transform(rl.load_rgb(p)).float()))
                except rl.UserError as err:
                    print(f"{PROG}: warning: {err}", file=sys.stderr)
                    score.failed += 1
            if not rows:
                continue
            _, logits = loaded.forward(torch.stack([t for _, t in rows]))
            for (p, _), top in zip(rows, logits.argmax(dim=1).tolist()):
                score.predictions[str(p)] = int(top)
    return score


def vit_run(args: argparse.Namespace, images: Sequence[Path], precision: str) -> Score:
    """`vit classify --precision P --format ndjson -k 1`, paths on stdin."""
    cmd = shlex.split(args.vit) + ["classify", "-", "--format", "ndjson", "-k", "1", "--precision", precision,
                                   "--batch-size", str(args.batch_size)]
    cmd += ["--weights", str(args.checkpoint)] if args.checkpoint else ["--model", args.model]
    if args.checkpoint and args.model:
        cmd += ["--model", args.model]
    try:
        done = subprocess.run(cmd, input="".join(f"{p}\n" for p in images), capture_output=True, text=True, check=False)
    except OSError as err:
        raise UserError(f"cannot run {args.vit!r}: {err.strerror}") from None
    score = Score(f"vit {precision}")
    for line in done.stdout.splitlines():
        record = json.loads(line)
        if "predictions" in record:
            score.predictions[record["file"]] = int(record["predictions"][0]["index"])
        else:
            score.failed += 1
    if done.returncode not in (0, 1) or not score.predictions:
        first = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise UserError(f"vit classify --precision {precision} failed (exit {done.returncode}): {first}")
    return score


# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------


def table(data: Labelled, scores: List[Score]) -> List[dict]:
    truth = {str(p): label for p, label in zip(data.paths, data.labels)}
    base = scores[0].predictions
    rows = []
    for s in scores:
        scored = [p for p in s.predictions if p in truth]
        correct = sum(s.predictions[p] == truth[p] for p in scored)
        both = [p for p in scored if p in base]
        same = sum(s.predictions[p] == base[p] for p in both)
        rows.append({
            "engine": s.engine,
            "images": len(scored),
            "failed": s.failed,
            "top1": correct / len(scored) if scored else None,
            "same_top1_as_python_fp32": None if s is scores[0] else (same / len(both) if both else None),
        })
    return rows


def format_table(rows: List[dict]) -> str:
    pct = lambda v: "-" if v is None else f"{100 * v:.2f}%"  # noqa: E731
    cells = [["engine", "images", "failed", "top-1", f"same top-1 as {rows[0]['engine']}"]]
    cells += [[r["engine"], str(r["images"]), str(r["failed"]), pct(r["top1"]), pct(r["same_top1_as_python_fp32"])] for r in rows]
    widths = [max(len(row[c]) for row in cells) for c in range(len(cells[0]))]
    return "".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() + "\n" for row in cells)


def self_test_inputs(tmp: Path) -> Tuple[Path, Path]:
    """Three class folders of four noise images each (48 x 48, the fixture's size)."""
    import numpy as np  # pylint: disable=import-outside-toplevel
    from PIL import Image  # pylint: disable=import-outside-toplevel
    rng = np.random.default_rng(0)
    for c in range(3):
        (tmp / f"class{c}").mkdir(parents=True)
        for i in range(4):
            Image.fromarray(rng.integers(0, 256, (48, 48, 3), dtype=np.uint8)).save(tmp / f"class{c}" / f"{i}.png")
    return tmp, SELF_TEST_FIXTURE / "model.safetensors"


def run(args: argparse.Namespace) -> str:
    with tempfile.TemporaryDirectory(prefix="vit-int8-acc-") as tmp:
        if args.self_test:
            args.images, args.checkpoint = self_test_inputs(Path(tmp))
            args.python_backend = "torchvision"
        data = folder_per_class(args.images, args.class_index) if args.images else csv_labels(args.csv)
        if args.limit and args.limit < len(data.paths):
            # A sample across all classes (the first N in path order would be the first classes only).
            keep = sorted(random.Random(0).sample(range(len(data.paths)), args.limit))
            data = Labelled([data.paths[i] for i in keep], [data.labels[i] for i in keep], data.classes)
        missing = [p for p in data.paths if not p.is_file()]
        if missing:
            raise UserError(f"{len(missing)} listed image(s) are not files, e.g. {missing[0]}")
        scores = [python_fp32(args, data.paths)] + [vit_run(args, data.paths, p) for p in args.precisions]
        rows = table(data, scores)
    if args.json:
        return json.dumps({"rows": rows, "classes": data.classes, "self_test": args.self_test}, indent=2) + "\n"
    note = "self-test: random weights and noise images, the accuracies mean nothing\n" if args.self_test else ""
    return format_table(rows) + note


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    try:
        sys.stdout.write(run(args))
    except UserError as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    if os.path.isdir("/usr/lib/x86_64-linux-gnu/openblas-openmp") and "openblas-openmp" not in os.environ.get("LD_LIBRARY_PATH", ""):
        env = dict(os.environ, LD_LIBRARY_PATH="/usr/lib/x86_64-linux-gnu/openblas-openmp:" + os.environ.get("LD_LIBRARY_PATH", ""))
        os.execve(sys.executable, [sys.executable, *sys.argv], env)
    sys.exit(main())
