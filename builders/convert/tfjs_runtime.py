"""Run TF.js graph models in a real TF.js under Node.js (CPU or WASM backend)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..paths import TOOL_ROOT, esbuild_executable, node_executable
from .dtypes import tfjs_dtype
from .errors import NodeRuntimeError

RUNNER = Path(__file__).with_name("js") / "run_graph_model.cjs"
# The site's faster kernels for TF.js's CPU and WASM backends (entry point; it imports siblings
# in site_src/common/). `verify` registers them too, so it checks a model with the kernels the
# pages run.
FAST_KERNELS_SOURCE = TOOL_ROOT / "site_src" / "common" / "fast_kernels.ts"


def find_node_modules() -> Path:
    """The node_modules folder holding @tensorflow/tfjs.

    `JAXWEB_NODE_MODULES` wins; otherwise the current directory and this
    package's parents are searched, then the tool's own (the installed tool carries one).
    """
    env = os.environ.get("JAXWEB_NODE_MODULES")
    candidates = [Path(env)] if env else []
    for base in (Path.cwd(), *Path(__file__).resolve().parents):
        candidates.append(base / "node_modules")
    candidates.append(TOOL_ROOT / "node_modules")
    for candidate in candidates:
        if (candidate / "@tensorflow" / "tfjs" / "package.json").is_file():
            return candidate
    raise NodeRuntimeError(
        "@tensorflow/tfjs is not installed: run `npm ci` in the project folder "
        "(or set JAXWEB_NODE_MODULES to a node_modules folder that has it)"
    )


def compiled_fast_kernels(node_modules: Path) -> Path | None:
    """`FAST_KERNELS_SOURCE` compiled to CommonJS for Node, or None when the source is not there.

    Compiled once per source version into `node_modules/.cache/jaxweb/`, where the module's own
    `require('@tensorflow/tfjs-core')` resolves to the project's TF.js (into `~/.cache/jaxweb/`
    when that folder is read-only, as an installed tool's may be).
    """
    if not FAST_KERNELS_SOURCE.is_file():
        return None
    digest = hashlib.sha256()
    # Every module beside it, not just the ones it imports today: recompiling is cheap, a stale
    # copy is not.
    for source in sorted(p for p in FAST_KERNELS_SOURCE.parent.glob("*.ts") if not p.name.endswith("_test.ts")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    name = f"fast_kernels-{digest.hexdigest()[:12]}.cjs"
    out = node_modules / ".cache" / "jaxweb" / name
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        writable = os.access(out.parent, os.W_OK)
    except OSError:
        writable = False
    if not writable:  # an installed tool's folder may be read-only: the user's cache (`runner_env` sets NODE_PATH)
        out = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "jaxweb" / name
        out.parent.mkdir(parents=True, exist_ok=True)
    if out.is_file():
        return out
    esbuild = esbuild_executable(node_modules)
    if esbuild is None:
        raise NodeRuntimeError("esbuild is not installed: run `npm ci` in the project folder")
    tmp = out.with_name(f"{out.stem}.{os.getpid()}.tmp.cjs")
    proc = subprocess.run([str(esbuild), str(FAST_KERNELS_SOURCE), "--bundle", "--platform=node", "--format=cjs",
                           "--packages=external", "--log-level=warning", f"--outfile={tmp}"],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise NodeRuntimeError(f"compiling {FAST_KERNELS_SOURCE.name} for Node failed:\n{proc.stderr.strip()}")
    os.replace(tmp, out)  # atomic: concurrent test workers never see half a file
    return out


def runner_env(stock_kernels: bool = False) -> dict[str, str]:
    """Environment for `RUNNER` (and scripts that require it): where TF.js is, and which kernels.

    `stock_kernels=True` leaves TF.js's own kernels in place (for benchmarks), instead of the
    site's faster CPU and WASM ones.
    """
    node_modules = find_node_modules()
    # NODE_PATH: the compiled kernels' `require('@tensorflow/tfjs-core')` when they are not in node_modules.
    env = {**os.environ, "TFJS_NODE_MODULES": str(node_modules), "NODE_PATH": str(node_modules)}
    env.pop("TFJS_FAST_KERNELS", None)
    kernels = None if stock_kernels else compiled_fast_kernels(node_modules)
    if kernels is not None:
        env["TFJS_FAST_KERNELS"] = str(kernels)
    return env


@dataclass
class TfjsJob:
    """One model run: inputs by placeholder name, and the node names to fetch."""

    model_dir: Path
    inputs: Mapping[str, np.ndarray]
    outputs: Sequence[str]
    record_kernels: bool = False  # also report the TF.js kernels the load and the run called


@dataclass
class TfjsResult:
    outputs: list[np.ndarray] | None
    error: str | None
    ms: float = 0.0
    kernels: list[str] | None = None  # with `TfjsJob.record_kernels`


def model_io_names(model_dir: Path) -> tuple[list[str], list[str]]:
    """Input placeholder names (in argument order) and signature output names (in order)."""
    model = json.loads((Path(model_dir) / "model.json").read_text())
    inputs = [n["name"] for n in model["modelTopology"]["node"] if n["op"] == "Placeholder"]
    outputs = list(model["signature"]["outputs"])

    def index(name: str) -> tuple[int, str]:
        tail = name.rsplit("_", 1)[-1]
        return (int(tail), name) if tail.isdigit() else (1 << 30, name)

    return inputs, sorted(outputs, key=index)


def write_input(name: str, value, file: Path) -> dict:
    """Write one input as the runners read it (little-endian float32/int32, bool as bytes) and return
    its spec: `{"name", "dtype", "shape", "file"}`."""
    arr = np.asarray(value)
    dtype = tfjs_dtype(arr.dtype)
    arr = arr.astype(np.uint8 if dtype == "bool" else dtype)
    file.write_bytes(np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes())
    return {"name": name, "dtype": dtype, "shape": list(arr.shape), "file": str(file)}


def run_tfjs(jobs: Sequence[TfjsJob], backend: str = "cpu", timeout: float = 600) -> list[TfjsResult]:
    """Run all `jobs` in one Node process and return their outputs in order."""
    node = node_executable()
    if node is None:
        raise NodeRuntimeError("Node.js is not installed: install Node.js 20 or newer")
    env = runner_env()
    with tempfile.TemporaryDirectory(prefix="tfjs-run-") as tmp:
        request = {"backend": backend, "jobs": []}
        for j, job in enumerate(jobs):
            job_dir = Path(tmp) / f"job{j}"
            job_dir.mkdir()
            specs = [write_input(name, value, job_dir / f"in_{name}.bin") for name, value in job.inputs.items()]
            request["jobs"].append({"model_dir": str(Path(job.model_dir).resolve()), "inputs": specs,
                                    "outputs": list(job.outputs), "out_dir": str(job_dir),
                                    "record_kernels": job.record_kernels})
        proc = subprocess.run(
            [node, str(RUNNER)], input=json.dumps(request), capture_output=True, text=True,
            env=env, timeout=timeout,
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
            results.append(TfjsResult(arrays, None, res["ms"], res.get("kernels")))
        return results
