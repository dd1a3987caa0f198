"""The browser-side vectorizer and model against `profanity_check` itself."""

from __future__ import annotations

import sys

import numpy as np
import profanity_check.profanity_check as pc

from .corpus import sentences

TEXTS = sentences()


def test_corpus_is_varied():
    probs = pc.predict_prob(TEXTS)
    assert len(TEXTS) >= 300
    assert (probs > 0.9).sum() >= 30 and (probs < 0.1).sum() >= 30  # both classes well represented


def test_tokens_and_tfidf_rows_match_sklearn(embedded_dir, run_node):
    got = run_node({"mode": "vectorize", "dataFile": str(embedded_dir / "vectorizer.json"), "texts": TEXTS})
    analyzer = pc.vectorizer.build_analyzer()
    x = pc.vectorizer.transform(TEXTS)
    for i, text in enumerate(TEXTS):
        assert got[i]["tokens"] == analyzer(text), text
        row = x.getrow(i)
        expected = dict(zip(row.indices.tolist(), row.data.tolist()))
        actual = {int(c): v for c, v in got[i]["row"]}
        assert actual.keys() == expected.keys(), text
        for column, value in expected.items():
            assert abs(actual[column] - value) <= 1e-12, (text, column)


def test_probabilities_match_predict_prob(embedded_dir, run_node):
    got = run_node({"mode": "classify", "modelDir": str(embedded_dir), "texts": TEXTS, "threshold": 0.9})
    assert got["modelLabels"] == ["profanity"]
    (prediction,) = got["predictions"]
    probs = np.array([r["probabilities"] for r in prediction["results"]])
    expected = pc.predict_prob(TEXTS)
    error = np.abs(probs[:, 1] - expected).max()
    assert error <= 1e-5, f"max |TF.js - predict_prob| = {error:.3g}"
    assert np.abs(probs[:, 0] - (1 - expected)).max() <= 1e-5


def test_lowercase_matches_python_for_every_code_point(run_node):
    # The vectorizer lower-cases with JS toLowerCase(); it must equal Python's str.lower()
    # wherever the result can reach a token (letters and digits).
    chars = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]
    changed = [c for c in chars if c.lower() != c or c.upper() != c]
    samples = changed + ["ΟΔΟΣ ΟΔΟΣ.", "ΣΑΣ", "AΣ", "Σ", "İSTANBUL"]
    got = run_node({"mode": "lower", "texts": samples})
    mismatches = [(hex(ord(s[0])), s.lower(), g) for s, g in zip(samples, got) if s.lower() != g]
    assert mismatches == []


def test_classify_api_labels_and_threshold_under_node(embedded_dir, run_node):
    texts = ["you are a fucking idiot", "Thank you for this lovely demo!", "meh"]
    expected = pc.predict_prob(texts)
    for threshold in (0.5, 0.9, 0.99):
        got = run_node({"mode": "classify", "modelDir": str(embedded_dir), "texts": texts,
                        "threshold": threshold, "labels": ["profanity"]})
        matches = [r["match"] for r in got["predictions"][0]["results"]]
        assert matches == [(p > 0.5) if max(p, 1 - p) > threshold else None for p in expected], threshold
    error = run_node({"mode": "classify", "modelDir": str(embedded_dir), "texts": texts, "labels": ["insult"]},
                     expect_error=True)
    assert "unknown label(s) insult; this model has: profanity" in error
    error = run_node({"mode": "classify", "modelDir": str(embedded_dir), "texts": texts, "threshold": 2},
                     expect_error=True)
    assert "threshold must be a number in [0, 1], got 2" in error
