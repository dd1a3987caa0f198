"""The benchmark page (`_site/benchmark/index.html`): every model the site ships, ready to time.

The build calls `benchmark_page(pages)` after the demos ran. Each demo may describe its
models in `Page.benchmarks`; for a page that does not, the models are found in `Page.files`
(every `data/**/model.json`) and their inputs read from the model's `signature`, with the
unknown batch dimension replaced by the article's sizes (`BATCH_BY_PAGE`): 5 sentences of
16 tokens for the LiT text towers, one image for MNIST, one text for toxicity.

A benchmark spec (the JSON the page and `python -m builders.bench` read) is
`{"id", "page", "name", "url", "inputs": [{"name", "shape", "dtype", "kind", "max"?}], "note"}`:
`url` is relative to the data base URL (`models/jax/static/model.json`); `kind` is `random`
(uniform floats in [0, 1)), `tokens` (int32 ids in [1, max)) or `sparse_indices` (the
`[row, position]` pairs of a sparse batch, as the official toxicity model takes).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .demos.base import Page
from .errors import BuildError
from .summary import human_bytes

NAME = "benchmark"

# The article's input sizes: (batch of texts, tokens per sequence when the model leaves it open).
BATCH_BY_PAGE: dict[str, tuple[int, int]] = {
    "lit": (5, 16),  # the article timed LiT text towers on 5 prompts of 16 tokens
    "mnist": (1, 0),  # one drawing
    "toxicity": (1, 16),  # one text
}
DEFAULT_BATCH = (1, 16)
# Token ids are drawn below this bound: every vocabulary we ship is larger, so every id is valid.
TOKEN_ID_BOUND = 100

_DTYPES = {"DT_FLOAT": "float32", "DT_INT32": "int32", "DT_BOOL": "bool", "DT_INT64": "int32"}


def _dims(tensor_info: dict) -> list[int]:
    dims = tensor_info.get("tensorShape", {}).get("dim", [])
    return [int(d.get("size", -1)) for d in dims]


def _input_specs(page_name: str, model_json: dict, where: str) -> list[dict[str, Any]]:
    """Concrete benchmark inputs for one model, from its signature and the page's batch size."""
    signature = (model_json.get("signature") or {}).get("inputs") or {}
    if not signature:
        raise BuildError(f"{where}: model.json has no signature.inputs, so the benchmark page cannot tell what "
                         "to feed it; describe its inputs in Page.benchmarks (see builders/benchmark_page.py)")
    batch, tokens = BATCH_BY_PAGE.get(page_name, DEFAULT_BATCH)
    infos = sorted(signature.items())
    shapes = {key: _dims(info) for key, info in infos}
    int_vectors = [k for k, info in infos if _DTYPES.get(info.get("dtype")) == "int32" and len(shapes[k]) == 1]
    specs = []
    for key, info in infos:
        dtype = _DTYPES.get(info.get("dtype", ""))
        if dtype is None:
            raise BuildError(f"{where}: input {key} has dtype {info.get('dtype')}, which the benchmark page "
                             "cannot generate; describe its inputs in Page.benchmarks")
        shape = list(shapes[key])
        name = info.get("name", key).split(":")[0]
        if dtype == "int32" and shape[1:] == [2] and int_vectors:
            # A sparse batch (indices [n, 2] + values [n]): one text of `tokens` ids.
            specs.append({"name": name, "shape": [batch * tokens, 2], "dtype": dtype, "kind": "sparse_indices",
                          "rows": batch})
            continue
        if dtype == "int32" and len(shape) == 1 and key in int_vectors and any(
                shapes[k][1:] == [2] for k in shapes):
            specs.append({"name": name, "shape": [batch * tokens], "dtype": dtype, "kind": "tokens",
                          "max": TOKEN_ID_BOUND})
            continue
        if shape and shape[0] < 0:
            # The batch sizes above count texts; an image input (e.g. a LiT image tower) gets one image.
            shape[0] = batch if dtype == "int32" or page_name != "lit" else 1
        shape = [tokens if d < 0 else d for d in shape]
        if any(d <= 0 for d in shape):
            raise BuildError(f"{where}: input {key} has shape {shapes[key]}; set the sizes in Page.benchmarks")
        kind = "tokens" if dtype == "int32" else "random"
        spec = {"name": name, "shape": shape, "dtype": dtype, "kind": kind}
        if kind == "tokens":
            spec["max"] = TOKEN_ID_BOUND
        specs.append(spec)
    return specs


def _describe(inputs: list[dict]) -> str:
    return ", ".join(f"{i['name']} {'x'.join(map(str, i['shape']))} {i['dtype']}" for i in inputs)


def discover_benchmarks(page: Page) -> list[dict[str, Any]]:
    """Benchmark specs for one demo page: `Page.benchmarks` if set, else every shipped model.json."""
    specs = []
    if page.benchmarks:
        for entry in page.benchmarks:
            spec = {"page": page.name, **entry}
            spec.setdefault("id", f"{page.name}/{spec['name']}")
            spec.setdefault("note", _describe(spec["inputs"]))
            spec.setdefault("weight_label", "")  # declared entries may not know their weight size
            specs.append(spec)
        return specs
    for site_path, source in sorted(page.files.items()):
        if not (site_path.startswith("data/") and site_path.endswith("/model.json")):
            continue
        source = Path(source)
        try:
            model_json = json.loads(source.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise BuildError(f"{site_path} (from {source}): cannot read it as JSON ({exc})") from None
        url = site_path.removeprefix("data/")
        # `models/<page>/<name>/model.json` -> "<name>"; `models/<page>/model.json` -> "<page>".
        parts = url.split("/")[:-1]
        label = "/".join(parts[2:]) if len(parts) > 2 and parts[1] == page.name else "/".join(parts[1:])
        label = label.removesuffix("/tfjs") or page.name
        inputs = _input_specs(page.name, model_json, site_path)
        weight_bytes = sum(Path(page.files[p]).stat().st_size for p in _weight_files(site_path, model_json, page))
        specs.append({"id": f"{page.name}/{label}", "page": page.name, "name": label, "url": url,
                      "inputs": inputs, "note": _describe(inputs), "weight_bytes": weight_bytes,
                      "weight_label": human_bytes(weight_bytes)})
    return specs


def _weight_files(model_path: str, model_json: dict, page: Page) -> list[str]:
    folder = model_path.rsplit("/", 1)[0]
    paths = [f"{folder}/{p}" for group in model_json.get("weightsManifest", []) for p in group.get("paths", [])]
    return [p for p in paths if p in page.files]


def benchmark_page(pages: list[Page]) -> Page | None:
    """The benchmark page for the demo pages built, or None when they ship no model."""
    specs = [spec for page in pages for spec in discover_benchmarks(page)]
    if not specs:
        return None
    return Page(
        name=NAME,
        title="Benchmark",
        description="Time every model of this site on your own device: load, first inference, warm-up, "
                    "mean and median of N runs, peak tensor memory.",
        template=f"{NAME}/index.html",
        entry=f"site_src/{NAME}/main.ts",
        data={"models": specs, "client": {"models": specs}},
        summary={"models": len(specs)},
    )
