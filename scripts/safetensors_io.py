"""safetensors in pure Python + numpy, shared by the fixture and reference scripts.

The format: u64 little-endian header length, a JSON header padded with spaces to a multiple of
8 bytes, then the tensor bytes in header order. Tensors are written as F32 with names sorted, as
hub files are, so the same tensors always give the same bytes.
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple

import numpy as np


class SafetensorsFormatError(ValueError):
    """The bytes are not a valid safetensors file; the message says why."""


_DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8"), "F16": np.dtype("<f2"),
           "BF16": np.dtype("<u2"), "I64": np.dtype("<i8"), "I32": np.dtype("<i4"),
           "U8": np.dtype("u1")}


def to_numpy_f32(value: Any) -> np.ndarray:
    """A torch tensor or array-like as a C-contiguous little-endian float32 numpy array."""
    if hasattr(value, "detach"):  # torch.Tensor, without importing torch here
        value = value.detach().cpu().float().contiguous().numpy()
    arr = np.asarray(value)
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"cannot store dtype {arr.dtype} as F32")
    return np.ascontiguousarray(arr, dtype="<f4")


def encode_safetensors(tensors: Mapping[str, Any],
                       metadata: Optional[Mapping[str, str]] = None) -> bytes:
    """All tensors as F32, names sorted, data contiguous in that order."""
    header: Dict[str, Any] = {}
    if metadata:
        bad = [k for k, v in metadata.items() if not (isinstance(k, str) and isinstance(v, str))]
        if bad:
            raise TypeError(f"safetensors metadata values must be strings: {bad}")
        header["__metadata__"] = dict(metadata)
    blobs: List[bytes] = []
    offset = 0
    for name in sorted(tensors):
        if name == "__metadata__":
            raise ValueError("'__metadata__' is not a tensor name")
        arr = to_numpy_f32(tensors[name])
        data = arr.tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    head += b" " * (-len(head) % 8)
    return struct.pack("<Q", len(head)) + head + b"".join(blobs)


def write_safetensors(path: Path, tensors: Mapping[str, Any],
                      metadata: Optional[Mapping[str, str]] = None) -> None:
    """Write atomically (a temporary file renamed into place)."""
    raw = encode_safetensors(tensors, metadata)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(raw)
    os.replace(tmp, path)


def decode_safetensors(raw: bytes, source: str = "<bytes>"
                       ) -> Tuple[Dict[str, np.ndarray], Dict[str, str]]:
    """(tensors as float32 numpy arrays (integers kept as they are), metadata)."""
    def bad(why: str) -> SafetensorsFormatError:
        return SafetensorsFormatError(f"{source}: not a valid safetensors file ({why})")

    if len(raw) < 8:
        raise bad("shorter than 8 bytes")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > len(raw) - 8:
        raise bad(f"header length {n} exceeds the file")
    try:
        header = json.loads(raw[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise bad(f"header is not JSON: {err}") from None
    if not isinstance(header, dict):
        raise bad("header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    data = memoryview(raw)[8 + n:]
    tensors: Dict[str, np.ndarray] = {}
    for name, info in header.items():
        try:
            dtype = _DTYPES[info["dtype"]]
            shape = [int(d) for d in info["shape"]]
            begin, end = (int(x) for x in info["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise bad(f"tensor '{name}': unsupported or malformed entry {info!r}") from None
        count = int(np.prod(shape, dtype=np.int64))
        if not 0 <= begin <= end <= len(data) or end - begin != count * dtype.itemsize:
            raise bad(f"tensor '{name}': data_offsets {[begin, end]} do not fit shape {shape}")
        arr = np.frombuffer(data[begin:end], dtype=dtype).reshape(shape)
        if info["dtype"] == "BF16":  # the upper half of a float32
            arr = (arr.astype(np.uint32) << 16).view(np.float32)
        elif dtype.kind == "f":
            arr = arr.astype(np.float32)
        tensors[name] = arr
    return tensors, {str(k): str(v) for k, v in metadata.items()}
