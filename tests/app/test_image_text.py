"""app.Image and app.Text end to end: the two docs examples (docs/examples/image, docs/examples/text) built
from a copy outside the repository with the CLI, opened in headless Chromium, an example clicked and the
Label checked against JAX; and what the browser feeds the model compared with Python's `preprocess`:
pictures (PNG, JPEG, translucent, uploaded) to float32 rounding, token ids exactly."""

from __future__ import annotations

import json
import shutil

import jax
import numpy as np
import pytest
from PIL import Image

import builders.build
from builders.app.project import Config, load_demo
from builders.build import PROJECT_ROOT
from builders.cache import Cache
from builders.demos.base import BuildContext
from tests.conftest import foreign_requests, serve_directory

EXAMPLES = PROJECT_ROOT / "docs" / "examples"
# Largest |browser - Python| allowed for a preprocessed picture: both sides compute in float64 and
# round to float32 once (PNG); a JPEG's decoders may differ by one level in a pixel (1/255 here).
PNG_TOLERANCE = 1e-6
JPEG_TOLERANCE = 1.5 / 255 / 0.2  # one level, divided by the std below


def build_copy(tmp_path_factory, example: str) -> object:
    folder = tmp_path_factory.mktemp("outside-the-repo") / example
    shutil.copytree(EXAMPLES / example, folder)
    assert not folder.resolve().is_relative_to(PROJECT_ROOT)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(builders.build, "build_docs", lambda *args, **kwargs: None)
        assert builders.build.main(["--config", str(folder / "site.toml"), "--profile", "smoke"]) == 0
    return folder


def user_demo(folder, name: str):
    ctx = BuildContext(site=None, cache=Cache(folder / ".cache" / "smoke"), profile="smoke", project_root=folder)
    return load_demo(Config(module=str(folder / "demo.py")), ctx, name, folder)


@pytest.fixture(scope="module")
def image_project(tmp_path_factory):
    return build_copy(tmp_path_factory, "image")


@pytest.fixture(scope="module")
def text_project(tmp_path_factory):
    return build_copy(tmp_path_factory, "text")


def test_the_examples_are_short_python_only():
    for example in ("image", "text"):
        files = sorted(p.name for p in (EXAMPLES / example).rglob("*") if p.is_file())
        assert not [f for f in files if f.endswith((".ts", ".js", ".html"))], files
        assert len((EXAMPLES / example / "demo.py").read_text().splitlines()) <= 30, example


def shown_label(page) -> dict[str, float]:
    rows = page.locator('[data-testid="label-rows"] li')
    return {rows.nth(i).get_attribute("data-name"): float(rows.nth(i).get_attribute("data-value"))
            for i in range(rows.count())}


def click_example(page, url: str, index: int) -> None:
    page.goto(url)
    page.locator('[data-testid="outputs"][data-state="ready"]').wait_for()
    page.click(f'[data-testid="example-{index}"]')
    page.locator(f'[data-testid="outputs"][data-example="{index}"][data-state="ready"]').wait_for()


def last_feed(page) -> np.ndarray:
    return np.asarray(page.evaluate("window.appLastFeeds[0].data"), np.float64)


def check_against_jax(page, demo, value, names):
    probabilities = np.asarray(jax.nn.softmax(demo.fn(demo.params, *demo.batch([[value]]))))[0]
    shown = shown_label(page)
    for name, p in zip(names, probabilities):
        if name in shown:
            assert abs(shown[name] - p) < 1e-5, (name, shown[name], p)
    assert page.locator('[data-testid="label-best"]').inner_text() == names[int(np.argmax(probabilities))]
    assert page.locator('[data-testid="match"]').get_attribute("data-state") == "match"


@pytest.mark.browser
def test_image_example_clicked_and_uploaded(image_project, browser_page):
    demo = user_demo(image_project, "digits")
    image = demo.input_list[0]
    names = [str(d) for d in range(10)]
    server, url = serve_directory(image_project / "_site")
    try:
        page = browser_page
        click_example(page, url + "digits/index.html", 1)
        expected = image.preprocess("examples/digit-7.png").reshape(-1)
        error = float(np.max(np.abs(last_feed(page) - expected)))
        print(f"digit-7.png: browser vs Python max |diff| {error:.2g}")
        assert error <= PNG_TOLERANCE
        check_against_jax(page, demo, "examples/digit-7.png", names)
        # an upload: the file input the "Choose a picture" button opens
        page.set_input_files('[data-testid="image-file"]', str(image_project / "examples" / "digit-3.png"))
        page.locator('[data-testid="outputs"][data-example=""][data-state="ready"]').wait_for()
        uploaded = image.preprocess("examples/digit-3.png").reshape(-1)
        assert float(np.max(np.abs(last_feed(page) - uploaded))) <= PNG_TOLERANCE
        assert page.locator('[data-testid="image-camera"]').get_attribute("capture") == "environment"
        assert "8 × 8" in page.locator('[data-testid="image-note"]').inner_text()
        assert foreign_requests(page.requests, url) == []
        assert page.console_errors == []
    finally:
        server.shutdown()


@pytest.mark.browser
def test_text_example_clicked_typed_and_cut(text_project, browser_page):
    demo = user_demo(text_project, "language")
    box = demo.input_list[0]
    names = ["English", "French", "German", "Spanish", "Italian"]
    server, url = serve_directory(text_project / "_site")
    try:
        page = browser_page
        click_example(page, url + "language/index.html", 1)
        assert last_feed(page).tolist() == box.preprocess("Stati Uniti d’America").tolist()
        check_against_jax(page, demo, "Stati Uniti d’America", names)
        typed = "République démocratique du Congo, Côte d’Ivoire et São Tomé-et-Príncipe 東京 😀"
        page.fill('[data-testid="input"][data-type="text"] textarea', typed)
        page.locator('[data-testid="outputs"][data-example=""][data-state="ready"]').wait_for()
        ids, cut = box.encode(typed)
        assert last_feed(page).tolist() == ids and cut
        note = page.locator('[data-testid="text-note"]')
        assert note.get_attribute("data-truncated") == "true" and note.inner_text().startswith("Too long")
        assert note.is_visible()
        page.fill('[data-testid="input"][data-type="text"] textarea', "Italia")
        page.locator('[data-testid="outputs"][data-example=""][data-state="ready"]').wait_for()
        assert page.locator('[data-testid="text-note"]').get_attribute("data-truncated") == "false"
        assert page.console_errors == []
    finally:
        server.shutdown()


PARITY_DEMO = '''
import jax.numpy as jnp
from builders import app

def predict(params, image):
    return jnp.stack([image.mean(axis=(1, 2, 3)), image.max(axis=(1, 2, 3))], axis=1)

def demo(ctx):
    return app.Demo(title="Parity", description="Pictures.", fn=predict, params={},
                    inputs=app.Image("photo", size=(20, 28), mean=[0.485, 0.456, 0.406], std=[0.2, 0.2, 0.2]),
                    outputs=app.JSON(), examples=["wide.png", "tall.jpg", "glass.png", "sub/small.png"])
'''


def photo(height: int, width: int, seed: int) -> np.ndarray:
    """A smooth colour picture with some sharp edges (harder for resampling than noise or flat colour)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width] / max(height, width)
    planes = [np.sin(x * rng.uniform(3, 12) + y * rng.uniform(3, 12) + rng.uniform(0, 6)) for _ in range(3)]
    rgb = (np.stack(planes, -1) * 110 + 128 + rng.normal(0, 12, (height, width, 3))).clip(0, 255)
    rgb[height // 3: height // 2, width // 4: width // 2] = [250, 20, 30]
    return rgb.astype(np.uint8)


@pytest.fixture(scope="module")
def parity_project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("image-parity")
    (folder / "demo.py").write_text(PARITY_DEMO)
    Image.fromarray(photo(61, 173, 0)).save(folder / "wide.png")
    Image.fromarray(photo(301, 97, 1)).save(folder / "tall.jpg", quality=90)
    rgba = np.concatenate([photo(40, 40, 2), np.linspace(0, 255, 1600).reshape(40, 40, 1).astype(np.uint8)], -1)
    Image.fromarray(rgba, "RGBA").save(folder / "glass.png")
    (folder / "sub").mkdir()
    Image.fromarray(photo(9, 13, 3)).save(folder / "sub" / "small.png")  # upsampled
    builtin = "".join(f"[demos.{n}]\nenabled = false\n" for n in ("jax", "mnist", "toxicity", "lit"))
    (folder / "site.toml").write_text(f'[demos.parity]\nmodule = "demo.py"\n{builtin}')
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(builders.build, "build_docs", lambda *args, **kwargs: None)
        builders.build.build(folder / "site.toml", profile="smoke")
    return folder


def test_area_resampling_is_the_block_mean_when_sizes_divide(parity_project):
    """An independent check of the box filter: 60x84 -> 20x28 is the mean of each 3x3 block."""
    from builders.app.image import decode, preprocess

    rgb = decode(parity_project / "wide.png")[:60, :84]
    ours = preprocess(rgb, (20, 28), 3, "none", 1.0, 0.0, [0, 0, 0], [1, 1, 1])
    blocks = rgb.astype(np.float64).reshape(20, 3, 28, 3, 3).mean(axis=(1, 3))
    assert np.max(np.abs(ours - blocks)) <= 1e-4


@pytest.mark.browser
def test_browser_feeds_what_python_preprocess_gives(parity_project, browser_page):
    demo = user_demo(parity_project, "parity")
    image = demo.input_list[0]
    server, url = serve_directory(parity_project / "_site")
    try:
        page = browser_page
        page.goto(url + "parity/index.html")
        page.locator('[data-testid="outputs"][data-state="loading"], [data-testid="outputs"][data-state="ready"]'
                     ).first.wait_for()
        errors = {}
        for i, name in enumerate(demo.examples):
            page.click(f'[data-testid="example-{i}"]')
            page.locator(f'[data-testid="outputs"][data-example="{i}"][data-state="ready"]').wait_for()
            errors[name] = float(np.max(np.abs(last_feed(page) - image.preprocess(name).reshape(-1))))
            assert page.locator('[data-testid="match"]').get_attribute("data-state") == "match", name
        print("browser vs Python max |diff|:", json.dumps(errors))
        assert all(errors[n] <= PNG_TOLERANCE for n in ("wide.png", "sub/small.png")), errors
        assert errors["glass.png"] <= 1 / 255 / 0.2 + 1e-6, errors  # a canvas composites alike or one level off
        assert errors["tall.jpg"] <= JPEG_TOLERANCE, errors
        assert page.console_errors == []
    finally:
        server.shutdown()
