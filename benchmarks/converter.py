"""Convert a suite of JAX models with our converter and measure the results in TF.js under Node.

    .venv/bin/python benchmarks/converter.py [--models prod_static,prod_poly,mnist_cnn,lit_ti_text,vit_small]
                                             [--runs 20] [--warmups 3] [--json out.json]

Per model: converts? (and why not), conversion seconds, model bytes (model.json + shards), graph
node count, whether `model.execute` runs synchronously (no control-flow nodes), TF.js latency
(median of `--runs` calls after `--warmups`, each call reads every output back with dataSync)
on the Node CPU and WASM backends, with the site's faster kernels (as pages run them) and with
TF.js's own, and the max |error| against JAX on both backends.

The models: the article's `prod` (static (3, 2) and polymorphic (b, 2)), the MNIST demo's CNN
(builders/demos/mnist/model.py, polymorphic batch, one 28x28 image), a LiT-Ti-sized text tower
(builders/demos/lit/models.py: width 192, depth 12, heads 3, MLP 768, vocabulary 16000,
max_len 16, polymorphic batch, 5x16 tokens) and a small ViT (32x32 images, patch 4, width 128,
depth 4, heads 4, polymorphic batch, 2 images). Weights are random: speed and conversion do not
depend on their values.

The official converter (tensorflowjs.converters.jax_conversion.convert_jax, through
`convert_jax(..., backend="tfjs")`) needs the legacy TF stack of requirements-legacy.txt: when
`.venv-legacy/bin/python` exists (or $LEGACY_PYTHON names one), this script re-runs itself there
with `--converter official` for those rows (models are rebuilt there from the same seeds and checked
against that venv's JAX). jax2onnx rows (export with jax2onnx; "CPU" = native onnxruntime in
Python, one thread; "WASM" = onnxruntime-web in Node, one thread) appear when jax2onnx is installed
in .cache/bench-tools (`.venv/bin/pip install --target .cache/bench-tools jax2onnx==0.17.1`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # also runs as `python benchmarks/converter.py`

CONTROL_FLOW = {"Switch", "Merge", "Enter", "Exit", "NextIteration", "LoopCond", "StatelessIf", "If",
                "StatelessWhile", "While", "TensorListReserve"}

LATENCY_JS = r"""
'use strict';
// The verify runner's backend set-up and loaders: one copy of each.
const fs = require('fs');
const {tf, useBackend, readModelArtifacts, readInput} = require(process.env.RUNNER_JS);

async function main() {
  const req = JSON.parse(fs.readFileSync(0, 'utf8'));
  await useBackend(req.backend);  // with the site's kernels, unless runner_env(stock_kernels=True)
  const results = [];
  for (const job of req.jobs) {
    try {
      const model = await tf.loadGraphModel({load: async () => readModelArtifacts(job.model_dir)});
      const feeds = {};
      for (const s of job.inputs) feeds[s.name] = readInput(s);
      // Control flow (the official converter's polymorphic models) needs executeAsync.
      let useAsync = false;
      try { tf.dispose(model.execute(feeds)); } catch (err) {
        if (!/dynamic op|executeAsync/.test(String(err && err.message))) throw err;
        useAsync = true;
      }
      const once = async () => {
        let outs = useAsync ? await model.executeAsync(feeds) : model.execute(feeds);
        if (!Array.isArray(outs)) outs = [outs];
        for (const t of outs) t.dataSync();
        tf.dispose(outs);
      };
      // A time budget per model keeps very slow models (the official converter's Einsum on the
      // CPU backend: ~95 s a call) from taking hours; the row then says how many runs it got.
      const start = performance.now();
      const overBudget = () => performance.now() - start > job.budget_ms;
      for (let i = 0; i < job.warmups && !overBudget(); i++) await once();
      const times = [];
      for (let i = 0; i < job.runs && (i === 0 || !overBudget()); i++) {
        const t0 = performance.now();
        await once();
        times.push(performance.now() - t0);
      }
      tf.dispose(Object.values(feeds));
      model.dispose();
      results.push({ok: true, times});
    } catch (err) {
      results.push({ok: false, error: String(err && err.message ? err.message : err)});
    }
  }
  process.stdout.write(JSON.stringify({backend: tf.getBackend(), results}));
}
main().catch((e) => { process.stderr.write(String(e && e.stack ? e.stack : e)); process.exit(1); });
"""


ORT_LATENCY_JS = r"""
'use strict';
// onnxruntime-web under Node on its WASM backend, one thread: the same measurement as LATENCY_JS
// (median of runs after warm-ups; each run awaits its outputs), plus the outputs for max |error|.
const fs = require('fs');
const path = require('path');
const ort = require(path.join(process.env.TFJS_NODE_MODULES, 'onnxruntime-web'));
const TYPED = {float32: Float32Array, int32: Int32Array};

async function main() {
  const req = JSON.parse(fs.readFileSync(0, 'utf8'));
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'error';
  const results = [];
  for (const job of req.jobs) {
    try {
      const externalData = job.external.map((f) => ({path: path.basename(f), data: fs.readFileSync(f)}));
      const session = await ort.InferenceSession.create(fs.readFileSync(job.model),
        {executionProviders: ['wasm'], externalData});
      const feeds = {};
      job.inputs.forEach((s, i) => {
        const raw = fs.readFileSync(s.file);
        const data = new TYPED[s.dtype](raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
        feeds[session.inputNames[i]] = new ort.Tensor(s.dtype, data, s.shape);
      });
      const first = await session.run(feeds);
      const outputs = session.outputNames.map((name, i) => {
        const file = `${job.out_prefix}_${i}.bin`;
        const t = first[name];
        fs.writeFileSync(file, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
        return {file, dims: t.dims, type: t.type};
      });
      const start = performance.now();
      const overBudget = () => performance.now() - start > job.budget_ms;
      for (let i = 0; i < job.warmups && !overBudget(); i++) await session.run(feeds);
      const times = [];
      for (let i = 0; i < job.runs && (i === 0 || !overBudget()); i++) {
        const t0 = performance.now();
        await session.run(feeds);
        times.push(performance.now() - t0);
      }
      await session.release();
      results.push({ok: true, times, outputs});
    } catch (err) {
      results.push({ok: false, error: String(err && err.message ? err.message : err)});
    }
  }
  process.stdout.write(JSON.stringify({version: ort.env.versions.web, results}));
}
main().catch((e) => { process.stderr.write(String(e && e.stack ? e.stack : e)); process.exit(1); });
"""


@dataclass
class Model:
    name: str
    fn: Callable
    params: Any
    signatures: list
    polymorphic_shapes: list | None
    inputs: list[np.ndarray]
    atol: float = 1e-4
    onnx_fn: Callable | None = None  # an equivalent jax2onnx can export, when `fn` is not


@dataclass
class Row:
    model: str
    converter: str
    converts: bool
    note: str = ""
    seconds: float | None = None
    bytes: int | None = None
    nodes: int | None = None
    sync_execute: bool | None = None
    ops: dict = field(default_factory=dict)
    latency_ms: dict = field(default_factory=dict)
    max_error: dict = field(default_factory=dict)


# ---- the suite ----------------------------------------------------------------------------------

def prod(params, xs):
    return params["weight"] * xs


def build_suite(names: set[str]) -> list[Model]:
    import flax.linen as nn
    import jax
    import jax.numpy as jnp

    key = jax.random.PRNGKey(0)
    models = []
    if "prod_static" in names:
        models.append(Model("prod_static", prod, {"weight": np.array([0.5, 1.0], np.float32)},
                            [((3, 2), np.float32)], None, [np.arange(6, dtype=np.float32).reshape(3, 2)], 1e-6))
    if "prod_poly" in names:
        models.append(Model("prod_poly", prod, {"weight": np.array([0.5, 1.0], np.float32)},
                            [((None, 2), np.float32)], ["(b, 2)"], [np.arange(6, dtype=np.float32).reshape(3, 2)],
                            1e-6))
    if "mnist_cnn" in names:
        from builders.demos.mnist.model import CNN, predict_probabilities

        params = CNN().init(key, jnp.zeros((1, 28, 28, 1)))["params"]
        image = np.random.default_rng(0).random((1, 28, 28, 1), dtype=np.float32)
        models.append(Model("mnist_cnn", predict_probabilities, params, [((None, 28, 28, 1), np.float32)],
                            ["(b, 28, 28, 1)"], [image], 1e-5))
    if "lit_ti_text" in names:
        from builders.demos.lit import models as lit

        config = lit.TextConfig(vocab_size=16000, width=192, depth=12, num_heads=3, mlp_dim=768, max_len=16,
                                out_dim=192)
        params = lit.TextTransformer(config).init(key, np.zeros((1, 16), np.int32))["params"]
        tokens = np.random.default_rng(1).integers(1, 16000, (5, 16)).astype(np.int32)
        from benchmarks.lit_onnx import onnx_exportable_text_embed_fn

        models.append(Model("lit_ti_text", lit.text_embed_fn(config), params, [((None, 16), np.int32)],
                            ["(b, 16)"], [tokens], 1e-4, onnx_exportable_text_embed_fn(config)))
    if "vit_small" in names:

        class ViT(nn.Module):
            @nn.compact
            def __call__(self, x):
                x = nn.Conv(128, (4, 4), strides=(4, 4), padding="VALID")(x)
                x = x.reshape((x.shape[0], -1, 128))
                x = x + self.param("pos", nn.initializers.normal(0.02), (1, x.shape[1], 128))
                for _ in range(4):
                    h = nn.LayerNorm()(x)
                    x = x + nn.MultiHeadDotProductAttention(num_heads=4)(h, h)
                    h = nn.LayerNorm()(x)
                    x = x + nn.Dense(128)(nn.gelu(nn.Dense(256)(h)))
                x = nn.LayerNorm()(x).mean(axis=1)
                return nn.softmax(nn.Dense(10)(x))

        vit = ViT()
        params = vit.init(key, jnp.zeros((1, 32, 32, 3)))
        images = np.random.default_rng(2).uniform(-1, 1, (2, 32, 32, 3)).astype(np.float32)
        models.append(Model("vit_small", lambda p, x: vit.apply(p, x), params, [((None, 32, 32, 3), np.float32)],
                            ["(b, 32, 32, 3)"], [images], 1e-4))
    return models


# ---- measuring ----------------------------------------------------------------------------------

def node_latency(model_dirs: list[Path], inputs: list[list[np.ndarray]], backend: str, runs: int,
                 warmups: int, budget_s: float = 120.0, stock_kernels: bool = False) -> list[dict]:
    """Median/min latency per model in one Node process on `backend`.

    Both backends run with the site's kernels (site_src/common/fast_kernels.ts: CPU kernels, WASM
    matrix products), as pages and `verify` do, unless `stock_kernels`.
    """
    from builders.convert.tfjs_runtime import RUNNER, model_io_names, runner_env, write_input

    with tempfile.TemporaryDirectory(prefix="bench-conv-") as tmp:
        jobs = []
        for j, (model_dir, arrays) in enumerate(zip(model_dirs, inputs)):
            names, _ = model_io_names(model_dir)
            specs = [write_input(name, arr, Path(tmp) / f"{j}_{name}.bin") for name, arr in zip(names, arrays)]
            jobs.append({"model_dir": str(Path(model_dir).resolve()), "inputs": specs, "runs": runs,
                         "warmups": warmups, "budget_ms": budget_s * 1000})
        script = Path(tmp) / "latency.cjs"
        script.write_text(LATENCY_JS)
        proc = subprocess.run(["node", str(script)], input=json.dumps({"backend": backend, "jobs": jobs}),
                              capture_output=True, text=True, timeout=1800,
                              env={**runner_env(stock_kernels), "RUNNER_JS": str(RUNNER)})
        if proc.returncode != 0:
            return [{"error": proc.stderr.strip()[-300:]} for _ in model_dirs]
        out = []
        for res in json.loads(proc.stdout)["results"]:
            if res["ok"]:
                out.append({"median": statistics.median(res["times"]), "min": min(res["times"]),
                            "runs": len(res["times"])})
            else:
                out.append({"error": res["error"]})
        return out


def dir_bytes(model_dir: Path) -> int:
    return sum(p.stat().st_size for p in Path(model_dir).iterdir() if p.is_file())


def run_ours(models: list[Model], root: Path, runs: int, warmups: int, backend: str = "jax",
             budget_s: float = 60.0) -> list[Row]:
    """Convert with `convert_jax(..., backend=backend)` and measure: "jax" is ours, "tfjs" the official one."""
    from builders.convert import VerifyCase, convert_jax, verify_many

    label = {"jax": "ours", "tfjs": "official (tfjs 4.22)"}[backend]
    rows, ok_models = [], []
    for m in models:
        row = Row(m.name, label, False)
        model_dir = root / backend / m.name
        t0 = time.perf_counter()
        try:
            result = convert_jax(m.fn, m.params, input_signatures=m.signatures,
                                 polymorphic_shapes=m.polymorphic_shapes, model_dir=model_dir, backend=backend)
        except Exception as exc:
            row.note = f"{type(exc).__name__}: {str(exc)[:200]}"
            rows.append(row)
            continue
        row.converts = True
        row.seconds = time.perf_counter() - t0
        row.bytes = dir_bytes(model_dir)
        row.nodes = result.node_count
        row.ops = result.op_counts
        row.sync_execute = not (CONTROL_FLOW & set(result.op_counts))
        rows.append(row)
        ok_models.append((m, row, model_dir))
    import jax

    for tfjs_backend in ("cpu", "wasm"):
        cases = [VerifyCase(d, jax.jit(m.fn), m.params, m.inputs, atol=m.atol, diagnose=False)
                 for m, _, d in ok_models]
        for (_, row, _), report in zip(ok_models, verify_many(cases, backend=tfjs_backend)):
            row.max_error[tfjs_backend] = report.error or report.max_abs_error
    # "*_stock": the same backend with only TF.js's own kernels, to show what the site's change.
    for column, tfjs_backend, stock in (("cpu", "cpu", False), ("wasm", "wasm", False), ("cpu_stock", "cpu", True),
                                        ("wasm_stock", "wasm", True)):
        lat = node_latency([d for _, _, d in ok_models], [m.inputs for m, _, _ in ok_models], tfjs_backend, runs,
                           warmups, budget_s, stock_kernels=stock)
        for (_, row, _), res in zip(ok_models, lat):
            row.latency_ms[column] = res.get("median", res.get("error"))
            if res.get("runs", runs) < runs:
                row.note += f"{column}: {res['runs']} run(s), time budget; "
    return rows


# ---- jax2onnx + ONNX Runtime ------------------------------------------------------------------

BENCH_TOOLS = Path(__file__).resolve().parents[1] / ".cache" / "bench-tools"


def onnx_signature(m: Model) -> list:
    """`m`'s input signatures for jax2onnx: symbolic dimensions named as in `polymorphic_shapes`."""
    import jax

    specs = []
    for i, (shape, dtype) in enumerate(m.signatures):
        dims = list(shape)
        if m.polymorphic_shapes:
            names = [d.strip() for d in m.polymorphic_shapes[i].strip("()").split(",") if d.strip()]
            dims = [d if name == "_" or name.isdigit() else name for d, name in zip(shape, names)]
        specs.append(jax.ShapeDtypeStruct(tuple(dims), dtype))
    return specs


def run_onnx(models: list[Model], root: Path, runs: int, warmups: int,
             budget_s: float) -> tuple[list[Row], str | None]:
    """Rows for jax2onnx + ONNX Runtime, or a note saying why they are missing."""
    if str(BENCH_TOOLS) not in sys.path:
        sys.path.append(str(BENCH_TOOLS))  # appended: the project's jax and flax win
    try:
        import onnx
        import onnxruntime
        from jax2onnx import to_onnx
    except ImportError as exc:
        return [], (f"jax2onnx + ONNX Runtime: not measured ({exc}); install with `.venv/bin/pip install "
                    "--target .cache/bench-tools jax2onnx==0.17.1`")
    import importlib.metadata

    from builders.convert.tfjs_runtime import runner_env, write_input

    label = f"jax2onnx {importlib.metadata.version('jax2onnx')} + ORT"
    rows, jobs, exported = [], [], []
    for m in models:
        row = Row(m.name, label, False)
        rows.append(row)
        out = root / "onnx" / m.name
        out.mkdir(parents=True, exist_ok=True)
        fn = m.onnx_fn or m.fn
        t0 = time.perf_counter()
        try:
            to_onnx(lambda *xs, fn=fn, params=m.params: fn(params, *xs), onnx_signature(m), return_mode="file",
                    output_path=str(out / "model.onnx"))
        except Exception as exc:
            row.note = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
            continue
        row.converts, row.seconds = True, time.perf_counter() - t0
        files = sorted(out.glob("model.onnx*"))
        row.bytes = sum(f.stat().st_size for f in files)
        graph = onnx.load(str(out / "model.onnx"), load_external_data=False).graph
        row.nodes = len(graph.node)
        row.sync_execute = False  # ONNX Runtime Web's session.run returns a Promise: there is no sync API
        row.ops = dict(sorted({op: sum(n.op_type == op for n in graph.node) for op in {n.op_type for n in graph.node}}
                              .items()))
        expected = [np.asarray(x) for x in __import__("jax").tree_util.tree_leaves(fn(m.params, *m.inputs))]
        # Native onnxruntime (C++, Python API), one thread: the "CPU" column for these rows.
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(str(out / "model.onnx"), options, providers=["CPUExecutionProvider"])
        feeds = {i.name: x for i, x in zip(session.get_inputs(), m.inputs)}
        got = session.run(None, feeds)
        row.max_error["cpu"] = max(float(np.abs(g - e).max()) for g, e in zip(got, expected))
        for _ in range(warmups):
            session.run(None, feeds)
        times = []
        for _ in range(runs):
            t1 = time.perf_counter()
            session.run(None, feeds)
            times.append((time.perf_counter() - t1) * 1000)
        row.latency_ms["cpu"] = statistics.median(times)
        specs = [write_input(f"in_{j}", x, out / f"in_{j}.bin") for j, x in enumerate(m.inputs)]
        jobs.append({"model": str(out / "model.onnx"), "external": [str(f) for f in files if f.name != "model.onnx"],
                     "inputs": specs, "runs": runs, "warmups": warmups, "budget_ms": budget_s * 1000,
                     "out_prefix": str(out / "out")})
        exported.append((row, expected))
    if jobs:
        with tempfile.TemporaryDirectory(prefix="bench-ort-") as tmp:
            script = Path(tmp) / "ort_latency.cjs"
            script.write_text(ORT_LATENCY_JS)
            proc = subprocess.run(["node", str(script)], input=json.dumps({"jobs": jobs}), capture_output=True,
                                  text=True, timeout=1800, env=runner_env(stock_kernels=True))
        if proc.returncode != 0:
            for row, _ in exported:
                row.note += f"onnxruntime-web: {proc.stderr.strip()[-200:]}; "
        else:
            reply = json.loads(proc.stdout)
            for (row, expected), res in zip(exported, reply["results"]):
                if not res["ok"]:
                    row.latency_ms["wasm"] = row.max_error["wasm"] = f"fails: {res['error'][:60]}"
                    continue
                row.latency_ms["wasm"] = statistics.median(res["times"])
                outs = [np.frombuffer(Path(o["file"]).read_bytes(), "<f4" if o["type"] == "float32" else "<i4")
                        for o in res["outputs"]]
                row.max_error["wasm"] = max(float(np.abs(g - e.ravel()).max()) for g, e in zip(outs, expected))
            for row, _ in exported:
                row.converter = f"{label} {reply.get('version', '')}".strip()
    return rows, (f"{label} rows: \"CPU\" is native onnxruntime {onnxruntime.__version__} (C++, Python API, one "
                  "thread), not JavaScript, so it does not compare with TF.js's CPU backend; \"WASM\" is "
                  "onnxruntime-web under Node, one thread; \"sync execute: no\": ONNX Runtime Web only has an "
                  "async run()")


def legacy_python() -> Path | None:
    """The legacy venv's interpreter (requirements-legacy.txt), if installed."""
    candidate = os.environ.get("LEGACY_PYTHON") or Path(__file__).resolve().parents[1] / ".venv-legacy/bin/python"
    return Path(candidate) if Path(candidate).exists() else None


def run_official(models: str, root: Path, runs: int, warmups: int, budget_s: float) -> tuple[list[Row], str]:
    """Rows for the official converter, measured by re-running this script in the legacy venv."""
    python = legacy_python()
    if python is None:
        return [], ("official converter (tensorflowjs 4.22): not measured: create the legacy venv first "
                    "(python3 -m venv .venv-legacy && .venv-legacy/bin/pip install -r requirements-legacy.txt "
                    "&& .venv-legacy/bin/pip install --no-deps -e .)")
    out = root / "official-rows.json"
    proc = subprocess.run([str(python), __file__, "--converter", "official", "--models", models, "--runs",
                           str(runs), "--warmups", str(warmups), "--budget", str(budget_s), "--keep", str(root),
                           "--rows-json", str(out)],
                          capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0 or not out.exists():
        return [], f"official converter: the legacy venv run failed: {proc.stderr.strip()[-500:]}"
    versions = subprocess.run([str(python), "-c", "import jax, tensorflow, tensorflowjs; print(jax.__version__, "
                               "tensorflow.__version__, tensorflowjs.__version__)"],
                              capture_output=True, text=True).stdout.split()
    rows = [Row(**r) for r in json.loads(out.read_text())]
    return rows, ("official converter: measured in " + str(python.parent.parent.name) + " (jax {}, tensorflow {}, "
                  "tensorflowjs {})".format(*(versions + ["?"] * 3)[:3]))


def fmt(v: Any, digits: int = 1) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.{digits}f}" if v >= 0.01 or v == 0 else f"{v:.1e}"
    if isinstance(v, str):
        return v[:40]
    return str(v)


def print_table(rows: list[Row]) -> None:
    header = ["model", "converter", "converts", "convert s", "bytes", "nodes", "sync execute",
              "CPU ms (median)", "WASM ms (median)", "CPU ms, TF.js kernels (median)",
              "WASM ms, TF.js kernels (median)", "max err CPU", "max err WASM"]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for r in rows:
        if not r.converts:
            print(f"| {r.model} | {r.converter} | no: {r.note} |" + " - |" * (len(header) - 3))
            continue
        err = {k: (v if isinstance(v, str) else f"{v:.1e}") for k, v in r.max_error.items()}
        print("| " + " | ".join([
            r.model, r.converter, "yes", fmt(r.seconds, 2), f"{r.bytes:,}", str(r.nodes), fmt(r.sync_execute),
            fmt(r.latency_ms.get("cpu"), 2), fmt(r.latency_ms.get("wasm"), 2), fmt(r.latency_ms.get("cpu_stock"), 2),
            fmt(r.latency_ms.get("wasm_stock"), 2), err.get("cpu", "-"), err.get("wasm", "-")]) + " |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="prod_static,prod_poly,mnist_cnn,lit_ti_text,vit_small")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmups", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None, help="also write the rows as JSON here")
    parser.add_argument("--keep", type=Path, default=None, help="write the converted models here (kept)")
    parser.add_argument("--budget", type=float, default=60.0,
                        help="seconds per model and backend after which warm-ups/runs stop (at least one run)")
    parser.add_argument("--converter", choices=("all", "ours", "official"), default="all",
                        help="'official' runs only the official converter (in the legacy venv)")
    parser.add_argument("--rows-json", type=Path, default=None, help=argparse.SUPPRESS)  # for the legacy re-run
    args = parser.parse_args(argv)
    if shutil.which("node") is None:
        print("Node.js is needed to run TF.js: install Node 20+", file=sys.stderr)
        return 2
    models = build_suite(set(args.models.split(",")))
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-converter-"))
    if args.converter == "official":  # inside the legacy venv: rows only, as JSON
        rows = run_ours(models, root, args.runs, args.warmups, backend="tfjs", budget_s=args.budget)
        (args.rows_json or root / "official-rows.json").write_text(json.dumps([asdict(r) for r in rows], default=str))
        return 0
    rows = run_ours(models, root, args.runs, args.warmups, budget_s=args.budget)
    notes = []
    if args.converter == "all":
        official, note = run_official(args.models, root, args.runs, args.warmups, args.budget)
        onnx_rows, onnx_note = run_onnx(models, root, args.runs, args.warmups, args.budget)
        notes += [n for n in (note, onnx_note) if n]
        others = {}
        for r in official + onnx_rows:
            others.setdefault(r.model, []).append(r)
        rows = [row for r in rows for row in (r, *others.get(r.model, []))]
    print(f"Node {subprocess.run(['node', '--version'], capture_output=True, text=True).stdout.strip()}, "
          f"TF.js 4.22 (CPU and WASM backends), {os.cpu_count()} CPUs, load average "
          f"{', '.join(f'{v:.1f}' for v in os.getloadavg())}; {args.runs} runs after {args.warmups} warm-ups\n")
    print_table(rows)
    print()
    notes += [f"{r.model} ({r.converter}): {r.note.strip('; ')}" for r in rows if r.converts and r.note]
    for note in notes:
        print(f"- {note}")
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=1, default=str))
    if args.keep is None:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
