"""Preprocessing: the Python and TypeScript versions give the same 28x28 input for the same strokes."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from builders.demos.mnist.preprocess import BRUSH_RADIUS, CANVAS_SIZE, area_weights, preprocess, rasterize_strokes
from tests.mnist.strokes import DIGITS

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ESBUILD = PROJECT_ROOT / "node_modules" / ".bin" / "esbuild"

EDGE_CASES = {
    "dot": [[(140.0, 140.0)]],
    "tiny dot near the corner": [[(3.0, 4.0)]],
    "horizontal bar": [[(20.0, 200.0), (260.0, 205.0)]],
    "long tail off-centre": [[(10.0, 10.0), (15.0, 270.0), (270.0, 272.0)]],
    "symmetric cross": [[(140.0, 40.0), (140.0, 240.0)], [(40.0, 140.0), (240.0, 140.0)]],
    "strokes outside the canvas": [[(-30.0, 100.0), (300.0, 120.0)]],
    # most ink at the far left: centring by mass would push the digit out on the right
    "blob with a long tail": [[(20.0 + 40 * (i % 2), 100.0 + 5 * i) for i in range(17)],
                              [(40.0, 140.0), (270.0, 140.0)]],
}


@pytest.fixture(scope="module")
def ts_preprocess(tmp_path_factory):
    """A function running the TypeScript preprocessing (bundled with esbuild) under Node."""
    if shutil.which("node") is None or not ESBUILD.exists():
        pytest.fail("node and node_modules/.bin/esbuild are needed: run `npm ci`")
    bundle = tmp_path_factory.mktemp("ts") / "preprocess_cli.mjs"
    subprocess.run([str(ESBUILD), str(Path(__file__).with_name("preprocess_cli.ts")), "--bundle",
                    "--platform=node", "--format=esm", f"--outfile={bundle}", "--log-level=warning"],
                   check=True, cwd=PROJECT_ROOT)

    def run(cases: list[dict]) -> list[dict]:
        proc = subprocess.run(["node", str(bundle)], input=json.dumps({"cases": cases}), capture_output=True,
                              text=True, check=True)
        return json.loads(proc.stdout)["results"]

    return run


def test_python_and_typescript_agree_on_the_same_strokes(ts_preprocess):
    named = {f"digit {d}": s for d, s in DIGITS.items()} | EDGE_CASES
    # the same drawings again with a thin pen on a small canvas
    named |= {f"{name}, radius 3": s for name, s in list(named.items())[:3]}
    cases = [{"strokes": s, "size": CANVAS_SIZE, "radius": 3.0 if "radius 3" in name else BRUSH_RADIUS}
             for name, s in named.items()]
    ts_results = ts_preprocess(cases)
    assert len(ts_results) == len(cases)
    for (name, strokes), case, ts in zip(named.items(), cases, ts_results):
        raster = rasterize_strokes(strokes, case["size"], case["radius"])
        assert ts["raster_sum"] == pytest.approx(raster.sum(), rel=1e-12), name
        field = preprocess(raster)
        assert field is not None and ts["field"] is not None, name
        ts_field = np.asarray(ts["field"], np.float32).reshape(28, 28)
        np.testing.assert_allclose(ts_field, field, atol=1e-6, rtol=0, err_msg=name)
        assert field.sum() > 1, name  # the drawing is really there


def test_empty_drawing_gives_none_in_both(ts_preprocess):
    assert preprocess(np.zeros((CANVAS_SIZE, CANVAS_SIZE))) is None
    assert ts_preprocess([{"strokes": [], "size": CANVAS_SIZE, "radius": BRUSH_RADIUS}])[0]["field"] is None


def test_preprocess_fits_20x20_keeps_aspect_and_centres_by_mass():
    field = preprocess(rasterize_strokes(DIGITS[1]))
    rows, cols = np.flatnonzero(field.any(axis=1)), np.flatnonzero(field.any(axis=0))
    assert rows[-1] - rows[0] + 1 == 20  # tall digit: scaled to 20 px high
    assert cols[-1] - cols[0] + 1 <= 4  # ... and stays thin
    ys, xs = np.mgrid[0:28, 0:28]
    cy, cx = (field * ys).sum() / field.sum(), (field * xs).sum() / field.sum()
    assert abs(cy - 13.5) <= 0.5 + 1e-5 and abs(cx - 13.5) <= 0.5 + 1e-5
    assert field.min() >= 0 and field.max() <= 1
    assert ((field > 0.05) & (field < 0.95)).any()  # grey levels from anti-aliasing


def test_digit_is_shifted_back_inside_the_field_when_centring_by_mass_would_cut_it():
    raster = rasterize_strokes(EDGE_CASES["blob with a long tail"])
    field = preprocess(raster)
    ink = raster > 0.1
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    crop = raster[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    h, w = crop.shape
    out_h, out_w = round(h * 20 / w), 20
    small = area_weights(h, out_h) @ crop @ area_weights(w, out_w).T
    assert field.sum() == pytest.approx(small.sum(), rel=1e-6)  # nothing was cut off
    assert field[:, 27].any() and not field[:, :8].any()  # pushed against the right edge
