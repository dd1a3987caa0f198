"""The benchmark page, `python -m builders.bench` and page weight, on the smoke-built site.

No timed assertions: timings depend on the machine. These tests check that every model is
offered and measured, that the numbers are present and well-formed, and which backend ran.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from builders.bench import format_table, load_specs
from builders.benchmark_page import BATCH_BY_PAGE, benchmark_page, discover_benchmarks
from builders.build import PROJECT_ROOT
from builders.demos.base import Page
from builders.errors import BuildError
from builders.page_weight import PageWeight, format_weights, over_budget, page_weights

NUMBER_FIELDS = ("loadMs", "firstMs", "warmupMs", "meanMs", "medianMs", "minMs", "maxMs", "p90Ms", "stdMs")


def _write_model(folder: Path, inputs: dict) -> Path:
    """A model.json with the given signature inputs ({key: (dtype, dims)}), as TF.js writes them."""
    folder.mkdir(parents=True, exist_ok=True)
    signature = {k: {"name": f"{k}:0", "dtype": dtype, "tensorShape": {"dim": [{"size": str(d)} for d in dims]}}
                 for k, (dtype, dims) in inputs.items()}
    path = folder / "model.json"
    path.write_text(json.dumps({"format": "graph-model", "modelTopology": {}, "signature": {"inputs": signature},
                                "weightsManifest": [{"paths": ["group1-shard1of1.bin"], "weights": []}]}))
    (folder / "group1-shard1of1.bin").write_bytes(b"\0" * 64)
    return path


def _page(name: str, folder: Path, site_dir: str) -> Page:
    return Page(name, name, "", f"{name}/index.html",
                files={f"{site_dir}/model.json": folder / "model.json",
                       f"{site_dir}/group1-shard1of1.bin": folder / "group1-shard1of1.bin"})


def test_lit_text_tower_gets_the_articles_5x16_tokens(tmp_path):
    _write_model(tmp_path / "tiny", {"input_0": ("DT_INT32", [-1, 16])})
    (spec,) = discover_benchmarks(_page("lit", tmp_path / "tiny", "data/models/lit/tiny/tfjs"))
    assert BATCH_BY_PAGE["lit"] == (5, 16)
    assert spec["id"] == "lit/tiny"
    assert spec["url"] == "models/lit/tiny/tfjs/model.json"
    assert spec["inputs"] == [{"name": "input_0", "shape": [5, 16], "dtype": "int32", "kind": "tokens", "max": 100}]
    assert spec["weight_bytes"] == 64
    _write_model(tmp_path / "img", {"input_0": ("DT_FLOAT", [-1, 224, 224, 3])})
    (image,) = discover_benchmarks(_page("lit", tmp_path / "img", "data/models/lit/tiny-image/tfjs"))
    assert image["inputs"][0]["shape"] == [1, 224, 224, 3]  # one image, not five


def test_mnist_gets_one_image_and_official_toxicity_one_sparse_text(tmp_path):
    _write_model(tmp_path / "mnist", {"input_0": ("DT_FLOAT", [-1, 28, 28, 1])})
    (mnist,) = discover_benchmarks(_page("mnist", tmp_path / "mnist", "data/models/mnist"))
    assert mnist["id"] == "mnist/mnist"
    assert mnist["inputs"][0]["shape"] == [1, 28, 28, 1] and mnist["inputs"][0]["kind"] == "random"
    _write_model(tmp_path / "tox", {"Placeholder": ("DT_INT32", [-1]), "Placeholder_1": ("DT_INT32", [-1, 2])})
    (tox,) = discover_benchmarks(_page("toxicity", tmp_path / "tox", "data/models/toxicity"))
    by_name = {i["name"]: i for i in tox["inputs"]}
    assert by_name["Placeholder"] == {"name": "Placeholder", "shape": [16], "dtype": "int32", "kind": "tokens",
                                      "max": 100}
    assert by_name["Placeholder_1"] == {"name": "Placeholder_1", "shape": [16, 2], "dtype": "int32",
                                        "kind": "sparse_indices", "rows": 1}


def test_explicit_page_benchmarks_win_and_a_model_without_signature_is_named(tmp_path):
    page = _page("lit", tmp_path, "data/models/lit/tiny/tfjs")
    page.benchmarks = [{"name": "tiny", "url": "models/lit/tiny/tfjs/model.json",
                        "inputs": [{"name": "input_0", "shape": [5, 16], "dtype": "int32", "kind": "tokens"}]}]
    (spec,) = discover_benchmarks(page)
    assert spec["id"] == "lit/tiny" and spec["note"] == "input_0 5x16 int32"
    (tmp_path / "model.json").write_text(json.dumps({"format": "graph-model", "weightsManifest": []}))
    with pytest.raises(BuildError, match=r"data/models/lit/tiny/tfjs/model.json: model.json has no signature"):
        discover_benchmarks(_page("lit", tmp_path, "data/models/lit/tiny/tfjs"))
    assert benchmark_page([Page("x", "x", "", "x.html")]) is None


def test_budgets_warn_per_page_and_budget():
    weights = [PageWeight("mnist", 900 * 1024, 250 * 1024, 2048), PageWeight("lit", 2000 * 1024, 400 * 1024, 0)]
    warnings = over_budget(weights, bundle_kb=1000, bundle_gzip_kb=300, data_kb=0)
    assert warnings == [
        "lit: bundle is 2000 KB, over the 1000 KB budget (site.toml [site] budget_bundle_kb); "
        "trim the page or raise the budget",
        "lit: gzipped bundle is 400 KB, over the 300 KB budget (site.toml [site] budget_bundle_gzip_kb); "
        "trim the page or raise the budget",
    ]
    assert over_budget(weights, 0, 0, 0) == []
    table = format_weights(weights).splitlines()
    assert table[0].split() == ["page", "bundle", "gzip", "data"]
    assert table[2].split() == ["mnist", "900.0", "KB", "250.0", "KB", "2.0", "KB"]


def test_built_site_has_the_benchmark_page_and_page_weights(built_site):
    specs = load_specs(built_site)
    shipped = sorted(str(p.relative_to(built_site / "data")) for p in (built_site / "data").rglob("model.json"))
    assert sorted(s["url"] for s in specs) == shipped
    weights = page_weights([Page(s["page"], "", "", "") for s in specs] + [Page("benchmark", "", "", "")], built_site)
    for w in weights:
        assert 0 < w.bundle_gzip_bytes < w.bundle_bytes, w


def _check_result(row: dict, runs: int) -> None:
    for key in NUMBER_FIELDS:
        assert isinstance(row[key], (int, float)) and math.isfinite(row[key]) and row[key] >= 0, (key, row)
    assert row["runs"] == runs and len(row["times"]) == runs
    assert row["minMs"] <= row["medianMs"] <= row["maxMs"]
    assert row["peakBytes"] > 0 and row["kernels"] > 0
    assert row["leakedTensors"] == 0, "the benchmark must not leak tensors"


def test_cli_measures_every_model_in_chromium_and_node(built_site, chromium, tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, "-m", "builders.bench", "--site", str(built_site), "--backends", "wasm,cpu",
                           "--runs", "3", "--warmups", "1", "--page-loads", "1", "--json", str(out)],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert "| runtime | backend | model | inputs | load ms |" in proc.stdout
    assert "machine: " in proc.stdout and "CPUs" in proc.stdout
    report = json.loads(out.read_text())
    specs = load_specs(built_site)
    rows = report["results"]
    expected = {(rt, b, s["id"]) for rt in ("chromium", "node") for b in ("wasm", "cpu") for s in specs}
    assert {(r["runtime"], r.get("requestedBackend"), r["model"]) for r in rows} == expected
    errors = [r for r in rows if "error" in r]
    assert not errors, errors
    for row in rows:
        _check_result(row, 3)
        assert row["backend"] == row["requestedBackend"]  # the backend that really ran
        if row["backend"] == "wasm":
            assert row["wasmThreads"] == 1  # single-threaded: no cross-origin isolation here
            # The site's matrix products ran (Chromium has relaxed SIMD; Node 20 only behind a flag).
            assert row["wasmMatMul"] in ("site, relaxed SIMD", "site, SIMD"), row["wasmMatMul"]
    for spec in specs:
        assert f"| chromium | wasm, 1 thread | {spec['id']} |" in proc.stdout
    assert "targets checked by this run:" in proc.stdout
    assert "WASM matrix products: chromium: site, relaxed SIMD; node" in proc.stdout
    if any(s["id"].startswith("mnist/") for s in specs):
        assert "- MNIST on WASM in Chromium: median " in proc.stdout
    for page in {s["page"] for s in specs}:
        assert f"- {page}/?backend=wasm (wasm): ready in " in proc.stdout
    assert {(p["page"], p["query"]) for p in report["pages"]} == {
        (s["page"], q) for s in specs for q in ("", "?backend=wasm", "?backend=cpu")}
    assert all(p["backend"] == p["query"].removeprefix("?backend=") for p in report["pages"] if p["query"])
    for p in report["pages"]:
        assert p["loadEventMs"] > 0 and p["requests"] > 0 and p["readyMs"] >= p["lastResponseMs"] > 0, p


def test_cli_rejects_an_unknown_backend_and_a_missing_site(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "builders.bench", "--backends", "wasm,metal"], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "error: --backends: unknown backend metal; choose from webgl, wasm, cpu, webgpu" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "builders.bench", "--site", str(tmp_path / "nope")],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert f"benchmark/index.html not found: build the site first (python -m builders.build --out {tmp_path}/nope)" \
        in proc.stderr


def test_table_shows_errors_and_the_backend_that_ran():
    table = format_table([
        {"runtime": "chromium", "requestedBackend": "webgpu", "model": "mnist/mnist", "error": "no WebGPU"},
        {"runtime": "chromium", "requestedBackend": "webgl", "backend": "cpu", "model": "jax/static",
         "inputs": "input_0 3x2 float32", "loadMs": 12.0, "firstMs": 3.0, "warmupMs": 1.0, "meanMs": 0.5,
         "medianMs": 0.25, "minMs": 0.125, "p90Ms": 1.0, "runs": 5, "peakBytes": 2048, "wasmThreads": None},
    ]).splitlines()
    assert table[2].startswith("| chromium | webgpu | mnist/mnist | error: no WebGPU |")
    assert table[3] == ("| chromium | cpu (asked webgl) | jax/static | input_0 3x2 float32 | 12.0 | 3.00 | 1.00 | "
                        "0.50 | 0.25 | 0.12 | 1.00 | 5 | 2.0 KB | - |")


def test_page_runs_a_model_on_wasm_single_threaded(site_server, browser_page):
    page = browser_page
    page.goto(site_server + "benchmark/index.html?backend=wasm")
    page.wait_for_selector('[data-testid="status"][data-state="ready"]')
    backends = page.eval_on_selector_all('[data-testid="backend-select"] option', "els => els.map(e => e.value)")
    assert backends == ["webgl", "wasm", "cpu", "webgpu"]
    models = page.eval_on_selector_all('[data-testid="model-select"] option', "els => els.map(e => e.value)")
    assert models and "jax/static" in models
    assert page.input_value('[data-testid="backend-select"]') == "wasm"
    page.select_option('[data-testid="model-select"]', "jax/static")
    page.fill('[data-testid="runs"]', "4")
    page.click('[data-testid="run"]')
    page.wait_for_selector('[data-testid="status"][data-state="done"]')
    (result,) = json.loads(page.input_value('[data-testid="results-json"]'))
    assert result["model"] == "jax/static" and result["backend"] == "wasm" and result["wasmThreads"] == 1
    assert result["wasmMatMul"] == "site, relaxed SIMD"  # Chromium 114+: fused multiply-adds
    assert result["crossOriginIsolated"] is False
    assert result["shardFiles"] >= 1 and result["shardsInFlight"] >= 1
    assert page.get_attribute('[data-testid="progress"]', "value") == "100"  # load progress reached the end
    _check_result(result, 4)
    assert 'tf.getBackend() = "wasm"' in page.inner_text('[data-testid="status"]')
    assert len(page.query_selector_all('[data-testid="result-row"]')) == 1
    assert not [u for u in page.requests if "threaded" in u], "threaded WASM must not load without isolation"
    assert any(u.endswith("tfjs-backend-wasm-simd.wasm") for u in page.requests)
    page.fill('[data-testid="runs"]', "0")
    page.click('[data-testid="run"]')
    page.wait_for_selector('[data-testid="status"][data-state="error"]')
    assert page.inner_text('[data-testid="messages"]') == "Runs must be a whole number from 1 to 1000."
    assert page.console_errors == []


def test_build_prints_page_weights_and_warns_over_budget(tmp_path, capsys):
    from builders.build import main as build_main

    config = tmp_path / "site.toml"
    config.write_text("[site]\nbudget_bundle_kb = 100\nbudget_bundle_gzip_kb = 0\n")
    assert build_main(["--config", str(config), "--out", str(tmp_path / "_site"), "--only", "jax"]) == 0
    out, err = capsys.readouterr()
    table = out[out.index("page  "):].split("\n\n")[0].splitlines()
    assert table[0].split() == ["page", "bundle", "gzip", "data"]
    rows = {line.split()[0]: line.split() for line in table[2:]}
    assert set(rows) == {"jax", "benchmark"}, out
    bundle = next((tmp_path / "_site" / "assets").glob("jax-*.js"))
    assert rows["jax"][1:3] == [f"{bundle.stat().st_size / 1024:.1f}", "KB"]
    assert (f"warning: jax: bundle is {bundle.stat().st_size / 1024:.0f} KB, over the 100 KB budget "
            "(site.toml [site] budget_bundle_kb); trim the page or raise the budget") in err
    assert "gzipped" not in err  # a budget of 0 is no budget
    assert (tmp_path / "_site" / "benchmark" / "index.html").is_file()


def test_demo_page_on_wasm_loads_the_single_threaded_simd_build(site_server, browser_page):
    """configureWasm (site_src/common/backend.ts) serves every page, not just the benchmark."""
    page = browser_page
    page.goto(site_server + "jax/index.html?backend=wasm")
    page.wait_for_selector('[data-testid="match"][data-state="match"]')
    assert "running on WASM" in page.inner_text('[data-testid="status"]')
    wasm = [u for u in page.requests if u.endswith(".wasm")]
    assert wasm == [site_server + "assets/wasm/tfjs-backend-wasm-simd.wasm"]
    assert page.console_errors == []


def test_a_model_cards_measure_link_times_that_model_on_this_device(site_server, browser_page):
    page = browser_page
    page.goto(site_server + "models/jax-static.html")
    page.click('[data-testid="measure"]')  # opens the benchmark page with ?model=jax/static&run=1
    page.wait_for_selector('[data-testid="status"][data-state="done"]')
    (result,) = json.loads(page.input_value('[data-testid="results-json"]'))
    assert result["model"] == "jax/static" and result["runs"] == 10
    assert page.console_errors == []
