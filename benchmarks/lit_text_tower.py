"""Time a LiT-Ti-sized text tower (8.5M parameters) on 5x16 tokens, in headless Chromium and Node.

    .venv/bin/python benchmarks/lit_text_tower.py [--backends wasm,webgl] [--runs 20] [--quantization none,float16]

The target: on WASM in headless Chromium (2 cores), faster than the same tower exported
with jax2onnx and run by ONNX Runtime Web (94 ms median, model load 4.2 s), and loading in under
1 s. The tower is big_vision's text transformer as the LiT demo uses it (builders/demos/lit/models.py)
at LiT-Ti size: vocabulary 16000, width 192, 12 blocks, 3 heads, MLP 768, 16 tokens, randomly
initialised (speed does not depend on the weights' values). It is converted with our converter,
checked against JAX in TF.js, then published into a one-page site (the benchmark page only) that
`python -m builders.bench` drives, so the numbers come from the same page visitors use.

When jax2onnx and onnxruntime-web are installed, the same tower (same weights) is also exported
with jax2onnx and timed in the same Chromium with ONNX Runtime Web on WASM, one thread
(benchmarks/ort_page/), the reference. jax2onnx pulls many packages, so it lives apart
from the project's venv: `.venv/bin/pip install --target .cache/bench-tools jax2onnx==0.17.1`
(the project's own jax stays first on sys.path); onnxruntime-web is a devDependency.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # also runs as `python benchmarks/lit_text_tower.py`

from benchmarks.lit_onnx import onnx_exportable_text_embed_fn  # noqa: E402
from builders import bench  # noqa: E402
from builders.benchmark_page import benchmark_page  # noqa: E402
from builders.build import PROJECT_ROOT, assemble  # noqa: E402
from builders.cache import Cache, hash_code  # noqa: E402
from builders.config import SiteConfig, SiteSettings  # noqa: E402
from builders.demos.base import Page  # noqa: E402

TOWER = {"vocab_size": 16000, "width": 192, "depth": 12, "num_heads": 3, "mlp_dim": 768, "max_len": 16,
         "out_dim": 192}
BATCH = 5  # the article's 5 prompts


def convert_tower(cache: Cache, quantization: str | None):
    """The converted tower (cached): folder with model.json + shards, verified against JAX on WASM."""
    import jax  # noqa: PLC0415 - slow import, only when converting

    from builders import convert  # noqa: PLC0415
    from builders.demos.lit import models  # noqa: PLC0415

    def build(out: Path) -> dict:
        config = models.TextConfig(**TOWER)
        params = models.TextTransformer(config).init(
            jax.random.PRNGKey(0), np.zeros((1, config.max_len), np.int32))["params"]
        fn = models.text_embed_fn(config)
        result = convert.convert_jax(fn, params, input_signatures=[((None, config.max_len), np.int32)],
                                     polymorphic_shapes=[f"(b, {config.max_len})"], model_dir=out / "tfjs",
                                     quantization=quantization)
        tokens = np.random.default_rng(0).integers(1, config.vocab_size, (BATCH, config.max_len)).astype(np.int32)
        tol = 1e-4 if quantization is None else 5e-2
        report = convert.verify(out / "tfjs", fn, params, [tokens], atol=tol, rtol=tol, backend="wasm")
        if not report.ok:
            raise RuntimeError("the converted tower disagrees with JAX: " + report.summary())
        return {"params": int(sum(x.size for x in jax.tree_util.tree_leaves(params))),
                "nodes": result.node_count, "weight_bytes": result.weight_bytes,
                "max_abs_error": report.max_abs_error}

    inputs = {"tower": TOWER, "quantization": quantization, "code": hash_code(convert, models)}
    return cache.run(f"bench-lit-ti-{quantization or 'float32'}", inputs, build)


BENCH_TOOLS = Path(__file__).resolve().parents[1] / ".cache" / "bench-tools"
ORT_DIST = Path(__file__).resolve().parents[1] / "node_modules" / "onnxruntime-web" / "dist"
ORT_FILES = ("ort.wasm.bundle.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")


def export_onnx(cache: Cache):
    """The float32 tower exported by jax2onnx (cached), checked against JAX with onnxruntime; None if
    jax2onnx is not installed."""
    if str(BENCH_TOOLS) not in sys.path:
        sys.path.append(str(BENCH_TOOLS))  # appended: the project's jax and flax win
    try:
        import jax2onnx  # noqa: F401, PLC0415
    except ImportError:
        return None
    import jax  # noqa: PLC0415

    from builders.demos.lit import models  # noqa: PLC0415

    def build(out: Path) -> dict:
        import onnxruntime  # noqa: PLC0415
        from jax2onnx import to_onnx  # noqa: PLC0415

        config = models.TextConfig(**TOWER)
        params = models.TextTransformer(config).init(
            jax.random.PRNGKey(0), np.zeros((1, config.max_len), np.int32))["params"]
        fn = models.text_embed_fn(config)
        sliced = onnx_exportable_text_embed_fn(config)
        to_onnx(lambda tokens: sliced(params, tokens),
                [jax.ShapeDtypeStruct(("B", config.max_len), np.int32)],
                return_mode="file", output_path=str(out / "tower.onnx"))
        tokens = np.random.default_rng(0).integers(1, config.vocab_size, (BATCH, config.max_len)).astype(np.int32)
        session = onnxruntime.InferenceSession(str(out / "tower.onnx"))
        got = session.run(None, {session.get_inputs()[0].name: tokens})[0]
        err = float(np.abs(got - np.asarray(fn(params, tokens))).max())
        if err > 1e-4:
            raise RuntimeError(f"the jax2onnx export disagrees with JAX (max |err| {err:.2g})")
        # jax2onnx keeps big tensors in tower.onnx.data (external data), which ORT Web loads alongside.
        return {"bytes": sum(f.stat().st_size for f in out.glob("tower.onnx*")), "max_abs_error": err,
                "files": sorted(f.name for f in out.glob("tower.onnx*"))}

    inputs = {"tower": TOWER, "code": hash_code(models), "jax2onnx": importlib.metadata.version("jax2onnx")}
    return cache.run("bench-lit-ti-onnx", inputs, build)


def run_ort(site: Path, runs: int, warmups: int) -> dict:
    """Time the ONNX tower with ONNX Runtime Web (WASM, 1 thread) in headless Chromium."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    server = bench._Server(site)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=bench.CHROMIUM, args=bench.CHROMIUM_ARGS, headless=True)
            page = browser.new_page()
            page.goto(server.url + "ort/index.html")
            page.wait_for_function("() => window.benchOrtReady === true", timeout=60_000)
            raw = page.evaluate("args => window.benchOrt(args)", {
                "modelUrl": server.url + "ort/tower.onnx", "runs": runs, "warmups": warmups,
                "externalData": [f.name for f in sorted((site / "ort").glob("tower.onnx.*"))],
                "shape": [BATCH, TOWER["max_len"]]})
            browser.close()
    finally:
        server.close()
    times = raw["times"]
    return {"runtime": "chromium", "backend": f"onnxruntime-web {raw['version']} wasm", "wasmThreads": 1,
            "model": "onnx/lit-ti-float32", "inputs": f"{raw['inputName']} {BATCH}x{TOWER['max_len']} int32",
            "loadMs": raw["loadMs"], "firstMs": raw["firstMs"], "warmupMs": raw["warmupMs"],
            "meanMs": statistics.fmean(times), "medianMs": statistics.median(times), "minMs": min(times),
            "p90Ms": statistics.quantiles(times, n=10, method="inclusive")[-1] if len(times) > 1 else times[0],
            "runs": len(times), "times": times}


def pooled(rows: list[dict]) -> dict[str, dict]:
    """Per model: median over every round's runs, median load time."""
    by_model: dict[str, list[dict]] = {}
    for r in rows:
        by_model.setdefault(r["model"], []).append(r)
    return {model: {**rs[0], "medianMs": statistics.median(t for r in rs for t in r["times"]),
                    "loadMs": statistics.median(r["loadMs"] for r in rs)}
            for model, rs in by_model.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.lit_text_tower", description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="wasm", help="browser backends (default: wasm)")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmups", type=int, default=3)
    parser.add_argument("--quantization", default="none", help="comma-separated: none, float16, uint8")
    parser.add_argument("--no-node", action="store_true")
    parser.add_argument("--no-onnx", action="store_true", help="skip the ONNX Runtime Web comparison")
    parser.add_argument("--rounds", type=int, default=1,
                        help="alternate ONNX Runtime Web and TF.js this many times (ORT first, then last), so "
                             "a change in the machine's load hits both; the targets use every round's runs "
                             "(default: 1)")
    args = parser.parse_args(argv)
    cache = Cache(PROJECT_ROOT / ".cache")
    pages = []
    for q in [q.strip() for q in args.quantization.split(",") if q.strip()]:
        result = convert_tower(cache, None if q == "none" else q)
        info = result.value
        label = f"lit-ti-{q if q != 'none' else 'float32'}"
        print(f"{label}: {info['params']:,} parameters, {info['nodes']} nodes, "
              f"{info['weight_bytes'] / 2**20:.1f} MB of weights, max |err| vs JAX {info['max_abs_error']:.2g}")
        files = {f"data/models/lit/{label}/tfjs/{p.name}": p for p in sorted((result.path / "tfjs").iterdir())}
        pages.append(Page("lit", label, "", "lit/index.html", files=files))
    bench_page = benchmark_page(pages)
    bench_page.files = {k: v for p in pages for k, v in p.files.items()}
    with tempfile.TemporaryDirectory(prefix="lit-ti-site-") as tmp:
        site = Path(tmp) / "_site"
        config = SiteConfig(site=SiteSettings(), demos={}, disabled=[], path=PROJECT_ROOT / "site.toml")
        assemble([bench_page], config, cache, site)
        onnx = None if args.no_onnx else export_onnx(cache)
        if onnx is not None and all((ORT_DIST / f).is_file() for f in ORT_FILES):
            (site / "ort").mkdir()
            for f in ORT_FILES:
                shutil.copyfile(ORT_DIST / f, site / "ort" / f)
            for f in ("index.html", "bench.mjs"):
                shutil.copyfile(Path(__file__).parent / "ort_page" / f, site / "ort" / f)
            for f in onnx.value["files"]:
                shutil.copyfile(onnx.path / f, site / "ort" / f)
            print(f"onnx (jax2onnx): {onnx.value['bytes'] / 2**20:.1f} MB, max |err| vs JAX "
                  f"{onnx.value['max_abs_error']:.2g}")
        elif not args.no_onnx:
            print("ONNX Runtime Web comparison skipped: needs jax2onnx in .cache/bench-tools and the "
                  "onnxruntime-web npm package (see this script's docstring)")
        results = []
        for round_ in range(max(1, args.rounds)):
            def run_tfjs(round_=round_):
                return bench.run(bench.BenchSettings(
                    site=site, backends=[b.strip() for b in args.backends.split(",")], runs=args.runs,
                    warmups=args.warmups, models=[], node=not args.no_node and round_ == 0, pages=False,
                    timeout_s=600))

            # ORT first in odd rounds, last in even ones: neither always runs right after the other.
            ort_first = round_ % 2 == 0
            if not ort_first:
                report = run_tfjs()
            if (site / "ort" / "tower.onnx").is_file():
                results.append({**run_ort(site, args.runs, args.warmups), "round": round_ + 1})
            if ort_first:
                report = run_tfjs()
            results += [{**r, "round": round_ + 1} for r in report["results"]]
        report["results"] = results
        shutil.rmtree(site, ignore_errors=True)
    m = report["machine"]
    print(f"machine: {m['nproc']} CPUs, {m['cpu']}; {m['chromium']}; node {m['node']}; load average {m['load']}")
    print(f"command: python benchmarks/lit_text_tower.py {' '.join(argv if argv is not None else sys.argv[1:])}")
    print()
    print(bench.format_table(report["results"]))
    rows = pooled([r for r in report["results"] if r.get("runtime") == "chromium" and "error" not in r])
    ort = rows.get("onnx/lit-ti-float32")
    print(f"\ntargets checked by this run ({max(1, args.rounds)} round(s), runs pooled, load = median of rounds):")
    for model, r in sorted(rows.items()):
        if model.startswith("lit/") and r["backend"] == "wasm":
            versus = (f"ONNX Runtime Web {ort['medianMs']:.1f} ms in this run" if ort else
                      "ONNX Runtime Web not measured; the reference measurement is 94 ms")
            faster = "faster" if ort and r["medianMs"] < ort["medianMs"] else ("slower" if ort else "?")
            print(f"- {model} on WASM: median {r['medianMs']:.1f} ms vs {versus}: {faster}; "
                  f"load {r['loadMs']:.0f} ms (target < 1000 ms): {'met' if r['loadMs'] < 1000 else 'NOT met'}")
    if ort:
        print(f"- ONNX Runtime Web: load {ort['loadMs']:.0f} ms (the reference measurement is 4.2 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
