"""Server-side moderation with the same model and threshold rule as the guestbook page.

A check in the browser can be skipped with developer tools, so a server that stores
messages should run it again. `moderate` reads the files the site publishes
(`data/models/toxicity/`: model.json, its weight file and vectorizer.json), tokenizes
like scikit-learn's `TfidfVectorizer` and evaluates the model with numpy; no scikit-learn
or TensorFlow needed at serving time.

    from builders.moderate import moderate
    moderate(["hello", "you idiot"], threshold=0.9)
    # [{"label": "profanity", "results": [{"probabilities": [p_false, p_true], "match": ...}, ...]}]

CLI: `python -m builders.moderate "text" ... [--threshold 0.9] [--model-dir DIR] [--json]`; it exits
0 when every text passes, 1 when any is rejected and 2 on an error (bad arguments, unreadable model),
so a shell script or CI step can branch on the status alone.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import BuildError

DEFAULT_SITE_DIR = Path("_site/data/models/toxicity")
ENV_MODEL_DIR = "TOXICITY_MODEL_DIR"

_DTYPES = {"float32": np.float32, "int32": np.int32, "uint8": np.uint8, "uint16": np.uint16,
           "float16": np.float16, "bool": np.bool_}


_REBUILD = "rebuild the site or pass the published folder as --model-dir"


def _read_json(path: Path) -> Any:
    """`path` parsed as JSON; a missing, unreadable or malformed file is a BuildError naming it."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BuildError(f"{path} not found; {_REBUILD}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BuildError(f"{path}: not a readable JSON file ({exc}); {_REBUILD}") from None


def _read_bytes(path: Path) -> bytes:
    """The bytes of a weight file; a missing or unreadable one is a BuildError naming it."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise BuildError(f"{path} not found; {_REBUILD}") from None
    except OSError as exc:
        raise BuildError(f"{path}: cannot read it ({exc.strerror}); {_REBUILD}") from None


def read_weights(model_dir: Path) -> dict[str, np.ndarray]:
    """All weights of a TF.js graph model (`model.json` + shards), dequantized, by name."""
    manifest_file = model_dir / "model.json"
    manifest = _read_json(manifest_file)["weightsManifest"]
    weights: dict[str, np.ndarray] = {}
    for group in manifest:
        blob = b"".join(_read_bytes(model_dir / p) for p in group["paths"])
        offset = 0
        for spec in group["weights"]:
            quant = spec.get("quantization")
            dtype = np.dtype(_DTYPES[quant["dtype"] if quant else spec["dtype"]]).newbyteorder("<")
            count = int(np.prod(spec["shape"], dtype=np.int64))
            if offset + count * dtype.itemsize > len(blob):
                # A truncated download or a shard from another build: numpy's own error names neither.
                raise BuildError(f"{manifest_file}: weight '{spec['name']}' needs bytes up to "
                                 f"{offset + count * dtype.itemsize}, its files hold {len(blob)}; {_REBUILD}")
            values = np.frombuffer(blob, dtype=dtype, count=count, offset=offset)
            offset += count * dtype.itemsize
            if quant and quant["dtype"] in ("uint8", "uint16"):
                values = values.astype(np.float32) * np.float32(quant["scale"]) + np.float32(quant["min"])
            weights[spec["name"]] = np.asarray(values, np.float32 if quant else dtype).reshape(spec["shape"])
    return weights


TOXBLOCK_TOKENIZER = "keras_tokenizer.json"


@dataclass
class ToxBlockServerModel:
    """The published toxblock model: the Keras tokenizer and the Flax BiLSTM with the published weights."""

    labels: list[str]
    tokenizer: Any  # builders.demos.toxicity.toxblock.KerasTokenizer
    params: dict[str, Any]

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """[len(texts), 6] rescaled P(label): the same Flax model (float32, JAX on CPU) the build converted."""

        ids = self.tokenizer.encode(list(texts))
        return np.asarray(_toxblock_apply()(self.params, ids), np.float64)


@functools.lru_cache(maxsize=1)
def _toxblock_apply():
    import jax

    from .demos.toxicity import toxblock

    return jax.jit(toxblock.make_apply(rescale=True))


def _load_toxblock(folder: Path, model_folder: Path) -> ToxBlockServerModel:
    from .demos.toxicity import toxblock

    spec = _read_json(folder / TOXBLOCK_TOKENIZER)
    if not isinstance(spec, dict) or spec.get("format") != "keras-tokenizer/1":
        found = spec.get("format") if isinstance(spec, dict) else None
        raise BuildError(f"{folder / TOXBLOCK_TOKENIZER}: unsupported tokenizer (format {found}); {_REBUILD}")
    try:
        w = read_weights(model_folder)

        def get(name: str, shape: tuple[int, ...]) -> np.ndarray:
            return w[f"params/{name}"].reshape(shape)

        lstm = {d: {"kernel": get(f"bilstm/{d}/kernel", (50, 200)), "bias": get(f"bilstm/{d}/bias", (200,)),
                    "recurrent_kernel": get(f"bilstm/{d}/recurrent_kernel", (50, 200))}
                for d in ("forward", "backward")}
        params = {"params": {"embedding": {"embedding": get("embedding/embedding", (20000, 50))}, "bilstm": lstm,
                             "dense": {"kernel": get("dense/kernel", (100, 50)), "bias": get("dense/bias", (50,))},
                             "dense_1": {"kernel": get("dense_1/kernel", (50, 6)), "bias": get("dense_1/bias", (6,))}}}
        tokenizer = toxblock.KerasTokenizer(
            word_index={word: i + 1 for i, word in enumerate(spec["words"])}, num_words=int(spec["num_words"]),
            filters=spec["filters"], lower=bool(spec["lower"]), split=spec["split"], max_len=int(spec["max_len"]))
        return ToxBlockServerModel(labels=list(spec["labels"]), tokenizer=tokenizer, params=params)
    except (KeyError, TypeError, ValueError) as exc:
        raise BuildError(f"{folder}: the model files do not match the toxblock model's layout "
                         f"({type(exc).__name__}: {exc}); {_REBUILD}") from None


@dataclass
class EmbeddedModel:
    """The published embedded model: vectorizer spec plus the ported classifier's arrays."""

    label: str
    columns: dict[str, int]
    idf: np.ndarray
    stop_words: frozenset[str]
    token_re: re.Pattern
    sublinear_tf: bool
    coef: np.ndarray  # [V, K]
    intercept: np.ndarray  # [K]
    a: np.ndarray
    b: np.ndarray

    def tfidf(self, texts: Sequence[str]) -> np.ndarray:
        """[len(texts), V] l2-normalised TF-IDF rows (float64), as `TfidfVectorizer.transform`."""
        x = np.zeros((len(texts), len(self.columns)), np.float64)
        for i, text in enumerate(texts):
            for token in self.token_re.findall(text.lower()):
                column = self.columns.get(token)
                if column is not None and token not in self.stop_words:
                    x[i, column] += 1.0
            if self.sublinear_tf:
                nz = x[i] > 0
                x[i, nz] = np.log(x[i, nz]) + 1.0
            x[i] *= self.idf
            norm = np.sqrt(np.dot(x[i], x[i]))
            if norm > 0:
                x[i] /= norm
        return x

    @property
    def labels(self) -> list[str]:
        return [self.label]

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """[len(texts), 1] = P(label): the model graph, in float64."""
        decision = self.tfidf(texts) @ self.coef + self.intercept
        return (1.0 / (1.0 + np.exp(self.a * decision + self.b))).mean(axis=1, keepdims=True)


def resolve_model_dir(model_dir: str | os.PathLike | None = None) -> Path:
    """`model_dir`, else $TOXICITY_MODEL_DIR, else `_site/data/models/toxicity`, else build it (cached)."""
    if model_dir is not None:
        return Path(model_dir)
    if os.environ.get(ENV_MODEL_DIR):
        return Path(os.environ[ENV_MODEL_DIR])
    if (DEFAULT_SITE_DIR / "vectorizer.json").is_file() or (DEFAULT_SITE_DIR / TOXBLOCK_TOKENIZER).is_file():
        return DEFAULT_SITE_DIR
    # Nothing built yet: produce the same files the build publishes, through the build cache.
    from .cache import Cache
    from .demos import toxicity
    from .demos.base import BuildContext

    ctx = BuildContext(site=None, cache=Cache(".cache"), profile="default", project_root=Path.cwd())
    page = toxicity.build_assets(toxicity.Config(), ctx)  # the default source, toxblock
    return Path(next(iter(page.files.values()))).parent.parent


@functools.lru_cache(maxsize=4)
def load_model(model_dir: str | os.PathLike | None = None) -> EmbeddedModel | ToxBlockServerModel:
    """Load (once per folder) the toxblock or embedded model published in `model_dir`; BuildError names a bad file."""
    folder = resolve_model_dir(model_dir)
    vectorizer_file = folder / "vectorizer.json"
    if (folder / TOXBLOCK_TOKENIZER).is_file():
        return _load_toxblock(folder, folder if (folder / "model.json").is_file() else folder / "model")
    if not vectorizer_file.is_file():
        # A cache entry keeps model.json under model/; the site keeps everything side by side.
        hint = (" (server-side moderation runs the toxblock and embedded models only)"
                if (folder / "vocab.json").is_file() else "")
        raise BuildError(f"{vectorizer_file} not found (nor {TOXBLOCK_TOKENIZER}){hint}; build the site with "
                         f"demos.toxicity.source = \"toxblock\" or \"embedded\", or pass model_dir= / set "
                         f"${ENV_MODEL_DIR}")
    model_folder = folder if (folder / "model.json").is_file() else folder / "model"
    spec = _read_json(vectorizer_file)
    if not isinstance(spec, dict) or spec.get("format") != "tfidf-vectorizer/1" or spec.get("ngram_range") != [1, 1]:
        found = spec.get("format") if isinstance(spec, dict) else None
        raise BuildError(f"{vectorizer_file}: unsupported vectorizer (format {found})")
    try:
        w = read_weights(model_folder)
        return EmbeddedModel(
            label=spec["label"], columns={t: i for i, t in enumerate(spec["terms"])},
            idf=np.asarray(spec["idf"], np.float64), stop_words=frozenset(spec["stop_words"]),
            token_re=re.compile(spec["token_pattern"]), sublinear_tf=bool(spec["sublinear_tf"]),
            coef=w["coef"].astype(np.float64), intercept=w["intercept"].reshape(-1).astype(np.float64),
            a=w["a"].reshape(-1).astype(np.float64), b=w["b"].reshape(-1).astype(np.float64))
    except (KeyError, TypeError, ValueError, re.error) as exc:
        # Files from another tool or version: name the folder rather than show a traceback.
        raise BuildError(f"{folder}: the model files do not match the embedded model's layout "
                         f"({type(exc).__name__}: {exc}); {_REBUILD}") from None


def moderate(texts: str | Sequence[str], threshold: float = 0.9, labels: Sequence[str] | None = None,
             model_dir: str | os.PathLike | None = None) -> list[dict[str, Any]]:
    """Classify `texts` like the page's `model.classify`.

    Returns `[{"label", "results": [{"probabilities": [p_false, p_true], "match"}]}]`, one entry
    per selected label and one result per text; `match` is None unless max(p) > threshold,
    else p_true > p_false. Raises `ValueError` for a bad threshold or an unknown label.
    """
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be a number in [0, 1], got {threshold}")
    texts = [texts] if isinstance(texts, str) else list(texts)
    model = load_model(str(model_dir) if model_dir is not None else None)
    selected = list(labels) if labels else list(model.labels)
    unknown = [label for label in selected if label not in model.labels]
    if unknown:
        raise ValueError(f"unknown label(s) {', '.join(unknown)}; this model has: {', '.join(model.labels)}")
    probs = model.probabilities(texts) if texts else np.zeros((0, len(model.labels)))
    predictions = []
    for head, label in enumerate(model.labels):  # model order, as the page's classify
        if label not in selected:
            continue
        results = []
        for p in probs[:, head].tolist():
            # The page's rule on [1 - p, p] (Float32 there; decisions agree away from the threshold).
            p_false, p_true = 1.0 - p, p
            match = (p_true > p_false) if max(p_false, p_true) > threshold else None
            results.append({"probabilities": [p_false, p_true], "match": match})
        predictions.append({"label": label, "results": results})
    return predictions


def is_flagged(predictions: list[dict[str, Any]], index: int = 0) -> bool:
    """Whether any label matched text `index`: what the guestbook rejects."""
    return any(p["results"][index]["match"] is True for p in predictions)


def json_lines(texts: Sequence[str], predictions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per text for `--json`: the text, "reject"/"ok", and each label's probabilities and match."""
    return [{"text": text, "decision": "reject" if is_flagged(predictions, i) else "ok",
             "labels": {p["label"]: {"probabilities": p["results"][i]["probabilities"],
                                     "match": p["results"][i]["match"]} for p in predictions}}
            for i, text in enumerate(texts)]


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point: 0 if every text passes, 1 if any is rejected, 2 on an error."""
    parser = argparse.ArgumentParser(prog="python -m builders.moderate",
                                     description="Check texts with the site's toxicity model. Exit status: "
                                                 "0 all pass, 1 some rejected, 2 error.")
    parser.add_argument("texts", nargs="+", help="texts to check")
    parser.add_argument("--threshold", type=float, default=0.9, help="confidence threshold (default 0.9)")
    parser.add_argument("--labels", default="", help="comma-separated labels (default: all)")
    parser.add_argument("--model-dir", default=None, help=f"published model folder (default: ${ENV_MODEL_DIR}, "
                        f"then {DEFAULT_SITE_DIR}, else built into .cache/)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object per text (text, decision, labels' probabilities and match)")
    args = parser.parse_args(argv)  # bad arguments: argparse prints usage and exits 2
    try:
        labels = [s for s in args.labels.split(",") if s] or None
        predictions = moderate(args.texts, args.threshold, labels, args.model_dir)
    except (ValueError, BuildError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    records = json_lines(args.texts, predictions)
    for record in records:
        if args.json:
            print(json.dumps(record))
            continue
        scores = ", ".join(f"{label}={r['probabilities'][1]:.4f} (match={json.dumps(r['match'])})"
                           for label, r in record["labels"].items())
        verdict = "REJECT" if record["decision"] == "reject" else "ok"
        print(f"{verdict:6}  {scores}  {record['text']!r}")
    return 1 if any(r["decision"] == "reject" for r in records) else 0


if __name__ == "__main__":
    sys.exit(main())
