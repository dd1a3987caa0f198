"""Home-page demo cards and one model card page per shipped model.

Both are made from what the demos already recorded (their `Page.data`, the `model.json` files they
publish, the benchmark page's model list): nothing is trained, converted or verified again, so they
add milliseconds to a cached rebuild. A number the build did not measure is written "not measured".

- `model_cards(pages, specs)`: one card per benchmark spec (every model the site ships):
  parameters and bytes from its `model.json`, its quantisation, the TF.js-vs-JAX check the demo ran
  (max error, on which inputs, on which backend), what the demo measured (accuracy, zero-shot), and
  where weights and data come from. Rendered by `templates/models/card.html` as `models/<slug>.html`.
- `demo_cards(pages, cards, staging)`: one card per demo for the home page, with a picture drawn
  from the demo's own data (written into `cards/`, or a file the demo already publishes).
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from html import escape
from math import prod
from pathlib import Path
from typing import Any

from .summary import human_bytes

CARDS_DIR = "cards"  # site folder of the pictures made here
MODELS_DIR = "models"  # site folder of the model card pages
MODEL_TEMPLATE = "models/card.html"
DEFAULT_BACKENDS = ("cpu", "webgl", "wasm")  # what a page bundles unless it says otherwise (Page.tfjs_backends)
BACKEND_LABELS = {"webgl": "WebGL", "wasm": "WASM", "cpu": "CPU", "webgpu": "WebGPU"}
BUILD_CHECK = "TF.js CPU backend in Node.js (builders/convert/verify.py)"
NOT_MEASURED = "not measured"


def model_slug(model_id: str) -> str:
    """'lit/tiny' -> 'lit-tiny': the model card's file name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", model_id).strip("-")


def card_href(model_id: str) -> str:
    """Site path of a model's card page."""
    return f"{MODELS_DIR}/{model_slug(model_id)}.html"


def _read_json(path: Path) -> dict:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _quantisation(weights: list[dict]) -> str:
    """How the weights are stored: 'float32 (none)' or e.g. 'uint8 (affine)' for quantised weights."""
    kinds = sorted({w["quantization"].get("dtype", "?") for w in weights if w.get("quantization")})
    stored = sorted({w.get("dtype", "float32") for w in weights if not w.get("quantization")})
    if not kinds:
        return f"none ({', '.join(stored) or 'float32'} tensors)"
    return ", ".join(kinds) + (f" (and unquantised {', '.join(stored)})" if stored else "")


def model_facts(page, spec: dict) -> dict[str, Any]:
    """Parameters, bytes and quantisation of one shipped model, from its published model.json."""
    model_path = f"data/{spec['url']}"
    source = page.files.get(model_path)
    model_json = _read_json(source) if source else {}
    weights = [w for group in model_json.get("weightsManifest", []) for w in group.get("weights", [])]
    folder = model_path.rsplit("/", 1)[0]
    shards = [f"{folder}/{p}" for group in model_json.get("weightsManifest", []) for p in group.get("paths", [])]
    weight_bytes = sum(Path(page.files[p]).stat().st_size for p in shards if p in page.files)
    json_bytes = Path(source).stat().st_size if source else 0
    metadata = model_json.get("userDefinedMetadata") or {}
    params = sum(prod(w.get("shape") or [1]) for w in weights if w.get("dtype", "float32") == "float32"
                 or w.get("quantization"))
    return {"params": params, "weight_bytes": weight_bytes, "model_json_bytes": json_bytes,
            "total_bytes": weight_bytes + json_bytes, "quantization": _quantisation(weights),
            "tensors": len(weights), "nodes": len((model_json.get("modelTopology") or {}).get("node", [])),
            "converted_by": model_json.get("convertedBy", ""), "generated_by": model_json.get("generatedBy", ""),
            "metadata_backends": list(metadata.get("backends") or []),
            "metadata": {k: metadata.get(k) for k in ("source", "licence", "input", "output", "labels")}}


def _page_records(page, spec: dict) -> dict[str, Any]:
    """What the demo measured for this model: the TF.js check, quality numbers, provenance lines."""
    data = page.data
    parity = {"max_abs_error": None, "checks": None, "inputs": "", "tolerance": None}
    measured: list[tuple[str, str]] = []
    provenance: list[str] = []
    article = ""
    recorded_params = None  # the demo's own count of the JAX parameters, where it recorded one
    if "verified" in data and isinstance(data.get("client"), dict) and "examples" in data["client"]:
        # A builders.app demo (a user's, or MNIST): builders/app/publish.py checked every example.
        client, verified = data["client"], data["verified"]
        n = len(client["examples"])
        parity.update(max_abs_error=verified["maxAbsError"], checks=verified["runs"], tolerance=client.get("tolerance"),
                      inputs=f"the demo's {n} example{'s' * (n != 1)} (as shown on its page) and its default input")
        article = data.get("article", "")
    elif "max_abs_error" in data and "checks" in data and "jax_outputs" in data:  # the JAX example
        rows = len(data["inputs"])
        parity.update(max_abs_error=data["max_abs_error"], checks=data["checks"],
                      inputs=f"seeded random normal batches and the page's {rows}×2 input "
                             f"(over the page's {len(data['models'])} models)")
        provenance.append(f"Weights: params['weight'] = {data['params']['weight']}, from site.toml "
                          "([demos.jax] weight); nothing is trained, so there is no training data.")
    elif "rows" in data and isinstance(data["rows"], list):  # LiT text towers
        row = next((r for r in data["rows"] if r.get("name") == spec["name"]), None)
        if row:
            recorded_params = row.get("params")
            parity.update(max_abs_error=row["max_abs_error"],
                          inputs="token ids of 5 of the site's prompts and seeded random token ids (batches 1 and 7)")
            for key, label in (("zero_shot_held_out", "zero-shot top-1, held-out scenes"),
                               ("zero_shot_seen", "zero-shot top-1, seen scenes")):
                if row.get(key) is not None:
                    measured.append((label, f"{row[key]:.1%}"))
            if row.get("gflops") is not None:
                measured.append(("GFLOPs for 5 prompts of 16 tokens", f"{row['gflops']:.4g}"))
        images = page.files.get("data/images/info.json")
        for source, licence in sorted({(i.get("source", "?"), i.get("license", "?"))
                                       for i in (_read_json_list(images) if images else [])}):
            provenance.append(f"Images: {source} ({licence}).")
        if data.get("embedded"):
            provenance.append("Weights: trained at build time by this site's build on those images and their "
                              "generated captions (see docs/lit.md).")
    elif "manifest" in data:  # the guestbook's toxicity model
        manifest = data["manifest"]
        recorded_params = manifest.get("params")
        parity.update(max_abs_error=manifest.get("tfjs_vs_jax_max_abs_error"), checks=manifest.get("checks"),
                      inputs="the demo's check sentences and seeded random batches of them")
        for key, label in (("jax_vs_sklearn_max_abs_error", "JAX port vs scikit-learn's predict_proba, max error"),
                           ("jax_vs_reference_max_abs_error", "Flax port vs the original Keras maths, max error")):
            if manifest.get(key) is not None:
                measured.append((label, f"{manifest[key]:.3g}"))
        if manifest.get("source"):
            licence = manifest.get("licence")
            provenance.append(f"Weights: {manifest['source']}"
                              + (f" ({licence})" if licence else "") + ", converted to JAX at build time.")
    return {"parity": parity, "measured": measured, "provenance": provenance, "article": article,
            "recorded_params": recorded_params}


def _read_json_list(path: Path) -> list[dict]:
    try:
        value = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _runs_on(page, facts: dict) -> list[str]:
    backends = list(getattr(page, "tfjs_backends", DEFAULT_BACKENDS))
    if facts["metadata_backends"]:  # the converter limited the model to exact backends
        backends = [b for b in backends if b in facts["metadata_backends"]]
    return backends


def model_cards(pages: list, specs: list[dict]) -> list[dict[str, Any]]:
    """One model card per benchmark spec; sets each spec's `card` (its page path) for the benchmark page."""
    by_name = {p.name: p for p in pages}
    cards = []
    for spec in specs:
        page = by_name.get(spec["page"])
        if page is None:
            continue
        facts = model_facts(page, spec)
        records = _page_records(page, spec)
        backends = _runs_on(page, facts)
        meta = facts["metadata"]
        if meta.get("source") and not any(meta["source"] in line for line in records["provenance"]):
            records["provenance"].append(f"Weights: {meta['source']}"
                                         + (f" ({meta['licence']})" if meta.get("licence") else "") + ".")
        spec["card"] = card_href(spec["id"])
        cards.append({"id": spec["id"], "slug": model_slug(spec["id"]), "href": spec["card"],
                      "name": spec["name"], "page": page.name, "page_title": page.title,
                      "page_description": page.description, "inputs": spec.get("note", ""),
                      **facts, **records, "backends": backends,
                      "backend_labels": [BACKEND_LABELS.get(b, b) for b in backends],
                      "checked_on": BUILD_CHECK if records["parity"]["max_abs_error"] is not None else "",
                      "docs": f"docs/{page.name}.html" if page.name in ("mnist", "lit", "toxicity") else ""})
    return cards


# ---- pictures ---------------------------------------------------------------------------------------------

def png_gray(pixels: list[list[int]]) -> bytes:
    """An 8-bit greyscale PNG of `pixels` (rows of 0-255 values)."""
    height, width = len(pixels), len(pixels[0])
    raw = b"".join(b"\x00" + bytes(row) for row in pixels)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def _digit_strip(values: list[list[float]], size: int, invert: bool) -> bytes:
    """Up to five square drawings side by side, ink dark on light paper, scaled up 2×."""
    tiles = values[:5]
    rows = []
    for y in range(size):
        row = []
        for tile in tiles:
            for x in range(size):
                v = min(1.0, max(0.0, float(tile[y * size + x])))
                ink = (1 - v) if invert else v
                row += [round(255 * (1 - ink))] * 2
            row += [255] * 4  # a gap between drawings
        rows += [row, row]
    return png_gray(rows)


def _svg(width: int, height: int, title: str, body: str) -> str:
    # The picture sits on the card's own light paper in both colour schemes: its text is dark on white.
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img">'
            f"<title>{escape(title)}</title><rect width='100%' height='100%' fill='#ffffff'/>{body}</svg>")


def _text(x: float, y: float, text: str, size: int = 14, weight: str = "normal", fill: str = "#1a1a1a") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-family="system-ui, sans-serif" font-size="{size}" '
            f'font-weight="{weight}" fill="{fill}">{escape(text)}</text>')


def _jax_plot(data: dict, title: str) -> str:
    """The page's inputs and JAX's outputs, column by column: y = weight × x."""
    xs = [v for row in data["inputs"] for v in row]
    ys = [v for row in data["jax_outputs"] for v in row if isinstance(v, (int, float))]
    lo, hi = min(xs + ys + [0.0]), max(xs + ys + [1.0])
    scale = 150 / ((hi - lo) or 1)

    def point(x: float, y: float) -> tuple[float, float]:
        return 40 + (x - lo) * scale * 1.6, 180 - (y - lo) * scale
    body = ['<line x1="40" y1="180" x2="300" y2="180" stroke="#444"/>',
            '<line x1="40" y1="20" x2="40" y2="180" stroke="#444"/>']
    colours = ["#0b5cad", "#a3360f"]
    for column, colour in enumerate(colours):
        pts = [point(row_in[column], row_out[column]) for row_in, row_out in zip(data["inputs"], data["jax_outputs"])
               if isinstance(row_out[column], (int, float))]
        body.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="'
                    + " ".join(f"{x:.1f},{y:.1f}" for x, y in pts) + '"/>')
        body += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>' for x, y in pts]
        weight = data["params"]["weight"][column]
        body.append(_text(52, 30 + 18 * column, f"column {column}: y = {weight:g} · x", 13, fill=colour))
    body.append(_text(240, 198, "x (input)", 12))
    return _svg(320, 210, title, "".join(body))


def _text_card(title: str, heading: str, lines: list[str]) -> str:
    body = [_text(16, 32, heading, 16, "bold")]
    y = 60
    for line in lines[:6]:
        body.append(f'<rect x="16" y="{y - 18}" width="288" height="26" rx="5" fill="#eef2f7" stroke="#b8c2cf"/>')
        body.append(_text(26, y, line[:40] + ("…" if len(line) > 40 else ""), 13))
        y += 34
    return _svg(320, max(210, y), title, "".join(body))


def _app_picture(page, site: Path) -> tuple[str, str] | None:
    """The first example's picture for a builders.app demo: its image file, or its drawing as a PNG."""
    client = page.data["client"]
    examples = client.get("examples") or []
    for i, spec in enumerate(client.get("inputs", [])):
        if not examples:
            break
        value = examples[0]["values"][i]
        if spec.get("type") == "image" and isinstance(value, str) and value in spec.get("files", {}):
            folder = client["model"].rsplit("/", 1)[0]
            return f"data/{folder}/{spec['files'][value]}", f"{spec.get('label', 'Image')}: the demo's first example"
        if spec.get("type") == "sketchpad" and isinstance(value, list):
            size = int(spec.get("size", 28))
            drawings = [e["values"][i] for e in examples if len(e["values"][i]) == size * size]
            rel = f"{CARDS_DIR}/{page.name}.png"
            (site / rel).write_bytes(_digit_strip(drawings, size, bool(spec.get("invert"))))
            return rel, f"{min(5, len(drawings))} of the demo's example drawings, as the model sees them"
    return None


def _picture(page, site: Path) -> tuple[str, str]:
    """(site path, alt text) of the card's picture for `page`, written into `site` when it is made here."""
    data = page.data
    (site / CARDS_DIR).mkdir(parents=True, exist_ok=True)
    if isinstance(data.get("client"), dict) and "examples" in data["client"]:
        found = _app_picture(page, site)
        if found:
            return found
    images = page.files.get("data/images/info.json")
    if images:
        infos = _read_json_list(images)
        for info in infos:
            for ext in ("jpg", "png"):
                rel = f"data/images/{info.get('id')}.{ext}"
                if rel in page.files:
                    return rel, f"One of the demo's images: {info.get('description', info.get('id'))}"
    rel = f"{CARDS_DIR}/{page.name}.svg"
    if "jax_outputs" in data:
        alt = "Plot of the example's inputs against what the JAX function returns for them, one line per column"
        svg = _jax_plot(data, alt)
    elif "manifest" in data:
        labels = data.get("model_labels") or []
        lines = [f"{label} ≥ {data.get('threshold')}: held for review" for label in labels]
        alt = f"A guestbook message checked for {', '.join(labels) or 'toxicity'} before it is posted"
        svg = _text_card(alt, "Checked before posting", ["Your message…", *lines, "otherwise: posted"])
    else:
        client = data.get("client") if isinstance(data.get("client"), dict) else {}
        inputs = [i.get("label", i.get("type", "input")) for i in client.get("inputs", [])]
        outputs = [o.get("label", o.get("type", "output")) for o in client.get("outputs", [])]
        alt = (f"{page.title}: inputs {', '.join(inputs) or 'none listed'}; "
               f"outputs {', '.join(outputs) or 'none listed'}")
        svg = _text_card(alt, page.title, [f"in: {i}" for i in inputs] + [f"out: {o}" for o in outputs])
    (site / rel).write_text(svg, encoding="utf-8")
    return rel, alt


def demo_cards(pages: list, cards: list[dict], site: Path) -> list[dict[str, Any]]:
    """One home-page card per demo page (the benchmark page is not a demo): picture, line, size, where it runs."""
    result = []
    for page in pages:
        if page.name == "benchmark":
            continue
        own = [c for c in cards if c["page"] == page.name]
        image, alt = _picture(page, site)
        backends = sorted({b for c in own for b in c["backends"]}, key=list(BACKEND_LABELS).index) if own else []
        result.append({"name": page.name, "title": page.title, "description": page.description,
                       "href": f"{page.name}/index.html", "image": image, "alt": alt,
                       "models": [{"name": c["name"], "href": c["href"], "bytes": c["total_bytes"],
                                   "label": human_bytes(c["total_bytes"])} for c in own],
                       "total_bytes": sum(c["total_bytes"] for c in own),
                       "runs_on": "/".join(BACKEND_LABELS.get(b, b) for b in backends)})
    return result
