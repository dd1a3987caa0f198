"""Server-side `moderate` agrees with the browser module (under Node) and with profanity_check."""

from __future__ import annotations

import json

import numpy as np
import profanity_check.profanity_check as pc
import pytest

from builders import moderate as mod

from .corpus import sentences

TEXTS = sentences(n_random=80, seed=11)


def test_moderate_agrees_with_node_and_predict_prob(embedded_dir, run_node):
    server = mod.moderate(TEXTS, threshold=0.9, model_dir=embedded_dir)
    browser = run_node({"mode": "classify", "modelDir": str(embedded_dir), "texts": TEXTS, "threshold": 0.9})
    assert [p["label"] for p in server] == [p["label"] for p in browser["predictions"]] == ["profanity"]
    s = np.array([r["probabilities"] for r in server[0]["results"]])
    b = np.array([r["probabilities"] for r in browser["predictions"][0]["results"]])
    assert np.abs(s - b).max() <= 1e-5
    assert np.abs(s[:, 1] - pc.predict_prob(TEXTS)).max() <= 1e-5
    # Same decisions, except where a probability sits within float32 noise of the threshold.
    for text, rs, rb in zip(TEXTS, server[0]["results"], browser["predictions"][0]["results"]):
        if abs(max(rs["probabilities"]) - 0.9) > 1e-5:
            assert rs["match"] == rb["match"], text


def test_threshold_and_null_matches(embedded_dir):
    texts = ["you are a fucking idiot", "Thank you for this lovely demo!"]
    probs = [r["probabilities"][1] for r in mod.moderate(texts, model_dir=embedded_dir)[0]["results"]]
    assert probs[0] > 0.99 and probs[1] < 0.2
    # p_false of the clean text is below 0.9 but above 0.5: unsure at 0.9, confident at 0.5.
    p_false_clean = 1 - probs[1]
    above = mod.moderate(texts, threshold=min(0.999, p_false_clean + 0.01), model_dir=embedded_dir)[0]["results"]
    assert above[0]["match"] is True and above[1]["match"] is None
    below = mod.moderate(texts, threshold=0.5, model_dir=embedded_dir)[0]["results"]
    assert below[1]["match"] is False
    assert mod.is_flagged(mod.moderate(texts, model_dir=embedded_dir), 0)
    assert not mod.is_flagged(mod.moderate(texts, model_dir=embedded_dir), 1)


def test_labels_and_errors(embedded_dir, tmp_path):
    assert mod.moderate("hi", labels=["profanity"], model_dir=embedded_dir)[0]["label"] == "profanity"
    with pytest.raises(ValueError, match=r"unknown label\(s\) insult; this model has: profanity"):
        mod.moderate("hi", labels=["insult"], model_dir=embedded_dir)
    with pytest.raises(ValueError, match=r"threshold must be a number in \[0, 1\], got 1.5"):
        mod.moderate("hi", threshold=1.5, model_dir=embedded_dir)
    with pytest.raises(mod.BuildError, match="vectorizer.json not found"):
        mod.moderate("hi", model_dir=tmp_path)


def test_cli_prints_verdicts_and_exits_1_on_reject(embedded_dir, capsys):
    code = mod.main(["you are a fucking idiot", "have a nice day", "--model-dir", str(embedded_dir)])
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert out[0].startswith("REJECT") and "profanity=1.0000 (match=true)" in out[0]
    assert out[1].startswith("ok") and "'have a nice day'" in out[1]
    assert mod.main(["have a nice day", "thank you", "--model-dir", str(embedded_dir)]) == 0


def test_cli_json_lines_one_object_per_text(embedded_dir, capsys):
    texts = ["you are a fucking idiot", "have a nice day"]
    code = mod.main([*texts, "--json", "--model-dir", str(embedded_dir)])
    lines = capsys.readouterr().out.splitlines()
    assert code == 1
    records = [json.loads(line) for line in lines]
    assert [r["text"] for r in records] == texts
    assert [r["decision"] for r in records] == ["reject", "ok"]
    # The probabilities are exactly what moderate() computes, per label.
    expected = mod.moderate(texts, model_dir=embedded_dir)[0]["results"]
    assert [r["labels"]["profanity"] for r in records] == expected
    assert mod.main(["have a nice day", "--json", "--model-dir", str(embedded_dir)]) == 0


def test_cli_exits_2_on_errors(embedded_dir, tmp_path, capsys):
    assert mod.main(["x", "--labels", "threat", "--model-dir", str(embedded_dir)]) == 2
    assert "unknown label(s) threat" in capsys.readouterr().err
    assert mod.main(["x", "--model-dir", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith(
        f"error: {tmp_path / 'vectorizer.json'} not found (nor keras_tokenizer.json); build the site")
    with pytest.raises(SystemExit) as exit_info:
        mod.main(["x", "--threshold", "high"])
    assert exit_info.value.code == 2
    assert "invalid float value: 'high'" in capsys.readouterr().err
