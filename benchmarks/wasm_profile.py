"""Where a LiT-Ti text tower's time goes on TF.js's WASM backend, per kernel, under Node.

    .venv/bin/python benchmarks/wasm_profile.py [--runs 15] [--top 15]

Runs the tower of benchmarks/lit_text_tower.py (converted and cached there) on 5x16 tokens, once
with the site's kernels (site_src/common/fast_kernels.ts: what pages run) and once with TF.js's
own, and prints per kernel (name and input shapes) the calls per inference and the time: the
minimum over `--runs` inferences of that kernel's summed time, so machine noise is filtered out
kernel by kernel; plus the whole inference's median. Node 20 gets relaxed SIMD turned on when it
has the flag (Chromium ships it), so the site's kernels run as in the browser.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # also runs as `python benchmarks/wasm_profile.py`

from benchmarks.lit_text_tower import BATCH, TOWER, convert_tower  # noqa: E402
from builders.build import PROJECT_ROOT  # noqa: E402
from builders.cache import Cache  # noqa: E402
from builders.convert.tfjs_runtime import RUNNER, runner_env, write_input  # noqa: E402

PROFILE_JS = r"""
'use strict';
const fs = require('fs');
const {tf, useBackend, readModelArtifacts, readInput} = require(process.env.RUNNER_JS);

async function main() {
  const job = JSON.parse(fs.readFileSync(0, 'utf8'));
  await useBackend('wasm');  // with the site's kernels, unless runner_env(stock_kernels=True)
  const model = await tf.loadGraphModel({load: async () => readModelArtifacts(job.model_dir)});
  const x = readInput(job.input);
  const once = () => { const y = model.execute(x); y.dataSync(); y.dispose(); };
  for (let i = 0; i < 5; i++) once();
  // Top-level kernel calls only (a kernel may call others through the engine).
  const engine = tf.engine();
  const runKernel = engine.runKernel;
  let depth = 0, current = null;
  engine.runKernel = function (name, inputs, attrs) {
    depth++;
    const t0 = performance.now();
    try {
      return runKernel.call(this, name, inputs, attrs);
    } finally {
      depth--;
      if (depth === 0 && current) {
        const key = name + ' ' + JSON.stringify(Object.values(inputs).map((t) => t ? t.shape : null));
        const entry = current[key] || (current[key] = {ms: 0, calls: 0});
        entry.ms += performance.now() - t0;
        entry.calls++;
      }
    }
  };
  const best = {};
  const totals = [];
  for (let r = 0; r < job.runs; r++) {
    current = {};
    const t0 = performance.now();
    once();
    totals.push(performance.now() - t0);
    for (const [key, v] of Object.entries(current)) if (!best[key] || v.ms < best[key].ms) best[key] = v;
  }
  totals.sort((a, b) => a - b);
  process.stdout.write(JSON.stringify({median_ms: totals[totals.length >> 1], kernels: best}));
}
main().catch((e) => { process.stderr.write(String(e && e.stack ? e.stack : e)); process.exit(1); });
"""


def node_flags() -> list[str]:
    """`--experimental-wasm-relaxed-simd` where Node's V8 has it off by default (Node 20)."""
    options = subprocess.run(["node", "--v8-options"], capture_output=True, text=True).stdout
    return ["--experimental-wasm-relaxed-simd"] if "default: --no-experimental-wasm-relaxed-simd" in options else []


def profile(model_dir: Path, tokens: np.ndarray, runs: int, stock: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="wasm-profile-") as tmp:
        script = Path(tmp) / "profile.cjs"
        script.write_text(PROFILE_JS)
        job = {"model_dir": str(model_dir), "runs": runs,
               "input": write_input("input_0", tokens, Path(tmp) / "input_0.bin")}
        env = {**runner_env(stock_kernels=stock), "RUNNER_JS": str(RUNNER)}
        proc = subprocess.run(["node", *node_flags(), str(script)], input=json.dumps(job), capture_output=True,
                              text=True, timeout=1800, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"profiling failed:\n{proc.stderr.strip()[-2000:]}")
    return json.loads(proc.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--top", type=int, default=15, help="rows to print, slowest first")
    args = parser.parse_args(argv)
    model_dir = convert_tower(Cache(PROJECT_ROOT / ".cache"), None).path / "tfjs"
    tokens = np.random.default_rng(0).integers(1, TOWER["vocab_size"], (BATCH, TOWER["max_len"])).astype(np.int32)
    site, stock = profile(model_dir, tokens, args.runs, stock=False), profile(model_dir, tokens, args.runs, stock=True)
    print(f"LiT-Ti text tower, {BATCH}x{TOWER['max_len']} tokens, TF.js WASM under Node {node_flags() or ''}; "
          f"per kernel: min over {args.runs} inferences of its summed ms")
    print(f"whole inference, median: site's kernels {site['median_ms']:.1f} ms, TF.js's {stock['median_ms']:.1f} ms\n")
    print("| kernel | input shapes | calls | ms, site's kernels | ms, TF.js's kernels |")
    print("|---|---|---|---|---|")
    keys = sorted(set(site["kernels"]) | set(stock["kernels"]),
                  key=lambda k: -max(site["kernels"].get(k, {}).get("ms", 0), stock["kernels"].get(k, {}).get("ms", 0)))
    for key in keys[:args.top]:
        name, shapes = key.split(" ", 1)
        a, b = site["kernels"].get(key), stock["kernels"].get(key)
        calls = (a or b)["calls"]
        print(f"| {name} | {shapes} | {calls} | {a['ms'] if a else 0:.2f} | {b['ms'] if b else 0:.2f} |")
    print()
    for label, result in (("site's", site), ("TF.js's", stock)):
        kernels = list(result["kernels"].values())
        total_ms, calls = sum(k["ms"] for k in kernels), sum(k["calls"] for k in kernels)
        print(f"all kernels, {label}: {total_ms:.1f} ms in {calls} calls")
    return 0


if __name__ == "__main__":
    sys.exit(main())
