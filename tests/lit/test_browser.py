"""The LiT page and playground in headless Chromium against a smoke-built site."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import numpy as np
import pytest

from builders.build import PROJECT_ROOT
from builders.demos.lit.checkpoint import load_checkpoint
from builders.demos.lit.formats import canonicalize_prompt, read_embeddings, read_image_infos, read_model_def
from builders.demos.lit.models import text_embed_fn
from builders.demos.lit.tokenizer import Tokenizer
from builders.serve import CORSRequestHandler
from tests.conftest import foreign_requests, serve_directory

pytestmark = pytest.mark.browser

CUSTOM_PROMPTS = ["a purple cross on the right", "three tiny things at the top", "zzz ✨ Unknown WORDS 42"]


def _softmax(x: np.ndarray, temperature: float) -> np.ndarray:
    e = np.exp(temperature * x - np.max(temperature * x))
    return e / e.sum()


def _python_text_embedder(site: Path, name: str):
    """JAX text tower of the built model: the cached checkpoint whose prompt embeddings are the
    ones the site ships (ztxts.bin), with the cached tokenizer."""
    model_dir = site / "data/models" / name
    model_def = read_model_def(model_dir / "def.json")
    keys, ztxts = read_embeddings(model_dir / "ztxts", model_def.embedding_size)
    candidates = sorted((PROJECT_ROOT / ".cache").rglob(f"lit-text-{name}/*/lit.npz"),
                        key=lambda p: p.stat().st_mtime, reverse=True)
    tokenizers = sorted((PROJECT_ROOT / ".cache").rglob("lit-tokenizer/*/sentencepiece.model"),
                        key=lambda p: p.stat().st_mtime, reverse=True)
    for path in candidates:
        ckpt = load_checkpoint(path)
        if ckpt.text_config.out_dim != model_def.embedding_size:
            continue
        fn = text_embed_fn(ckpt.text_config)
        for tok_path in tokenizers:
            tok = Tokenizer(tok_path, model_def.max_len)
            if tok.vocab_size > ckpt.text_config.vocab_size:
                continue
            if np.allclose(np.asarray(fn(ckpt.txt, tok.encode(keys))), ztxts, atol=1e-5):
                return (lambda texts, fn=fn, ckpt=ckpt, tok=tok: np.asarray(fn(ckpt.txt, tok.encode(texts))),
                        model_def)
    pytest.fail(f"no cached checkpoint reproduces {model_dir}/ztxts.bin")


def _open(page, url: str):
    page.goto(url)
    page.get_by_test_id("model-status").filter(has_text="ready").wait_for(timeout=120_000)
    page.get_by_test_id("card").first.wait_for()


def _card_probabilities(card) -> list[float]:
    probs = card.get_by_test_id("probability")
    probs.first.filter(has_text="%").wait_for()
    return [float(v) for v in probs.evaluate_all("els => els.map(e => e.dataset.value)")]


def test_probabilities_equal_python_softmax(built_site, site_server, browser_page):
    page = browser_page
    _open(page, site_server + "lit/index.html")
    card = page.get_by_test_id("card").first
    image_id = card.locator("img").get_attribute("src").rsplit("/", 1)[-1].removesuffix(".jpg")
    inputs = card.get_by_test_id("prompt-input")
    while inputs.count() < len(CUSTOM_PROMPTS):
        card.get_by_test_id("add-prompt").click()
    while inputs.count() > len(CUSTOM_PROMPTS):
        card.get_by_role("button", name=f"remove prompt {inputs.count()}").click()
    for i, prompt in enumerate(CUSTOM_PROMPTS):
        inputs.nth(i).fill(prompt)
    card.get_by_test_id("compute").click()
    got = _card_probabilities(card)

    embed, model_def = _python_text_embedder(built_site, "tiny")
    ids, zimgs = read_embeddings(built_site / "data/models/tiny/zimgs", model_def.embedding_size)
    # The page embeds prompts canonicalised (lower case, no punctuation, single spaces), as the
    # precomputed ones are: case and punctuation never change a score.
    sims = embed([canonicalize_prompt(p) for p in CUSTOM_PROMPTS]) @ zimgs[ids.index(image_id)]
    expected = _softmax(sims, model_def.temperature)
    np.testing.assert_allclose(got, expected, atol=2e-4)
    assert sum(got) == pytest.approx(1, abs=1e-5)
    assert not foreign_requests(page.requests, site_server)


def test_example_prompts_use_precomputed_embeddings_and_enter_computes(built_site, site_server, browser_page):
    page = browser_page
    _open(page, site_server + "lit/index.html")
    card = page.get_by_test_id("card").first
    info = read_image_infos(built_site / "data/images/info.json")[0]
    prompts = card.get_by_test_id("prompt-input").evaluate_all("els => els.map(e => e.value)")
    assert prompts == info.prompt_list()
    card.get_by_test_id("prompt-input").first.press("Enter")
    got = _card_probabilities(card)
    model_def = read_model_def(built_site / "data/models/tiny/def.json")
    keys, ztxts = read_embeddings(built_site / "data/models/tiny/ztxts", model_def.embedding_size)
    ids, zimgs = read_embeddings(built_site / "data/models/tiny/zimgs", model_def.embedding_size)
    sims = np.array([ztxts[keys.index(canonicalize_prompt(p))] for p in prompts]) @ zimgs[ids.index(info.id)]
    np.testing.assert_allclose(got, _softmax(sims, model_def.temperature), atol=1e-5)


def test_url_state_round_trips(site_server, browser_page, built_site):
    page = browser_page
    info = read_image_infos(built_site / "data/images/info.json")[-1]
    state = f"#v1&m=small&c={quote(quote(info.id))}|{quote(quote('one ~ prompt & more'))}|{quote(quote('ünï 🙂'))}"
    _open(page, site_server + "lit/index.html" + state)
    assert page.get_by_test_id("model-select").input_value() == "small"
    cards = page.get_by_test_id("card")
    assert cards.count() == 1
    inputs = cards.first.get_by_test_id("prompt-input")
    assert inputs.evaluate_all("els => els.map(e => e.value)") == ["one ~ prompt & more", "ünï 🙂"]
    inputs.nth(1).fill("a yellow diamond")
    cards.first.get_by_test_id("duplicate").click()
    assert cards.count() == 2
    hash_after = page.evaluate("location.hash")
    assert hash_after.startswith("#v1&")

    page.goto("about:blank")
    _open(page, site_server + "lit/index.html" + hash_after)
    cards = page.get_by_test_id("card")
    assert cards.count() == 2
    for i in range(2):
        values = cards.nth(i).get_by_test_id("prompt-input").evaluate_all("els => els.map(e => e.value)")
        assert values == ["one ~ prompt & more", "a yellow diamond"]
    cards.nth(1).get_by_test_id("remove-card").click()
    cards.first.get_by_test_id("clear").click()
    assert cards.count() == 1
    assert cards.first.get_by_test_id("prompt-input").evaluate_all("els => els.map(e => e.value)") == [""]
    assert not foreign_requests(page.requests, site_server)


def test_bad_state_version_is_reported(site_server, browser_page):
    page = browser_page
    _open(page, site_server + "lit/index.html#v0&m=tiny")
    page.get_by_test_id("message").filter(has_text="version 'v0'").wait_for()
    assert page.get_by_test_id("card").count() >= 1


def test_playground_uses_the_standalone_library(built_site, site_server, browser_page):
    page = browser_page
    page.goto(site_server + "lit/playground.html")
    page.get_by_test_id("playground-status").filter(has_text="ready").wait_for(timeout=120_000)
    n_images = len(read_image_infos(built_site / "data/images/info.json"))
    results = page.get_by_test_id("playground-result")
    results.nth(n_images - 1).wait_for()
    assert results.count() == n_images
    for text in results.all_text_contents():
        percents = [float(p.split()[-1].rstrip("%")) for p in text.split(": ", 1)[1].split(", ")]
        assert sum(percents) == pytest.approx(100, abs=0.2)
    assert page.evaluate("Object.keys(window.lit).sort()") == ["ImageData", "Model", "getImageUrl", "setBaseUrl"]
    scripts = page.evaluate("[...document.scripts].map(s => s.src.split('/').pop())")
    assert not any(s.startswith("lit-") or s.startswith("main") for s in scripts if s.endswith(".js")
                   and s not in ("exports_bin.js", "playground.js"))
    assert not foreign_requests(page.requests, site_server)
    assert not page.console_errors, page.console_errors


def test_data_can_come_from_another_origin(built_site, site_server, browser, tmp_path):
    """A third-party page using exports_bin.js with setBaseUrl on another origin (CORS) works."""
    (tmp_path / "exports_bin.js").write_bytes((built_site / "lit/exports_bin.js").read_bytes())
    (tmp_path / "index.html").write_text(
        '<!doctype html><meta charset="utf-8"><script type="module" src="exports_bin.js"></script>')
    page_server, page_url = serve_directory(tmp_path)
    data_server, data_url = serve_directory(built_site, CORSRequestHandler)
    context = browser.new_context()
    try:
        page = context.new_page()
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(page_url + "index.html")
        page.wait_for_function("window.lit !== undefined")
        result = page.evaluate("""async (base) => {
            lit.setBaseUrl(base);
            const m = new lit.Model('tiny');
            await m.load();
            const images = await new lit.ImageData().load();
            return {probs: await m.computeProbabilities(['a red circle', 'a blue square'], 0),
                    url: lit.getImageUrl(images.infos[0].id)};
        }""", data_url)
        assert result["url"].startswith(data_url + "data/images/")
        assert sum(result["probs"]) == pytest.approx(1, abs=1e-5)
        assert any(u.startswith(data_url + "data/models/tiny/tfjs/") for u in requests)
    finally:
        context.close()
        page_server.shutdown()
        data_server.shutdown()


def test_example_prompts_work_without_the_text_encoder(site_server, browser):
    """With the TF.js model unreachable, known prompts still use the precomputed embeddings,
    new prompts get a 'not ready' warning and the load failure is reported."""
    # Service workers are blocked: requests they make are invisible to page.route.
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    page.route("**/tfjs/model.json", lambda route: route.abort())
    page.goto(site_server + "lit/index.html")
    page.get_by_test_id("message").filter(has_text="Could not load the 'tiny' model").wait_for()
    card = page.get_by_test_id("card").first
    card.get_by_test_id("compute").click()
    probs = _card_probabilities(card)
    assert sum(probs) == pytest.approx(1, abs=1e-5)
    card.get_by_test_id("prompt-input").first.fill("something nobody precomputed")
    card.get_by_test_id("compute").click()
    page.get_by_test_id("message").filter(has_text="text encoder is not ready yet").wait_for()
    assert card.get_by_test_id("probability").first.text_content() == ""
    context.close()
