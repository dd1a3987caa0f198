"""A backend probe stored in model.json: one verified input and JAX's outputs for it.

TF.js's GPU backends (WebGPU, WebGL) are not checked at build time (Node has neither), and on a
real device they can be wrong: 16-bit float textures on phones, driver bugs, buffer limits of a
software adapter. A page that loads the model runs the probe once on such a backend, compares with
JAX's numbers, and moves on to the next backend when they differ (site_src/common/probe.ts).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .dtypes import tfjs_dtype
from .writer import _atomic_write

# Larger probes are not stored: model.json stays small, and a page's first run stays cheap.
MAX_PROBE_VALUES = 4096


def _numbers(a: np.ndarray) -> list:
    """JSON numbers; NaN/Inf as null (JSON has none), so a page can skip them."""
    flat = a.reshape(-1)
    if a.dtype == np.bool_:
        return [int(v) for v in flat]
    if np.issubdtype(a.dtype, np.integer):
        return [int(v) for v in flat]
    return [float(v) if np.isfinite(v) else None for v in flat.astype(np.float64)]


def probe_metadata(input_names: Sequence[str], inputs: Sequence[np.ndarray], output_names: Sequence[str],
                   outputs: Sequence[np.ndarray]) -> dict | None:
    """The probe for model.json's `userDefinedMetadata.probe`, or None when it would be too large
    or holds types a page cannot compare (complex numbers, strings)."""
    arrays = [np.asarray(a) for a in (*inputs, *outputs)]
    if sum(a.size for a in arrays) > MAX_PROBE_VALUES:
        return None
    try:
        dtypes = [tfjs_dtype(a.dtype) for a in arrays]
    except TypeError:
        return None
    if any(d not in ("float32", "int32", "bool") for d in dtypes):
        return None
    n = len(inputs)
    return {
        "inputs": [{"name": name, "dtype": dtypes[i], "shape": list(a.shape), "values": _numbers(a)}
                   for i, (name, a) in enumerate(zip(input_names, arrays[:n]))],
        "outputs": [{"name": name, "shape": list(a.shape), "values": _numbers(a)}
                    for name, a in zip(output_names, arrays[n:])],
    }


def write_probe(model_dir: Path, probe: dict) -> None:
    """Add `probe` to model.json's `userDefinedMetadata` (rewritten atomically, same JSON style)."""
    path = Path(model_dir) / "model.json"
    model = json.loads(path.read_text())
    model.setdefault("userDefinedMetadata", {})["probe"] = probe
    _atomic_write(path, json.dumps(model, separators=(",", ":"), sort_keys=True).encode())
