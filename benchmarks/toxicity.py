"""Toxicity demo measurements: parity with profanity_check, model bytes, time per classification.

    .venv/bin/python benchmarks/toxicity.py [--repeats 50] [--backends webgl,wasm,cpu]

Builds the toxicity page alone (default profile, embedded model) into a temporary folder,
serves it locally and runs the page's own `toxicity.load()/classify()` in headless Chromium.
Prints one table row per TF.js backend.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from builders.build import build  # noqa: E402
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, foreign_requests, serve_directory  # noqa: E402
from tests.toxicity.corpus import sentences  # noqa: E402

MEASURE = """async ({texts, repeats}) => {
  const t0 = performance.now();  // files are in the HTTP cache by now: this is a reload
  const model = await window.toxicity.load(0.9, []);
  const loadMs = performance.now() - t0;
  await model.classify(['warm up']);
  const [prediction] = await model.classify(texts);
  const probabilities = prediction.results.map((r) => r.probabilities[1]);
  const single = [];
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    await model.classify(texts[i % texts.length]);
    single.push(performance.now() - t);
  }
  single.sort((a, b) => a - b);
  const batch = texts.slice(0, 32);
  const tb = performance.now();
  for (let i = 0; i < 5; i++) await model.classify(batch);
  const batchMs = (performance.now() - tb) / 5;
  return {loadMs, probabilities, medianMs: single[single.length >> 1], p90Ms: single[Math.floor(single.length * 0.9)],
          batchMs, batchSize: batch.length};
}"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50, help="single-text classifications to time")
    parser.add_argument("--backends", default="webgl,wasm,cpu", help="TF.js backends to try (?backend=...)")
    args = parser.parse_args()

    import numpy as np
    from playwright.sync_api import sync_playwright
    from profanity_check import profanity_check as pc

    texts = sentences()
    expected = pc.predict_prob(texts)
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "_site"
        build(ROOT / "site.toml", site, only=["toxicity"])
        models = site / "data" / "models" / "toxicity"
        sizes = {p.name: p.stat().st_size for p in sorted(models.iterdir())}
        server, url = serve_directory(site)
        rows = []
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                for backend in args.backends.split(","):
                    page = browser.new_page()
                    requests: list[str] = []
                    page.on("request", lambda r, requests=requests: requests.append(r.url))
                    page.set_default_timeout(120_000)
                    page.goto(f"{url}toxicity/index.html?backend={backend}")
                    page.locator('[data-testid="submit"]:enabled').wait_for()
                    used = page.evaluate("() => document.querySelector('[data-testid=status]').textContent")
                    result = page.evaluate(MEASURE, {"texts": texts, "repeats": args.repeats})
                    error = float(np.abs(np.array(result["probabilities"]) - expected).max())
                    rows.append((backend, used.split("running on ")[-1].rstrip("."), result, error,
                                 len(foreign_requests(requests, url))))
                    page.close()
                browser.close()
        finally:
            server.shutdown()

    print(f"model files: {', '.join(f'{k} {v:,} B' for k, v in sizes.items())}; total {sum(sizes.values()):,} B")
    print(f"parity corpus: {len(texts)} sentences vs profanity_check.predict_prob\n")
    header = ("requested", "ran on", "reload ms", "1 text median ms", "1 text p90 ms",
              "batch 32 ms", "max |p - sklearn|", "foreign requests")
    table = [header] + [(b, used, f"{r['loadMs']:.0f}", f"{r['medianMs']:.2f}", f"{r['p90Ms']:.2f}",
                         f"{r['batchMs']:.1f}", f"{e:.2e}", str(f)) for b, used, r, e, f in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for i, row in enumerate(table):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
