"""The Node runtime `verify` uses: it runs models with the site's CPU and WASM kernels unless told not to."""

from __future__ import annotations

import json
import subprocess

from builders.convert import tfjs_runtime
from builders.convert.tfjs_runtime import RUNNER, compiled_fast_kernels, find_node_modules, runner_env


def run_runner(env: dict, backend: str = "cpu") -> dict:
    proc = subprocess.run(["node", str(RUNNER)], input=json.dumps({"backend": backend, "jobs": []}),
                          capture_output=True, text=True, env=env, timeout=120, check=True)
    return json.loads(proc.stdout)


def test_verify_runs_the_site_kernels_and_benchmarks_can_opt_out():
    fast = run_runner(runner_env())
    assert fast["backend"] == "cpu"
    assert {"BatchMatMul", "_FusedMatMul", "Transpose", "Sub", "Mean", "Softmax"} <= set(fast["fastCpuKernels"])
    assert run_runner(runner_env(stock_kernels=True))["fastCpuKernels"] == []
    wasm = run_runner(runner_env(), backend="wasm")
    assert wasm["backend"] == "wasm"
    assert set(wasm["fastWasmKernels"]) == {"BatchMatMul", "_FusedMatMul"}
    assert run_runner(runner_env(stock_kernels=True), backend="wasm")["fastWasmKernels"] == []


def test_kernels_compile_once_per_source_version():
    first = compiled_fast_kernels(find_node_modules())
    assert first is not None and first.is_file() and first.parent.name == "jaxweb"
    mtime = first.stat().st_mtime_ns
    assert compiled_fast_kernels(find_node_modules()) == first
    assert first.stat().st_mtime_ns == mtime  # reused, not rebuilt


def test_without_the_site_sources_verify_uses_tfjs_kernels(monkeypatch, tmp_path):
    """The converter also works from a copy without site_src/: TF.js's own kernels then."""
    monkeypatch.setattr(tfjs_runtime, "FAST_KERNELS_SOURCE", tmp_path / "missing.ts")
    assert "TFJS_FAST_KERNELS" not in runner_env()
