"""The `official` source: tokenizer parity with SentencePiece, fetching, pinning, fallback, classify."""

from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pytest

from builders.cache import Cache
from builders.demos import toxicity
from builders.demos.base import BuildContext
from builders.errors import BuildError
from tests.conftest import serve_directory

from . import official_fixture as fx
from .corpus import sentences

TEXTS = sentences(n_random=60, seed=3)
EXTRA = ["ქართული ენა and words", "  leading and  double  spaces ", "ﬁne ＦＵＬＬ width", "", "😀😀 emoji"]


@pytest.fixture(scope="module")
def spm_model():
    return fx.train_sentencepiece(sentences())


@pytest.fixture(scope="module")
def official_dir(tmp_path_factory, spm_model):
    out = tmp_path_factory.mktemp("official") / "files"
    params = fx.write_official_model(out, spm_model)
    return out, params


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def context(tmp_path) -> BuildContext:
    return BuildContext(site=None, cache=Cache(tmp_path / "cache"), profile="default", project_root=tmp_path)


def test_unigram_tokenizer_matches_sentencepiece(spm_model, run_node, tmp_path):
    vocab_file = tmp_path / "vocab.json"
    vocab_file.write_text(json.dumps(fx.vocabulary(spm_model), ensure_ascii=False))
    texts = TEXTS + EXTRA
    got = run_node({"mode": "spm", "dataFile": str(vocab_file), "texts": texts, "reserved": fx.RESERVED})
    for text, ids in zip(texts, got):
        assert ids == spm_model.encode(text), text
    assert 0 in got[len(TEXTS)]  # the Georgian text exercises the unknown-character path


def test_local_dir_build_and_classify(official_dir, run_node, spm_model, tmp_path):
    files, params = official_dir
    pins = [f"{p.name} {sha256(p)}" for p in sorted(files.iterdir())]
    config = toxicity.Config(source="official", official_local_dir=str(files), official_sha256=pins)
    page = toxicity.build_assets(config, context(tmp_path))
    assert page.data["source"] == "official" and page.summary["source"] == "official"
    assert page.data["client"]["modelLabels"] == fx.LABELS
    assert sorted(page.files) == sorted(f"data/models/toxicity/{p.name}" for p in files.iterdir())
    site = tmp_path / "site"
    site.mkdir()
    for site_path, src in page.files.items():
        shutil.copyfile(src, site / site_path.rsplit("/", 1)[1])

    texts = TEXTS[:7]
    got = run_node({"mode": "classify", "source": "official", "modelDir": str(site), "texts": texts,
                    "threshold": 0.6, "labels": ["threat", "insult"]})
    assert got["modelLabels"] == fx.LABELS
    assert [p["label"] for p in got["predictions"]] == ["insult", "threat"]  # model order
    expected = fx.reference(params, spm_model, texts)
    for prediction in got["predictions"]:
        ref = expected[fx.LABELS.index(prediction["label"])]
        probs = np.array([r["probabilities"] for r in prediction["results"]])
        assert np.abs(probs - ref).max() < 1e-5
        for p, r in zip(ref, prediction["results"]):
            assert r["match"] == ((p[1] > p[0]) if p.max() > 0.6 else None)


def test_download_with_pins_and_mismatch(official_dir, tmp_path):
    files, _ = official_dir
    server, url = serve_directory(files)
    try:
        pins = [f"{sha256(p)}  {p.name}" for p in sorted(files.iterdir())]  # sha256sum's own order
        config = toxicity.Config(source="official", official_model_url=url + "model.json",
                                 official_vocab_url=url + "vocab.json", official_sha256=pins)
        page = toxicity.build_assets(config, context(tmp_path / "a"))
        assert page.data["source"] == "official"
        assert page.data["manifest"]["unpinned"] == []

        bad = toxicity.Config(source="official", official_model_url=url + "model.json",
                              official_vocab_url=url + "vocab.json", official_sha256=["vocab.json " + "0" * 64])
        with pytest.raises(BuildError, match=r"do not match demos.toxicity.official_sha256.*\n  vocab.json: "
                                             r"expected 0{64}, got [0-9a-f]{64}"):
            toxicity.build_assets(bad, context(tmp_path / "b"))
    finally:
        server.shutdown()


def test_unreachable_falls_back_or_fails(tmp_path, capsys):
    server, url = serve_directory(tmp_path)  # serves an empty folder: every file is a 404
    try:
        config = toxicity.Config(source="official", official_model_url=url + "model.json",
                                 official_vocab_url=url + "vocab.json")
        page = toxicity.build_assets(config, context(tmp_path / "a"))
        assert page.data["source"] == "embedded"
        assert page.data["client"]["modelLabels"] == ["profanity"]
        assert f"could not download {url}model.json (HTTP 404 " in page.data["fallback"]
        assert "using the embedded model instead" in capsys.readouterr().out
        strict = toxicity.Config(source="official", official_model_url=url + "model.json",
                                 official_vocab_url=url + "vocab.json", fail_if_unavailable=True)
        with pytest.raises(BuildError, match="the official model is unavailable: could not download"):
            toxicity.build_assets(strict, context(tmp_path / "b"))
    finally:
        server.shutdown()
        server.server_close()
    # Nothing listens on the port any more: a network failure, not an HTTP error.
    page = toxicity.build_assets(config, context(tmp_path / "c"))
    assert page.data["source"] == "embedded"
    assert f"could not download {url}model.json (" in page.data["fallback"]


def test_bad_pins_and_labels_are_reported(tmp_path):
    with pytest.raises(BuildError, match=r'official_sha256: expected "<file> <sha256>", got "model.json"'):
        toxicity.build_assets(toxicity.Config(source="official", official_local_dir=str(tmp_path),
                                              official_sha256=["model.json"]), context(tmp_path))
    with pytest.raises(BuildError, match=r"labels: insult not produced by the embedded model \(its labels: "
                                         r"profanity\)"):
        toxicity.build_assets(toxicity.Config(source="embedded", labels=["insult"]), context(tmp_path))
