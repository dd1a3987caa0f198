"""`python -m builders.bench`: time every model of a built site in headless Chromium and in Node.

    python -m builders.bench                                 # _site/, WASM + CPU + WebGL, 10 runs
    python -m builders.bench --site _site --backends wasm --runs 50 --json bench.json

Chromium: the site is served locally and the benchmark page (`benchmark/index.html`) is driven
like a visitor would (pick backend and model, press Run), so the numbers are the page's own.
Node: the same measurement code (site_src/benchmark/measure.ts) runs on TF.js's CPU and WASM
backends. Each demo page is also opened once to time how long it takes to become idle (every
model and WASM file fetched). Prints one Markdown table; `--json` saves every number. Timings
are for the machine they ran on: compare runs from the same machine only.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from .bundle import esbuild_binary
from .errors import BuildError
from .paths import TOOL_ROOT, node_executable
from .proc import run_tool
from .serve import CORSRequestHandler
from .summary import human_bytes

PROJECT_ROOT = TOOL_ROOT  # site_src/ and node_modules/ (builders/paths.py)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
BROWSER_BACKENDS = ("webgl", "wasm", "cpu", "webgpu")
NODE_BACKENDS = ("wasm", "cpu")
NODE_RUNNER = "site_src/benchmark/node_runner.ts"


@dataclass
class BenchSettings:
    site: Path
    backends: list[str]
    runs: int
    warmups: int
    models: list[str]  # substrings of model ids; empty: every model
    node: bool
    pages: bool
    timeout_s: float
    page_loads: int = 3  # loads per page and backend; the median-ready one is reported


def machine() -> dict[str, str]:
    """CPU count and model, OS, Node and Chromium versions: the context a table needs."""
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {"nproc": str(os.cpu_count()), "cpu": cpu, "os": f"{platform.system()} {platform.release()}",
            # Other work on the machine slows every number down: keep the load next to the table.
            "load": " ".join(f"{x:.1f}" for x in os.getloadavg())}
    for key, cmd in (("node", [node_executable() or "node", "--version"]), ("chromium", [CHROMIUM, "--version"])):
        try:
            info[key] = subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            info[key] = "not found"
    return info


def load_specs(site: Path) -> list[dict]:
    """The models the benchmark page offers (from its page-config), so CLI and page agree."""
    page = site / "benchmark" / "index.html"
    if not page.is_file():
        raise BuildError(f"{page} not found: build the site first (python -m builders.build --out {site})")
    html = page.read_text(encoding="utf-8")
    start = html.index('id="page-config">') + len('id="page-config">')
    config = json.loads(html[start:html.index("</script>", start)].replace("<\\/", "</"))
    return config["models"]


class _Server:
    """The built site on a free localhost port, in a background thread."""

    def __init__(self, directory: Path):
        class Quiet(CORSRequestHandler):
            def log_message(self, format, *args):  # noqa: A002 - stdlib signature
                pass

        handler = functools.partial(Quiet, directory=str(directory))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _browser_rows(page, spec: dict, backend: str, settings: BenchSettings) -> dict:
    page.select_option('[data-testid="model-select"]', spec["id"])
    option = page.query_selector(f'[data-testid="backend-select"] option[value="{backend}"]')
    if option is None or option.is_disabled():
        # The page disables a backend this browser cannot run (WebGPU without an adapter).
        reason = option.inner_text() if option else f"{backend} is not offered by the page"
        return {"model": spec["id"], "requestedBackend": backend, "error": f"unavailable: {reason}"}
    page.select_option('[data-testid="backend-select"]', backend)
    page.fill('[data-testid="runs"]', str(settings.runs))
    page.fill('[data-testid="warmups"]', str(settings.warmups))
    before = page.eval_on_selector('[data-testid="results-json"]', "el => el.value")
    count = len(json.loads(before)) if before else 0
    page.click('[data-testid="run"]')
    page.wait_for_function(
        """() => { const s = document.querySelector('[data-testid="status"]').dataset.state;
                   return s === 'done' || s === 'error'; }""", timeout=settings.timeout_s * 1000)
    state = page.get_attribute('[data-testid="status"]', "data-state")
    if state == "error":
        message = page.inner_text('[data-testid="messages"]').strip()
        return {"model": spec["id"], "requestedBackend": backend, "error": message or "unknown error"}
    results = json.loads(page.eval_on_selector('[data-testid="results-json"]', "el => el.value"))
    if len(results) != count + 1:
        return {"model": spec["id"], "requestedBackend": backend, "error": "the page reported no result"}
    return results[-1]


def run_browser(base_url: str, specs: list[dict], settings: BenchSettings) -> tuple[list[dict], list[dict]]:
    """(benchmark results, page load times) from headless Chromium."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - heavy, only needed here

    if not Path(CHROMIUM).exists():
        raise BuildError(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)")
    results, loads = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for backend in settings.backends:
                if backend not in BROWSER_BACKENDS:
                    continue
                # A fresh context per backend: nothing cached between backends, like a new visitor.
                context = browser.new_context()
                page = context.new_page()
                page.set_default_timeout(settings.timeout_s * 1000)
                errors: list[str] = []
                page.on("pageerror", lambda err, errors=errors: errors.append(str(err)))
                page.goto(base_url + "benchmark/index.html")
                page.wait_for_function(
                    "() => ['ready', 'error'].includes(document.querySelector('[data-testid=\"status\"]')"
                    ".dataset.state) || document.querySelector('[data-testid=\"messages\"]').textContent",
                    timeout=settings.timeout_s * 1000)
                for spec in specs:
                    row = _browser_rows(page, spec, backend, settings)
                    row["runtime"] = "chromium"
                    results.append(row)
                context.close()
            if settings.pages:
                loads = _page_loads(browser, base_url, sorted({s["page"] for s in specs}), settings)
        finally:
            browser.close()
    return results, loads


# Counts TF.js kernels as the page runs them: tfjs-core keeps its engine in `window._tfengine`,
# so a setter trap sees it created and wraps `runKernel` (every op goes through it).
_KERNEL_PROBE = """(() => {
  const probe = window.__benchProbe = {kernels: 0, lastKernel: 0};
  let engine;
  Object.defineProperty(window, '_tfengine', {configurable: true, get() { return engine; }, set(value) {
    engine = value;
    const run = value.runKernel.bind(value);
    value.runKernel = (...args) => {
      const out = run(...args);
      probe.kernels += 1;
      probe.lastKernel = performance.now();
      return out;
    };
  }});
})();"""

_QUIET = """() => {
  const p = window.__benchProbe;
  const last = Math.max(p.lastKernel, ...performance.getEntriesByType('resource').map(e => e.responseEnd));
  return performance.now() - last > 1000;
}"""


def _page_loads(browser, base_url: str, pages: list[str], settings: BenchSettings) -> list[dict]:
    """Per demo page: ms until the load event, and until it is ready (last model byte fetched and last
    TF.js kernel run, e.g. the first inference or a warm-up, once the page has been quiet for 1 s)."""
    rows = []
    # Each page with its own backend choice, then forced to each benchmarked backend (`?backend=`,
    # which every page honours through initBackend): headless WebGL is a software rasteriser.
    queries = [""] + [f"?backend={b}" for b in settings.backends if b in ("wasm", "cpu", "webgl")]
    for name, query in [(n, q) for n in pages for q in queries]:
        loads = sorted((_load_once(browser, f"{base_url}{name}/index.html{query}", settings)
                        for _ in range(settings.page_loads)), key=lambda r: r["readyMs"])
        rows.append({"page": name, "query": query, **loads[len(loads) // 2],
                     "readyMsAll": [r["readyMs"] for r in loads]})
    return rows


def _load_once(browser, url: str, settings: BenchSettings) -> dict:
    """One fresh visit (new context: empty cache, no service worker yet) of `url`."""
    context = browser.new_context()
    context.add_init_script(_KERNEL_PROBE)
    page = context.new_page()
    page.goto(url, wait_until="load", timeout=settings.timeout_s * 1000)
    page.wait_for_function(_QUIET, timeout=settings.timeout_s * 1000, polling=100)
    timing = page.evaluate("""() => ({
      load: performance.getEntriesByType('navigation')[0].loadEventEnd,
      lastResponse: Math.max(0, ...performance.getEntriesByType('resource').map(e => e.responseEnd)),
      requests: performance.getEntriesByType('resource').length,
      kernels: window.__benchProbe.kernels, lastKernel: window.__benchProbe.lastKernel,
      backend: window._tfengine ? window._tfengine.backendName : null})""")
    context.close()
    return {"backend": timing["backend"], "loadEventMs": timing["load"], "lastResponseMs": timing["lastResponse"],
            "kernels": timing["kernels"], "lastKernelMs": timing["lastKernel"],
            "readyMs": max(timing["lastResponse"], timing["lastKernel"]), "requests": timing["requests"]}


def run_node(site: Path, specs: list[dict], settings: BenchSettings) -> list[dict]:
    """Results of the same measurements under Node (CPU and WASM backends only)."""
    backends = [b for b in settings.backends if b in NODE_BACKENDS]
    if not backends:
        return []
    with tempfile.TemporaryDirectory(prefix="bench-node-") as tmp:
        runner = Path(tmp) / "node_runner.cjs"
        run_tool([esbuild_binary(PROJECT_ROOT), NODE_RUNNER, "--bundle", "--platform=node", "--format=cjs",
                  "--packages=external", "--log-level=warning", f"--outfile={runner}"], cwd=PROJECT_ROOT)
        models = []
        for spec in specs:
            folder = site / "data" / spec["url"].rsplit("/", 1)[0]
            models.append({**spec, "dir": str(folder)})
        job = {"models": models, "backends": backends, "runs": settings.runs, "warmups": settings.warmups}
        env = {**os.environ, "NODE_PATH": str(PROJECT_ROOT / "node_modules")}
        out = run_tool([node_executable() or "node", runner], cwd=PROJECT_ROOT, env=env, input_text=json.dumps(job),
                       timeout=settings.timeout_s * max(1, len(models) * len(backends)))
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    for row in rows:
        row["runtime"] = "node"
    return rows


def _ms(value) -> str:
    return "-" if value is None else (f"{value:.2f}" if value < 10 else f"{value:.1f}")


def format_table(results: list[dict]) -> str:
    """A Markdown table: one row per runtime, backend and model."""
    header = ["runtime", "backend", "model", "inputs", "load ms", "first ms", "warm-up ms", "mean ms",
              "median ms", "min ms", "p90 ms", "runs", "peak memory",
              "shards (at once)"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in results:
        if "error" in r:
            cells = [r["runtime"], r.get("requestedBackend") or r.get("backend", "?"), r["model"],
                     f"error: {r['error']}"] + [""] * (len(header) - 4)
        else:
            backend = r["backend"]
            if r.get("requestedBackend") and r["requestedBackend"] != backend:
                backend += f" (asked {r['requestedBackend']})"
            if r.get("wasmThreads"):
                backend += f", {r['wasmThreads']} thread" + ("s" if r["wasmThreads"] > 1 else "")
            cells = [r["runtime"], backend, r["model"], r["inputs"], _ms(r["loadMs"]), _ms(r["firstMs"]),
                     _ms(r["warmupMs"]), _ms(r["meanMs"]), _ms(r["medianMs"]), _ms(r["minMs"]), _ms(r["p90Ms"]),
                     str(r["runs"]),
                     human_bytes(r["peakBytes"]) if "peakBytes" in r else "-",
                     f"{r['shardFiles']} ({r['shardsInFlight']})" if r.get("shardFiles") else "-"]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    kernels = {r["runtime"]: r["wasmMatMul"] for r in results if r.get("wasmMatMul")}
    if kernels:  # whose kernels ran WASM's matrix products (site_src/common/wasm_kernels.ts)
        lines += ["", "WASM matrix products: " + "; ".join(f"{rt}: {k}" for rt, k in sorted(kernels.items()))]
    return "\n".join(lines)


def format_loads(loads: list[dict]) -> str:
    """A Markdown table of page load times."""
    lines = ["| page | backend | load event ms | last byte ms | TF.js kernels at load | ready ms (last byte or kernel) "
             "| requests |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['page']}/{r['query']} | {r['backend'] or '-'} | {r['loadEventMs']:.0f} | "
              f"{r['lastResponseMs']:.0f} | {r['kernels']} | {r['readyMs']:.0f} | {r['requests']} |" for r in loads]
    return "\n".join(lines)


def target_lines(report: dict) -> list[str]:
    """The performance targets this run can check: MNIST on WASM in Chromium, pages ready in 2 s."""
    lines = []
    for r in report["results"]:
        if r.get("runtime") == "chromium" and r.get("backend") == "wasm" and r["model"].startswith("mnist/") \
                and "error" not in r:
            verdict = "met" if r["medianMs"] < 5 else "NOT met"
            lines.append(f"MNIST on WASM in Chromium: median {r['medianMs']:.2f} ms (target < 5 ms): {verdict}")
    for p in report["pages"]:
        verdict = "met" if p["readyMs"] < 2000 else "NOT met"
        lines.append(f"{p['page']}/{p['query']} ({p['backend'] or 'no backend'}): ready in {p['readyMs']:.0f} ms "
                     f"(target < 2000 ms): {verdict}")
    return lines


def run(settings: BenchSettings) -> dict:
    """Run every benchmark; returns {"machine", "settings", "results", "pages"}."""
    specs = load_specs(settings.site)
    if settings.models:
        specs = [s for s in specs if any(m in s["id"] for m in settings.models)]
        if not specs:
            raise BuildError(f"--models {','.join(settings.models)} matches no model; the site has: "
                             + ", ".join(s["id"] for s in load_specs(settings.site)))
    info = machine()  # before the run: its load average says how busy the machine was
    server = _Server(settings.site)
    try:
        browser_results, loads = run_browser(server.url, specs, settings)
    finally:
        server.close()
    node_results = run_node(settings.site, specs, settings) if settings.node else []
    return {"machine": info, "settings": {"backends": settings.backends, "runs": settings.runs,
                                          "warmups": settings.warmups},
            "results": browser_results + node_results, "pages": loads}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m builders.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--site", default="_site", help="built site folder (default: _site)")
    parser.add_argument("--backends", default="wasm,cpu,webgl",
                        help=f"comma-separated, from {', '.join(BROWSER_BACKENDS)} (default: wasm,cpu,webgl); "
                             "Node runs the cpu and wasm ones")
    parser.add_argument("--runs", type=int, default=10, help="timed runs per model (default: 10)")
    parser.add_argument("--warmups", type=int, default=3, help="untimed runs after the first (default: 3)")
    parser.add_argument("--models", default="", help="only models whose id contains one of these, e.g. lit,mnist")
    parser.add_argument("--no-node", action="store_true", help="skip the Node runs")
    parser.add_argument("--no-pages", action="store_true", help="skip timing each demo page's load")
    parser.add_argument("--page-loads", type=int, default=3,
                        help="visits per demo page and backend, the median is reported (default: 3)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds allowed per model (default: 300)")
    parser.add_argument("--json", default="", help="also write every number to this JSON file")
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = [b for b in backends if b not in BROWSER_BACKENDS]
    if unknown or not backends:
        print(f"error: --backends: unknown backend {', '.join(unknown) or '(none given)'}; "
              f"choose from {', '.join(BROWSER_BACKENDS)}", file=sys.stderr)
        return 2
    if args.runs < 1 or args.warmups < 0:
        print("error: --runs must be >= 1 and --warmups >= 0", file=sys.stderr)
        return 2
    if node_executable() is None and not args.no_node:
        print("error: node is not installed; install Node 20 or pass --no-node", file=sys.stderr)
        return 2
    settings = BenchSettings(Path(args.site).resolve(), backends, args.runs, args.warmups,
                             [m.strip() for m in args.models.split(",") if m.strip()], not args.no_node,
                             not args.no_pages, args.timeout, max(1, args.page_loads))
    try:
        report = run(settings)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    m = report["machine"]
    print(f"machine: {m['nproc']} CPUs, {m['cpu']}, {m['os']}; {m['chromium']}; node {m['node']}; "
          f"load average before the run {m['load']}")
    print(f"settings: {args.runs} runs after {args.warmups} warm-up runs; "
          f"command: python -m builders.bench {' '.join(argv if argv is not None else sys.argv[1:])}".rstrip())
    print()
    print(format_table(report["results"]))
    if report["pages"]:
        print()
        print(format_loads(report["pages"]))
    targets = target_lines(report)
    if targets:
        print("\ntargets checked by this run:")
        print("\n".join(f"- {line}" for line in targets))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2), encoding="utf-8")
        print(f"\nwrote {args.json}")
    failed = [r for r in report["results"] if "error" in r]
    return 1 if failed and len(failed) == len(report["results"]) else 0


if __name__ == "__main__":
    sys.exit(main())
