"""`python -m builders.moderate` with damaged model files: exit 2 and one line naming the file.

The model is a two-word stand-in written in tmp_path with the published layout (vectorizer.json,
model.json, one weight shard), so no build is needed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from builders import moderate as mod

REBUILD = "rebuild the site or pass the published folder as --model-dir"


@pytest.fixture
def model_dir(tmp_path) -> Path:
    """A tiny embedded model: 'bad' pushes towards the label, 'good' away from it."""
    folder = tmp_path / "toxicity"
    folder.mkdir()
    (folder / "vectorizer.json").write_text(json.dumps({
        "format": "tfidf-vectorizer/1", "ngram_range": [1, 1], "label": "profanity", "terms": ["bad", "good"],
        "idf": [1.0, 1.0], "stop_words": [], "token_pattern": r"(?u)\b\w\w+\b", "sublinear_tf": False}))
    arrays = {"coef": np.array([[8.0], [-8.0]], np.float32), "intercept": np.zeros(1, np.float32),
              "a": -np.ones(1, np.float32), "b": np.zeros(1, np.float32)}
    (folder / "group1-shard1of1.bin").write_bytes(b"".join(a.tobytes() for a in arrays.values()))
    (folder / "model.json").write_text(json.dumps({"weightsManifest": [{
        "paths": ["group1-shard1of1.bin"],
        "weights": [{"name": n, "shape": list(a.shape), "dtype": "float32"} for n, a in arrays.items()]}]}))
    mod.load_model.cache_clear()
    return folder


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """`main(argv)` as (exit status, stdout, stderr)."""
    code = mod.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_stand_in_model_works(model_dir, capsys):
    assert run(capsys, "good day", "--model-dir", str(model_dir))[0] == 0
    code, out, _ = run(capsys, "bad day", "good day", "--json", "--model-dir", str(model_dir))
    assert code == 1
    assert [json.loads(line)["decision"] for line in out.splitlines()] == ["reject", "ok"]


def test_malformed_model_json(model_dir, capsys):
    (model_dir / "model.json").write_text("{not json")
    code, out, err = run(capsys, "hi", "--model-dir", str(model_dir))
    assert (code, out) == (2, "")
    assert err == (f"error: {model_dir / 'model.json'}: not a readable JSON file (Expecting property name "
                   f"enclosed in double quotes: line 1 column 2 (char 1)); {REBUILD}\n")


def test_missing_weight_shard(model_dir, capsys):
    (model_dir / "group1-shard1of1.bin").unlink()
    code, _, err = run(capsys, "hi", "--model-dir", str(model_dir))
    assert code == 2
    assert err == f"error: {model_dir / 'group1-shard1of1.bin'} not found; {REBUILD}\n"


def test_truncated_weight_shard(model_dir, capsys):
    shard = model_dir / "group1-shard1of1.bin"
    shard.write_bytes(shard.read_bytes()[:6])
    code, _, err = run(capsys, "hi", "--model-dir", str(model_dir))
    assert code == 2
    assert err == (f"error: {model_dir / 'model.json'}: weight 'coef' needs bytes up to 8, "
                   f"its files hold 6; {REBUILD}\n")


def test_vectorizer_missing_a_key(model_dir, capsys):
    spec = json.loads((model_dir / "vectorizer.json").read_text())
    del spec["idf"]
    (model_dir / "vectorizer.json").write_text(json.dumps(spec))
    code, _, err = run(capsys, "hi", "--model-dir", str(model_dir))
    assert code == 2
    assert err == (f"error: {model_dir}: the model files do not match the embedded model's layout "
                   f"(KeyError: 'idf'); {REBUILD}\n")


def test_vectorizer_of_another_format(model_dir, capsys):
    (model_dir / "vectorizer.json").write_text(json.dumps(["not", "a", "spec"]))
    code, _, err = run(capsys, "hi", "--model-dir", str(model_dir))
    assert code == 2
    assert err == f"error: {model_dir / 'vectorizer.json'}: unsupported vectorizer (format None)\n"
