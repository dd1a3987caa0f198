"""tox-block 0.1.2 in Flax against the Keras maths in float64 NumPy, and its README's outputs."""

from __future__ import annotations

import time
from pathlib import Path

import jax
import numpy as np
import pytest

from builders.demos.toxicity import toxblock

from .toxblock_corpus import sentences

ROOT = Path(__file__).resolve().parents[2]
# The build's download folder (`Cache(".cache").root / "toxicity-downloads"`): fetched once, reused.
DOWNLOADS = ROOT / ".cache" / "toxicity-downloads"

# tox_block's README (the wheel's METADATA): make_predictions([...], rescale=True).
README = {
    "Good morning my friend, I hope you're having a fantastic day!": {
        "toxic": 0.05347811430692673, "severe_toxic": 0.0006274021579883993, "obscene": 0.004466842859983444,
        "threat": 0.009578478522598743, "insult": 0.00757843442261219, "identity_hate": 0.002106667961925268},
    "I will kill you, you fucking idiot!": {
        "toxic": 0.9998679757118225, "severe_toxic": 0.7870362997055054, "obscene": 0.9885633587837219,
        "threat": 0.8483908176422119, "insult": 0.9883397221565247, "identity_hate": 0.171059250831604},
    "I do strongly disagree with the fascist views of this joke that calls itself a political party.": {
        "toxic": 0.026190076023340225, "severe_toxic": 7.185135473264381e-05, "obscene": 0.0009493605466559529,
        "threat": 0.00012321282702032477, "insult": 0.0029190618079155684, "identity_hate": 0.0022098885383456945},
}


@pytest.fixture(scope="module")
def model() -> toxblock.ToxBlockModel:
    return toxblock.load(DOWNLOADS)


@pytest.fixture(scope="module")
def corpus(model) -> list[str]:
    return sentences(sorted(model.tokenizer.word_index, key=model.tokenizer.word_index.get))


def test_readme_outputs_reproduced(model):
    # The README's numbers are float32 Keras outputs printed to 17 digits; ours differ in the last
    # float32 bits only (the README itself shows two runs differing by 1.2e-7).
    texts = list(README)
    raw = toxblock.reference_probabilities(model.keras_params, model.tokenizer.encode(texts))
    got = toxblock.rescale_probabilities(raw)
    worst = 0.0
    for text, row in zip(texts, got):
        print(text)
        for label, value in zip(toxblock.LABELS, row):
            expected = README[text][label]
            print(f"  {label:14} ours {value:.9f}  README {expected:.9f}")
            worst = max(worst, abs(value - expected))
    print(f"max |ours - README| = {worst:.3g}")
    assert worst <= 1e-6


def test_flax_matches_float64_reference(model, corpus):
    ids = model.tokenizer.encode(corpus)
    assert len(corpus) >= 280 and ids.shape == (len(corpus), 100) and ids.dtype == np.int32
    # The corpus reaches every case of the tokenizer: empty rows, full (truncated) rows, partly padded.
    filled = (ids != 0).sum(axis=1)
    assert (filled == 0).sum() >= 3 and (filled == 100).sum() >= 15 and ((filled > 0) & (filled < 100)).sum() >= 150
    start = time.perf_counter()
    expected = toxblock.reference_probabilities(model.keras_params, ids)
    reference_s = time.perf_counter() - start
    got = np.asarray(jax.jit(toxblock.make_apply(rescale=False))(model.params, ids), np.float64)
    error = float(np.abs(got - expected).max())
    print(f"{len(corpus)} sentences: max |Flax float32 - NumPy float64| = {error:.3g} "
          f"(reference {reference_s:.1f} s)")
    assert error <= 2e-6
    # Not a constant model: the corpus has confident toxic and clean sentences.
    assert (expected[:, 0] > 0.9).sum() >= 10 and (expected[:, 0] < 0.1).sum() >= 100
    # The unrolled Python loop computes the same as the scan.
    few = ids[:4]
    unrolled = np.asarray(jax.jit(toxblock.make_apply(loop="python", rescale=False))(model.params, few))
    assert np.abs(unrolled - got[:4]).max() <= 1e-6


def test_tokenizer_is_keras_texts_to_sequences(model):
    tok = model.tokenizer
    assert tok.num_words == 20000 and len(tok.word_index) == 300257
    words = tok.words("Hello, WORLD!! it's a-test\tof\nsplitting  ")
    assert words == ["hello", "world", "it's", "a", "test", "of", "splitting"]
    rare = next(w for w, i in tok.word_index.items() if i == 25000)
    ids = tok.sequence(f"the {rare} xqzzyv the")
    assert ids == [tok.word_index["the"]] * 2  # past num_words and unknown words are dropped
    row = tok.encode(["the " * 150])[0]
    assert (row == tok.word_index["the"]).all()
    row = tok.encode(["you the"])[0]
    assert row[:98].tolist() == [0] * 98 and row[98:].tolist() == [tok.word_index["you"], tok.word_index["the"]]
    vocab = tok.vocabulary()
    assert len(vocab) == 19999 and vocab[0] == next(w for w, i in tok.word_index.items() if i == 1)


def test_rescaling_is_tox_blocks_min_max(model):
    lo, hi = toxblock.RESCALE_PROBA["severe_toxic"]
    p = np.zeros((3, 6))
    p[:, 1] = [0.0, lo + (hi - lo) / 2, 0.9]
    out = toxblock.rescale_probabilities(p)
    assert out[0, 1] == pytest.approx(lo / (hi - lo))  # |p - min|: tox-block takes the absolute value
    assert out[1, 1] == pytest.approx(0.5)
    assert out[2, 1] == 1.0  # past the max: clipped, so [1 - p, p] stays a probability pair


@pytest.fixture(scope="module")
def toxblock_page():
    """The default source's page, built through the project's build cache (.cache/toxicity-toxblock)."""
    from builders.cache import Cache
    from builders.demos import toxicity
    from builders.demos.base import BuildContext

    ctx = BuildContext(site=None, cache=Cache(ROOT / ".cache"), profile="default", project_root=ROOT)
    assert toxicity.Config().source == "toxblock" and toxicity.Config.SMOKE["source"] == "embedded"
    return toxicity.build_assets(toxicity.Config(), ctx)


@pytest.fixture(scope="module")
def toxblock_dir(toxblock_page, tmp_path_factory) -> Path:
    """A folder laid out like `_site/data/models/toxicity/` for the toxblock source."""
    import shutil

    out = tmp_path_factory.mktemp("toxblock-site")
    for site_path, src in toxblock_page.files.items():
        shutil.copyfile(src, out / Path(site_path).name)
    return out


def test_converted_model_is_one_loop_with_params_once(toxblock_page, toxblock_dir):
    import json

    manifest = toxblock_page.data["manifest"]
    print({k: manifest[k] for k in ("params", "param_bytes", "weight_bytes", "model_bytes", "model_json_bytes",
                                    "graph_nodes", "while_loops", "tfjs_vs_jax_max_abs_error", "seconds")})
    assert manifest["params"] == 1_045_756
    # Weights once (an unrolled scan would carry the LSTM kernels 100 times): within 1 KB of the params.
    assert manifest["param_bytes"] <= manifest["weight_bytes"] <= manifest["param_bytes"] + 1024
    assert manifest["while_loops"] == 1 and manifest["model_json_bytes"] < 100_000
    assert manifest["tfjs_vs_jax_max_abs_error"] <= 1e-5
    graph = json.loads((toxblock_dir / "model.json").read_text())
    (signature_input,) = graph["signature"]["inputs"].values()
    assert signature_input["dtype"] == "DT_INT32"
    assert [int(d["size"]) for d in signature_input["tensorShape"]["dim"]] == [-1, 100]
    spec = json.loads((toxblock_dir / "keras_tokenizer.json").read_text(encoding="utf-8"))
    assert len(spec["words"]) == 19999 and spec["words"][:3] == ["the", "to", "of"] and spec["num_words"] == 20000


@pytest.fixture(scope="module")
def page_at_half(corpus, toxblock_dir, run_node) -> dict:
    """The page's classifier (TF.js CPU under Node) on the whole corpus at threshold 0.5: run once
    (~35 s) and compared with both the Keras maths and the server."""
    return run_node({"mode": "classify", "source": "toxblock", "modelDir": str(toxblock_dir), "texts": corpus,
                     "threshold": 0.5})


def test_typescript_tokenizer_gives_the_python_ids(model, corpus, toxblock_dir, run_node):
    got = run_node({"mode": "keras", "dataFile": str(toxblock_dir / "keras_tokenizer.json"), "texts": corpus})
    expected = model.tokenizer.encode(corpus)
    mismatches = [(text[:60], g["words"][:8])
                  for text, g, row in zip(corpus, got, expected) if g["ids"] != row.tolist()]
    assert mismatches == []
    assert all(g["words"] == model.tokenizer.words(t) for t, g in zip(corpus, got))


def test_typescript_classifier_matches_the_keras_maths(model, corpus, page_at_half):
    got = page_at_half
    assert got["modelLabels"] == list(toxblock.LABELS)
    expected = toxblock.rescale_probabilities(
        toxblock.reference_probabilities(model.keras_params, model.tokenizer.encode(corpus)))
    worst = 0.0
    for head, prediction in enumerate(got["predictions"]):
        assert prediction["label"] == toxblock.LABELS[head]
        probs = np.array([r["probabilities"] for r in prediction["results"]])
        worst = max(worst, float(np.abs(probs[:, 1] - expected[:, head]).max()))
        assert np.abs(probs[:, 0] - (1 - expected[:, head])).max() <= 1e-5
        matches = [r["match"] for r in prediction["results"]]
        assert matches == [bool(p > 0.5) if max(p, 1 - p) > 0.5 else None for p in expected[:, head]]
    print(f"{len(corpus)} sentences x 6 labels: max |TF.js (CPU) - NumPy float64| = {worst:.3g}")
    assert worst <= 1e-5


def test_typescript_api_labels_and_threshold(toxblock_dir, run_node):
    texts = ["I will kill you, you fucking idiot!", "Good morning my friend, I hope you're having a fantastic day!"]
    got = run_node({"mode": "classify", "source": "toxblock", "modelDir": str(toxblock_dir), "texts": texts,
                    "threshold": 0.9, "labels": ["insult", "threat"]})
    assert [p["label"] for p in got["predictions"]] == ["threat", "insult"]  # model order, as the original
    assert [r["match"] for r in got["predictions"][1]["results"]] == [True, False]
    assert got["predictions"][0]["results"][0]["match"] is None  # threat 0.85: unsure at 0.9
    error = run_node({"mode": "classify", "source": "toxblock", "modelDir": str(toxblock_dir), "texts": texts,
                      "labels": ["profanity"]}, expect_error=True)
    assert "unknown label(s) profanity; this model has: toxic, severe_toxic, obscene, threat, insult" in error


THREATS = ["I will find where you live and hurt you"]


def test_server_moderate_agrees_with_the_page(model, corpus, toxblock_dir, page_at_half):
    from builders.moderate import is_flagged, load_model, moderate

    load_model.cache_clear()
    server = moderate(corpus, threshold=0.5, model_dir=toxblock_dir)
    page = page_at_half["predictions"]
    assert [p["label"] for p in server] == list(toxblock.LABELS)
    worst = max(abs(a["probabilities"][1] - b["probabilities"][1])
                for s, b_ in zip(server, page) for a, b in zip(s["results"], b_["results"]))
    print(f"max |server - page| = {worst:.3g}")
    assert worst <= 1e-5
    assert [is_flagged(server, i) for i in range(len(corpus))] == [is_flagged(page, i) for i in range(len(corpus))]


def test_threat_without_swear_words_is_flagged(toxblock_dir):
    # tox-block scores this (rescaled) toxic 0.56, threat 0.29: a threat at the 0.5 threshold only
    # through `toxic`; at the default 0.9 it passes (see docs/toxicity.md, "What each source catches").
    from builders.moderate import is_flagged, moderate

    predictions = moderate(THREATS, threshold=0.5, model_dir=toxblock_dir)
    scores = {p["label"]: p["results"][0]["probabilities"][1] for p in predictions}
    print(scores)
    assert is_flagged(predictions) and scores["toxic"] > 0.5 and scores["threat"] > 0.2
