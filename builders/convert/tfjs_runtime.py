"""Run TF.js graph models in a real TF.js under Node.js (CPU or WASM backend)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .dtypes import tfjs_dtype
from .errors import NodeRuntimeError

RUNNER = Path(__file__).with_name("js") / "run_graph_model.cjs"


def find_node_modules() -> Path:
    """The node_modules folder holding @tensorflow/tfjs.

    `JAXWEB_NODE_MODULES` wins; otherwise the current directory and this
    package's parents are searched.
    """
    env = os.environ.get("JAXWEB_NODE_MODULES")
    candidates = [Path(env)] if env else []
    for base in (Path.cwd(), *Path(__file__).resolve().parents):
        candidates.append(base / "node_modules")
    for candidate in candidates:
        if (candidate / "@tensorflow" / "tfjs" / "package.json").is_file():
            return candidate
    raise NodeRuntimeError(
        "@tensorflow/tfjs is not installed: run `npm ci` in the project folder "
        "(or set JAXWEB_NODE_MODULES to a node_modules folder that has it)"
    )


@dataclass
class TfjsJob:
    """One model run: inputs by placeholder name, and the node names to fetch."""

    model_dir: Path
    inputs: Mapping[str, np.ndarray]
    outputs: Sequence[str]


@dataclass
class TfjsResult:
    outputs: list[np.ndarray] | None
    error: str | None
    ms: float = 0.0


def model_io_names(model_dir: Path) -> tuple[list[str], list[str]]:
    """Input placeholder names (in argument order) and signature output names (in order)."""
    model = json.loads((Path(model_dir) / "model.json").read_text())
    inputs = [n["name"] for n in model["modelTopology"]["node"] if n["op"] == "Placeholder"]
    outputs = list(model["signature"]["outputs"])

    def index(name: str) -> tuple[int, str]:
        tail = name.rsplit("_", 1)[-1]
        return (int(tail), name) if tail.isdigit() else (1 << 30, name)

    return inputs, sorted(outputs, key=index)


def run_tfjs(jobs: Sequence[TfjsJob], backend: str = "cpu", timeout: float = 600) -> list[TfjsResult]:
    """Run all `jobs` in one Node process and return their outputs in order."""
    node = shutil.which("node")
    if node is None:
        raise NodeRuntimeError("Node.js is not installed: install Node.js 20 or newer")
    node_modules = find_node_modules()
    with tempfile.TemporaryDirectory(prefix="tfjs-run-") as tmp:
        request = {"backend": backend, "jobs": []}
        for j, job in enumerate(jobs):
            job_dir = Path(tmp) / f"job{j}"
            job_dir.mkdir()
            specs = []
            for name, value in job.inputs.items():
                arr = np.asarray(value)
                dtype = tfjs_dtype(arr.dtype)
                arr = arr.astype(np.uint8 if dtype == "bool" else dtype)
                file = job_dir / f"in_{name}.bin"
                file.write_bytes(np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes())
                specs.append({"name": name, "dtype": dtype, "shape": list(arr.shape), "file": str(file)})
            request["jobs"].append({"model_dir": str(Path(job.model_dir).resolve()), "inputs": specs,
                                    "outputs": list(job.outputs), "out_dir": str(job_dir)})
        proc = subprocess.run(
            [node, str(RUNNER)], input=json.dumps(request), capture_output=True, text=True,
            env={**os.environ, "TFJS_NODE_MODULES": str(node_modules)}, timeout=timeout,
        )
        if proc.returncode != 0:
            raise NodeRuntimeError(f"running TF.js under Node failed (exit {proc.returncode}):\n{proc.stderr.strip()}")
        reply = json.loads(proc.stdout)
        results = []
        for res in reply["results"]:
            if not res["ok"]:
                results.append(TfjsResult(None, res["error"]))
                continue
            arrays = []
            for out in res["outputs"]:
                raw = Path(out["file"]).read_bytes()
                np_dtype = {"float32": "<f4", "int32": "<i4", "bool": "u1"}[out["dtype"]]
                arr = np.frombuffer(raw, np_dtype).reshape(out["shape"])
                arrays.append(arr.astype(bool) if out["dtype"] == "bool" else arr.copy())
            results.append(TfjsResult(arrays, None, res["ms"]))
        return results
