"""Time a LiT-Ti-sized text tower (8.5M parameters) on 5x16 tokens, in headless Chromium and Node.

    .venv/bin/python benchmarks/lit_text_tower.py [--backends wasm,webgl] [--runs 20] [--quantization none,float16]

The issue's target: on WASM in headless Chromium (2 cores), faster than the same tower exported
with jax2onnx and run by ONNX Runtime Web (94 ms median, model load 4.2 s), and loading in under
1 s. The tower is big_vision's text transformer as the LiT demo uses it (builders/demos/lit/models.py)
at LiT-Ti size: vocabulary 16000, width 192, 12 blocks, 3 heads, MLP 768, 16 tokens, randomly
initialised (speed does not depend on the weights' values). It is converted with our converter,
checked against JAX in TF.js, then published into a one-page site (the benchmark page only) that
`python -m builders.bench` drives, so the numbers come from the same page visitors use.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # also runs as `python benchmarks/lit_text_tower.py`

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.lit_text_tower", description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="wasm", help="browser backends (default: wasm)")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmups", type=int, default=3)
    parser.add_argument("--quantization", default="none", help="comma-separated: none, float16, uint8")
    parser.add_argument("--no-node", action="store_true")
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
        report = bench.run(bench.BenchSettings(
            site=site, backends=[b.strip() for b in args.backends.split(",")], runs=args.runs,
            warmups=args.warmups, models=[], node=not args.no_node, pages=False, timeout_s=600))
        shutil.rmtree(site, ignore_errors=True)
    m = report["machine"]
    print(f"machine: {m['nproc']} CPUs, {m['cpu']}; {m['chromium']}; node {m['node']}; load average {m['load']}")
    print(f"command: python -m benchmarks.lit_text_tower {' '.join(argv if argv is not None else sys.argv[1:])}")
    print()
    print(bench.format_table(report["results"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
