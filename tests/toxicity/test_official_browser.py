"""A site built with `source = "official"` (from a local folder) runs the official-format model in Chromium."""

from __future__ import annotations

import numpy as np
import pytest

from builders.build import build
from tests.conftest import foreign_requests, serve_directory

from . import official_fixture as fx
from .corpus import sentences

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def official_site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("official-site")
    sp = fx.train_sentencepiece(sentences())
    params = fx.write_official_model(tmp / "vendor", sp)
    (tmp / "site.toml").write_text('[demos.toxicity]\nsource = "official"\nofficial_local_dir = "vendor"\n'
                                   'labels = ["insult", "threat"]\nthreshold = 0.7\n')
    build(tmp / "site.toml", tmp / "_site", only=["toxicity"], cache_dir=tmp / "cache")
    server, url = serve_directory(tmp / "_site")
    yield url, sp, params
    server.shutdown()


def test_official_model_classifies_in_the_browser(official_site, browser_page):
    url, sp, params = official_site
    page = browser_page
    page.goto(url + "toxicity/index.html")
    page.locator('[data-testid="submit"]:enabled').wait_for()
    assert [page.locator(f'[data-testid="label-{label}"]').is_checked() for label in fx.LABELS] == [True, True, False]
    assert page.locator('[data-testid="threshold"]').input_value() == "0.7"
    texts = sentences(n_random=5, seed=1)[:8]
    got = page.evaluate("""async (texts) => {
        const model = await window.toxicity.load(0.7, []);
        const predictions = await model.classify(texts);
        return {labels: model.modelLabels, predictions: predictions.map((p) => ({label: p.label,
            results: p.results.map((r) => ({probabilities: Array.from(r.probabilities), match: r.match}))}))};
    }""", texts)
    assert got["labels"] == fx.LABELS
    expected = fx.reference(params, sp, texts)
    for k, prediction in enumerate(got["predictions"]):
        assert prediction["label"] == fx.LABELS[k]
        probs = np.array([r["probabilities"] for r in prediction["results"]])
        assert np.abs(probs - expected[k]).max() < 1e-5
    assert foreign_requests(page.requests, url) == []
    assert page.console_errors == []
