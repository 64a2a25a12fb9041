#!/usr/bin/python3
"""PyTorch's timing for run.mjs: one configuration per process, like engine.mjs.

  /usr/bin/python3 bench/compare/torch_bench.py '{"checkpoint":"...","input":"x.f32","threads":2,"warmup":2,"runs":10}'

Loads the timm-named checkpoint into torchvision's VisionTransformer (torch_vit.py), runs it on the
raw float32 [1,3,384,384] input under torch.inference_mode() (the way one serves a model, with
nn.MultiheadAttention's fused fast path) with OpenBLAS (OpenMP build) and `threads` intra-op
threads, and prints one JSON line shaped like engine.mjs's: timings (wall and process CPU time) and
the logits.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from torch_vit import load_torchvision_vit, read_input, reexec_with_openblas  # noqa: E402

ARGS = json.loads(sys.argv[1])
reexec_with_openblas(int(ARGS["threads"]))

# pylint: disable=wrong-import-position
import os  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402


def main() -> None:
    threads, batch = int(ARGS["threads"]), int(ARGS.get("batch", 1))
    torch.set_num_threads(threads)
    t0 = time.perf_counter()
    model = load_torchvision_vit(Path(ARGS["checkpoint"]))
    x = read_input(Path(ARGS["input"]), batch)
    load_ms = (time.perf_counter() - t0) * 1000
    samples = []
    with torch.inference_mode():
        logits = model(x)
        for _ in range(1, int(ARGS.get("warmup", 2))):
            model(x)
        for _ in range(int(ARGS.get("runs", 10))):
            c0, w0 = time.process_time(), time.perf_counter()
            model(x)
            samples.append({"wallMs": (time.perf_counter() - w0) * 1000,
                            "cpuMs": (time.process_time() - c0) * 1000})
    blas = "openblas-openmp" if "openblas-openmp" in os.environ.get("LD_LIBRARY_PATH", "") else "default BLAS"
    print(json.dumps({"engine": "torch", "threads": threads, "batch": batch, "loadMs": load_ms,
                      "version": torch.__version__, "blas": blas,
                      "torchThreads": torch.get_num_threads(), "samples": samples,
                      "totalCpuMs": time.process_time() * 1000,
                      "logits": logits.flatten().tolist()}))


if __name__ == "__main__":
    main()
