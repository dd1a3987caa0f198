"""Build step for the `toxblock` source: tox-block 0.1.2 in Flax, converted, verified in TF.js, exported.

The BiLSTM's `lax.scan` over 100 steps stays one `StatelessWhile` loop in model.json (the
converter unrolls only short scans), so the graph ships its 1.05M parameters once; the build
checks that the weight bytes are the float32 parameter bytes and fails otherwise.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from ...convert import VerifyCase, convert_jax, verify_many
from ...errors import BuildError
from . import toxblock

# Sentences checked at build time (the full parity suite lives in tests/toxicity/).
VERIFY_TEXTS = [
    "Good morning my friend, I hope you're having a fantastic day!",
    "I will kill you, you fucking idiot!",
    "I will find where you live and hurt you",
    "I do strongly disagree with the fascist views of this joke that calls itself a political party.",
    "",
    "Ünïcödé wörds, CJK 漢字 and emoji 🎉 mixed_with_underscores 42",
    "you are a stupid moron " * 30,  # longer than the model's 100 tokens
    "Thank you for the lovely demo!",
]

MODEL_DIR = "model"
TOKENIZER_FILE = "keras_tokenizer.json"
TOKENIZER_FORMAT = "keras-tokenizer/1"
# Weight bytes may exceed the float32 parameter bytes by this much (alignment, small constants of the
# graph) and no more: an unrolled scan would repeat the LSTM kernels once per step.
WEIGHT_SLACK = 1.05


def tokenizer_spec(tokenizer: toxblock.KerasTokenizer) -> dict:
    """What `site_src/toxicity/keras_tokenizer.ts` needs: `words[i]` has id i + 1, and the Keras settings."""
    return {"format": TOKENIZER_FORMAT, "source": f"{toxblock.PACKAGE} {toxblock.VERSION}",
            "words": tokenizer.vocabulary(), "num_words": tokenizer.num_words, "filters": tokenizer.filters,
            "lower": tokenizer.lower, "split": tokenizer.split, "max_len": tokenizer.max_len,
            "padding": "pre", "truncating": "pre", "labels": list(toxblock.LABELS)}


def build_toxblock(out: Path, download_dir: Path, verify_batch_sizes: list[int]) -> dict:
    """Write `out/model/` (TF.js graph model) and `out/keras_tokenizer.json`; verify them.

    Returns the manifest: labels, provenance, byte sizes, the measured errors (TF.js vs JAX,
    JAX vs the float64 NumPy Keras maths) and the seconds each part took.
    """
    started = time.perf_counter()
    model = toxblock.load(download_dir)
    loaded = time.perf_counter()
    apply = toxblock.make_apply(rescale=True)
    result = convert_jax(
        apply, model.params,
        input_signatures=[((None, toxblock.MAX_LEN), np.int32)],
        polymorphic_shapes=[f"(b, {toxblock.MAX_LEN})"],
        input_names=["ids"],
        model_dir=out / MODEL_DIR,
        metadata={"labels": list(toxblock.LABELS), "source": f"{toxblock.PACKAGE} {toxblock.VERSION}",
                  "licence": toxblock.LICENSE, "input": f"int32 token ids [b, {toxblock.MAX_LEN}] "
                  f"(see {TOKENIZER_FILE})",
                  "output": "[b, 6] probabilities, tox-block's rescaling, clipped to [0, 1]"})
    converted = time.perf_counter()
    param_bytes = 4 * model.param_count
    if not result.weight_bytes <= WEIGHT_SLACK * param_bytes:
        raise BuildError(f"the converted {toxblock.PACKAGE} model holds {result.weight_bytes:,} weight bytes for "
                         f"{param_bytes:,} bytes of float32 parameters: its LSTM scan was unrolled; keep "
                         "unroll_scans unset so the converter writes it as one loop")
    spec = tokenizer_spec(model.tokenizer)
    (out / TOKENIZER_FILE).write_text(json.dumps(spec, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")

    ids = model.tokenizer.encode(VERIFY_TEXTS)
    expected = toxblock.rescale_probabilities(toxblock.reference_probabilities(model.keras_params, ids))
    jax_out = np.asarray(apply(model.params, ids), np.float64)
    jax_error = float(np.max(np.abs(jax_out - expected)))
    if not jax_error <= 1e-5:  # also catches NaN, which compares false both ways
        raise BuildError(f"the Flax port of {toxblock.PACKAGE} differs from the Keras maths by {jax_error:.3g} "
                         "(> 1e-5)")
    cases = [VerifyCase(out / MODEL_DIR, apply, model.params, [ids], atol=1e-5)]
    rng = np.random.default_rng(0)
    for n in verify_batch_sizes:
        cases.append(VerifyCase(out / MODEL_DIR, apply, model.params, [ids[rng.integers(0, len(ids), size=n)]],
                                atol=1e-5))
    reports = verify_many(cases)
    failed = [r.summary() for r in reports if not r.ok]
    if failed:
        raise BuildError(f"the converted {toxblock.PACKAGE} model disagrees with JAX in TF.js:\n" + "\n".join(failed))
    verified = time.perf_counter()
    graph = json.loads((out / MODEL_DIR / "model.json").read_text())
    loops = sum(1 for node in graph["modelTopology"]["node"] if node["op"] in ("StatelessWhile", "While"))
    return {
        "labels": list(toxblock.LABELS),
        "source": f"{toxblock.PACKAGE} {toxblock.VERSION}",
        "licence": toxblock.LICENSE,
        "author": toxblock.AUTHOR,
        "homepage": toxblock.HOMEPAGE,
        "wheel_sha256": toxblock.WHEEL.sha256,
        "member_sha256": model.files.sha256,
        "params": model.param_count,
        "param_bytes": param_bytes,
        "weight_bytes": result.weight_bytes,
        "graph_nodes": result.node_count,
        "while_loops": loops,
        "model_bytes": sum(f.stat().st_size for f in (out / MODEL_DIR).iterdir()),
        "model_json_bytes": (out / MODEL_DIR / "model.json").stat().st_size,
        "tokenizer_bytes": (out / TOKENIZER_FILE).stat().st_size,
        "vocabulary": len(spec["words"]),
        "tfjs_vs_jax_max_abs_error": max(r.max_abs_error for r in reports),
        "jax_vs_reference_max_abs_error": jax_error,
        "checks": len(reports),
        "seconds": {"load": round(loaded - started, 2), "convert": round(converted - loaded, 2),
                    "verify": round(verified - converted, 2)},
    }
