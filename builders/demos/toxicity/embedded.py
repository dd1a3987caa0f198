"""Build step for the embedded model: port `alt-profanity-check`, convert, verify, export."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ...convert import VerifyCase, convert_jax, verify_many
from ...errors import BuildError
from . import profanity

# Sentences checked at build time (the full parity suite lives in tests/toxicity/).
VERIFY_TEXTS = [
    "Thank you for the lovely demo!",
    "you are a fucking idiot",
    "What the hell is this?",
    "I love this guestbook, greetings from Zürich",
    "shut up, you stupid moron",
    "",
    "Ünïcödé wörds, CJK 漢字 and emoji 🎉 mixed_with_underscores 42",
    "Go to hell you piece of shit",
]

MODEL_DIR = "model"
VECTORIZER_FILE = "vectorizer.json"


def build_embedded(out: Path, verify_batch_sizes: list[int]) -> dict:
    """Write `out/model/` (TF.js graph model) and `out/vectorizer.json`; verify them.

    Returns the manifest: label, byte sizes and the measured errors (TF.js vs JAX, and
    JAX vs `profanity_check.predict_prob`).
    """
    model = profanity.load_profanity_check()
    params = {k: v.astype(np.float32) for k, v in model.params.items()}
    n_terms = params["coef"].shape[0]
    result = convert_jax(
        profanity.apply, params,
        input_signatures=[((None, n_terms), np.float32)],
        polymorphic_shapes=[f"(b, {n_terms})"],
        model_dir=out / MODEL_DIR,
        metadata={"labels": [profanity.LABEL], "source": f"{profanity.PACKAGE} {model.version}",
                  "input": "l2-normalised TF-IDF row (see vectorizer.json)",
                  "output": "[P(not label), P(label)]"})
    spec = profanity.vectorizer_spec(model)
    (out / VECTORIZER_FILE).write_text(json.dumps(spec, ensure_ascii=False, separators=(",", ":")),
                                       encoding="utf-8")

    x = model.vectorizer.transform(VERIFY_TEXTS).toarray()
    expected = _sklearn_probabilities(x)
    jax_out = np.asarray(profanity.apply(params, x.astype(np.float32)), np.float64)
    jax_error = float(np.max(np.abs(jax_out - expected)))
    cases = [VerifyCase(out / MODEL_DIR, profanity.apply, params, [x.astype(np.float32)], atol=1e-5)]
    rng = np.random.default_rng(0)
    for n in verify_batch_sizes:
        rows = x[rng.integers(0, len(x), size=n)].astype(np.float32)
        cases.append(VerifyCase(out / MODEL_DIR, profanity.apply, params, [rows], atol=1e-5))
    reports = verify_many(cases)
    failed = [r.summary() for r in reports if not r.ok]
    if failed:
        raise BuildError("the converted toxicity model disagrees with JAX in TF.js:\n" + "\n".join(failed))
    if not jax_error <= 1e-5:  # also catches NaN, which compares false both ways
        raise BuildError(f"the JAX port of {profanity.PACKAGE} differs from predict_proba by "
                         f"{jax_error:.3g} (> 1e-5); the package's model format may have changed")
    model_bytes = sum(f.stat().st_size for f in (out / MODEL_DIR).iterdir())
    return {
        "label": profanity.LABEL,
        "source": f"{profanity.PACKAGE} {model.version}",
        "terms": n_terms,
        "classifiers": int(params["coef"].shape[1]),
        "model_bytes": model_bytes,
        "vectorizer_bytes": (out / VECTORIZER_FILE).stat().st_size,
        "weight_bytes": result.weight_bytes,
        "tfjs_vs_jax_max_abs_error": max(r.max_abs_error for r in reports),
        "jax_vs_sklearn_max_abs_error": jax_error,
        "checks": len(reports),
    }


def _sklearn_probabilities(x: np.ndarray) -> np.ndarray:
    """`profanity_check`'s own probabilities for TF-IDF rows `x` ([n, 2])."""
    from profanity_check import profanity_check as pc

    return np.asarray(pc.model.predict_proba(x), np.float64)
