"""The embedded model: `alt-profanity-check`'s classifier, ported to JAX and a JSON vectorizer.

`profanity_check` ships a scikit-learn `TfidfVectorizer` and a `CalibratedClassifierCV` of
five sigmoid-calibrated `LinearSVC`s (joblib pickles). Its probability is

    d_k   = x . w_k + c_k                       (LinearSVC decision function, k = 1..5)
    p_k   = expit(-(A_k * d_k + B_k))           (sklearn's `_SigmoidCalibration.predict`)
    P(1)  = mean_k p_k,   P(0) = mean_k (1 - p_k)

where `x` is the l2-normalised TF-IDF row. `apply` is that computation in JAX over `x`;
`vectorizer_spec` exports everything needed to compute `x` outside Python.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from importlib import metadata, resources
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ...errors import BuildError

LABEL = "profanity"
PACKAGE = "alt-profanity-check"


@dataclass
class ProfanityModel:
    """The arrays of the ported classifier plus the fitted vectorizer."""

    params: dict[str, np.ndarray]  # coef [V, K], intercept [K], a [K], b [K] (float64)
    vectorizer: Any  # sklearn TfidfVectorizer
    version: str


def load_profanity_check() -> ProfanityModel:
    """Read the pickled vectorizer and calibrated SVMs shipped in `alt-profanity-check`.

    Raises `BuildError` naming the package when it is missing or its model has another shape.
    """
    try:
        import joblib

        data = resources.files("profanity_check") / "data"
        vectorizer = joblib.load(data / "vectorizer.joblib")
        model = joblib.load(data / "model.joblib")
        version = metadata.version(PACKAGE)
    except ModuleNotFoundError as exc:
        raise BuildError(f"the embedded toxicity model needs the Python package '{PACKAGE}' "
                         f"(missing module {exc.name}); install it with `pip install {PACKAGE}` "
                         "or set demos.toxicity.source = \"official\"") from None
    if type(model).__name__ != "CalibratedClassifierCV" or model.method != "sigmoid":
        raise BuildError(f"{PACKAGE} {version}: expected a sigmoid CalibratedClassifierCV, "
                         f"got {type(model).__name__}; this port supports alt-profanity-check 1.x")
    if list(model.classes_) != [0, 1]:
        raise BuildError(f"{PACKAGE} {version}: expected classes [0, 1], got {list(model.classes_)}")
    coefs, intercepts, a, b = [], [], [], []
    for calibrated in model.calibrated_classifiers_:
        svm = calibrated.estimator
        if svm.coef_.shape[0] != 1 or len(calibrated.calibrators) != 1:
            raise BuildError(f"{PACKAGE} {version}: expected binary linear models, got coef "
                             f"shape {svm.coef_.shape}")
        coefs.append(svm.coef_[0])
        intercepts.append(svm.intercept_[0])
        a.append(calibrated.calibrators[0].a_)
        b.append(calibrated.calibrators[0].b_)
    params = {
        "coef": np.stack(coefs, axis=1).astype(np.float64),
        "intercept": np.asarray(intercepts, np.float64),
        "a": np.asarray(a, np.float64),
        "b": np.asarray(b, np.float64),
    }
    return ProfanityModel(params=params, vectorizer=vectorizer, version=version)


def apply(params: dict[str, Any], x: jax.Array) -> jax.Array:
    """[batch, V] l2-normalised TF-IDF rows -> [batch, 2] probabilities [P(clean), P(profane)]."""
    decision = x @ params["coef"] + params["intercept"]  # [batch, K]
    calibrated = jax.nn.sigmoid(-(params["a"] * decision + params["b"]))
    p_true = jnp.mean(calibrated, axis=1, keepdims=True)
    return jnp.concatenate([1.0 - p_true, p_true], axis=1)


def word_char_ranges() -> list[list[int]]:
    """Code-point ranges [lo, hi] that Python's `re` treats as `\\w` (str patterns, Unicode).

    Shipped with the vocabulary so the browser tokenizes with Python's exact character
    classes instead of its own Unicode tables (JS `\\p{L}` and Python `\\w` differ in
    version and in a few categories).
    """
    word = re.compile(r"\w")
    ranges: list[list[int]] = []
    for cp in range(sys.maxunicode + 1):
        if 0xD800 <= cp <= 0xDFFF:
            continue  # lone surrogates never appear in decoded text
        if word.match(chr(cp)):
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1][1] = cp
            else:
                ranges.append([cp, cp])
    return ranges


SUPPORTED = {"analyzer": "word", "ngram_range": (1, 1), "lowercase": True, "strip_accents": None,
             "preprocessor": None, "tokenizer": None, "binary": False, "use_idf": True,
             "norm": "l2", "token_pattern": r"(?u)\b\w\w+\b"}


def vectorizer_spec(model: ProfanityModel) -> dict[str, Any]:
    """The vectorizer as JSON: terms by column, idf, stop words, token pattern and flags.

    Raises `BuildError` if the pickled vectorizer uses a setting the TypeScript port does
    not implement (so a new package version fails loudly instead of drifting).
    """
    vec = model.vectorizer
    params = vec.get_params()
    wrong = [f"{k}={params[k]!r} (supported: {v!r})" for k, v in SUPPORTED.items()
             if (tuple(params[k]) if k == "ngram_range" else params[k]) != v]
    if wrong:
        raise BuildError(f"{PACKAGE} {model.version}: the vectorizer uses settings the browser "
                         f"tokenizer does not implement: {', '.join(wrong)}")
    terms = [""] * len(vec.vocabulary_)
    for term, column in vec.vocabulary_.items():
        terms[column] = term
    stop_words = sorted(vec.get_stop_words() or [])
    return {
        "format": "tfidf-vectorizer/1",
        "source": f"{PACKAGE} {model.version} (scikit-learn TfidfVectorizer)",
        "label": LABEL,
        "terms": terms,
        "idf": [float(v) for v in vec.idf_],
        "stop_words": stop_words,
        "token_pattern": params["token_pattern"],
        "lowercase": True,
        "strip_accents": None,
        "ngram_range": [1, 1],
        "sublinear_tf": bool(params["sublinear_tf"]),
        "norm": "l2",
        "word_char_ranges": word_char_ranges(),
    }
