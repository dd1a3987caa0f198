"""Which TF.js kernels each page bundles: TF.js's "custom bundles", generated from the models.

Every backend package (`@tensorflow/tfjs-backend-cpu`, `-webgl`, `-wasm`) registers all of its
~170 kernels on import; they are ~40% of a page's JavaScript. A page that declares the kernels its
own code runs (`Page.tfjs_kernels`) instead bundles each backend's `dist/base` plus only the kernels
that its models and its code call. The models' kernels are recorded, not guessed: each model runs
once in TF.js under Node with a probe on the engine (`TfjsJob.record_kernels`), because ops call
kernels TF.js's op-to-kernel table does not list (a broadcasting `SelectV2` runs `Tile`).

`kernels_entry` writes, per bundle, a small module that registers those kernels and then imports
the page's entry; `builders/bundle.py` bundles that instead of the entry.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .cache import Cache, hash_files
from .errors import BuildError
from .paths import TOOL_ROOT

BACKENDS = ("cpu", "webgl", "wasm")  # what a page bundles unless it asks for others (`Page.tfjs_backends`)
# Kernels TF.js runs around any model: dtype casts of inputs, clones and reshapes of results.
RUNTIME_KERNELS = frozenset({"Cast", "Identity", "Reshape"})
# WASM kernels that call the Transpose kernel's WASM function themselves (a reduction over an axis
# other than the last, a cumulative sum, space/batch moves): that function is bound by Transpose's
# setup, so Transpose must be registered too, though the probe (on Node's CPU backend) never saw it run.
NEEDS_TRANSPOSE = frozenset({"All", "Any", "ArgMax", "ArgMin", "Max", "Mean", "Min", "Prod", "Sum", "Cumprod",
                             "Cumsum", "BatchToSpaceND", "SpaceToBatchND"})
# Kernel modules named differently from their kernel.
KERNEL_FILES = {"FusedBatchNorm": "BatchNorm", "IsNan": "IsNaN"}
# Registers every kernel config a listed module exports, if the page wants that kernel.
REGISTER_LOOP = """for (const module of MODULES) {
  for (const value of Object.values(module)) {
    const config = value as KernelConfig;
    if (config && typeof config === 'object' && config.backendName && WANTED.has(config.kernelName)) {
      registerKernel(config);
    }
  }
}
"""
_TF_DTYPES = {"DT_FLOAT": np.float32, "DT_INT32": np.int32, "DT_BOOL": np.bool_}


def _zeros(dims: list[dict], dtype: str | None, unknown: int) -> np.ndarray:
    sizes = [int(d.get("size", 1)) for d in dims]
    return np.zeros([n if n > 0 else unknown for n in sizes], _TF_DTYPES.get(dtype, np.float32))


def _inputs_and_outputs(model_dir: Path, unknown: int) -> tuple[dict[str, np.ndarray], list[str]]:
    """Zeros for every input (unknown sizes set to `unknown`) and the output node names: from the
    signature, or for models without one (the official toxicity model) from the Placeholders and
    the nodes nothing consumes."""
    model = json.loads((model_dir / "model.json").read_text())
    nodes = model["modelTopology"]["node"]
    signature = model.get("signature") or {}
    if signature.get("inputs") and signature.get("outputs"):
        inputs = {spec["name"].split(":")[0]: _zeros(spec.get("tensorShape", {}).get("dim", []), spec.get("dtype"),
                                                    unknown) for spec in signature["inputs"].values()}
        return inputs, [spec["name"].split(":")[0] for spec in signature["outputs"].values()]
    inputs = {n["name"]: _zeros(n.get("attr", {}).get("shape", {}).get("shape", {}).get("dim", []),
                                n.get("attr", {}).get("dtype", {}).get("type"), unknown)
              for n in nodes if n["op"] == "Placeholder"}
    consumed = {ref.lstrip("^").split(":")[0] for n in nodes for ref in n.get("input", [])}
    outputs = [n["name"] for n in nodes if n["name"] not in consumed and n["op"] not in ("Const", "Placeholder")]
    return inputs, outputs


def model_kernels(model_dirs: Iterable[Path], cache: Cache) -> set[str]:
    """The kernels TF.js calls to load and run these models (recorded under Node, cached by model.json)."""
    from .convert.tfjs_runtime import RUNNER, TfjsJob, run_tfjs

    dirs = sorted({Path(d) for d in model_dirs})
    if not dirs:
        return set()
    # Which kernels run depends on the models and on TF.js's version (the npm lock file).
    inputs = {"models": [(d / "model.json").read_text() for d in dirs],
              "tfjs": hash_files([RUNNER, TOOL_ROOT / "package-lock.json"])}

    def record(out: Path) -> list[str]:
        # Unknown (batch) sizes 1 and 2: broadcasting against a fixed size-1 axis, and the kernels it
        # adds (Tile), only shows when the size is not 1.
        runs = [(d, unknown) for d in dirs for unknown in (1, 2)]
        jobs = [TfjsJob(d, *_inputs_and_outputs(d, n), record_kernels=True) for d, n in runs]
        kernels: set[str] = set()
        for (d, _), result in zip(runs, run_tfjs(jobs, backend="cpu")):
            if result.error is not None:
                raise BuildError(f"could not run {d / 'model.json'} in TF.js to list its kernels: {result.error}")
            kernels.update(result.kernels or [])
        return sorted(kernels)

    return set(cache.run("tfjs-kernels", inputs, record).value)


def kernel_modules(kernels: Iterable[str], node_modules: Path, backends: Iterable[str] = BACKENDS) -> list[str]:
    """Import paths of the kernel modules, for every one of `backends` that has the kernel."""
    modules = []
    for kernel in sorted(set(kernels)):
        # The backends do not agree on some file names (IsNaN.js in cpu and webgl, IsNan.js in wasm).
        files = dict.fromkeys([KERNEL_FILES.get(kernel, kernel), kernel])
        for backend in backends:
            package = f"@tensorflow/tfjs-backend-{backend}"
            for file in files:
                if (node_modules / package / "dist" / "kernels" / f"{file}.js").is_file():
                    modules.append(f"{package}/dist/kernels/{file}")
                    break
    return modules


def kernels_entry(name: str, entry: Path, kernels: set[str] | None, out_dir: Path, node_modules: Path,
                  backends: Iterable[str] = BACKENDS) -> Path:
    """Write `<out_dir>/<name>.kernels.ts` (registers the kernels of `backends`) and a wrapper that
    imports it, then `entry`; return the wrapper. `kernels=None` registers every kernel of every backend."""
    backends = tuple(backends)
    stem = re.sub(r"\W", "_", name)
    registry = out_dir / f"{stem}.kernels.ts"
    if kernels is None:
        body = "".join(f"import '@tensorflow/tfjs-backend-{b}';\n" for b in backends)
        header = "// Generated by builders/tfjs_kernels.py: every kernel of every backend.\n"
    else:
        wanted = set(kernels) | RUNTIME_KERNELS
        wanted = sorted(wanted | ({"Transpose"} if wanted & NEEDS_TRANSPOSE else set()))
        modules = kernel_modules(wanted, node_modules, backends)
        header = (f"// Generated by builders/tfjs_kernels.py: the {len(wanted)} TF.js kernels this page runs "
                  "(its models' and its own), for each backend.\n")
        body = "import {KernelConfig, registerKernel} from '@tensorflow/tfjs-core';\n"
        body += "".join(f"import '@tensorflow/tfjs-backend-{b}/dist/base';\n" for b in backends)
        body += "".join(f"import * as k{i} from '{m}';\n" for i, m in enumerate(modules))
        body += f"\nconst WANTED = new Set({json.dumps(wanted)});\n"
        body += f"const MODULES: Record<string, unknown>[] = [{', '.join(f'k{i}' for i in range(len(modules)))}];\n"
        body += REGISTER_LOOP
    registry.write_text(header + body)
    wrapper = out_dir / f"{stem}.entry.ts"
    # Two modules, because imports are evaluated before a module's own body: the kernels must be
    # registered before the entry's modules run (site_src/common/tfjs.ts wraps some of them).
    wrapper.write_text(f"import './{registry.stem}';\nimport {json.dumps(str(entry.resolve()))};\n")
    return wrapper
