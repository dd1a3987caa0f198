"""A small model in the official toxicity format, made by the tests.

Same interface as the TF.js toxicity model: a SentencePiece unigram vocabulary as
`vocab.json` (`[[piece, score], ...]`), a graph model whose inputs are `Placeholder`
(int32 token ids) and `Placeholder_1` (int32 `[sentence, position]` indices), and one output
per label named `<label>/predictions` (softmax `[sentences, 2]`). Built with our converter
from a JAX function: mean token embedding per sentence, one linear head per label.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import sentencepiece as spm

LABELS = ["insult", "threat", "toxicity"]
MAX_SENTENCES = 8  # rows of every output; classify() reads the first len(texts)
RESERVED = 3  # <unk>, <s>, </s> in a SentencePiece model
USE_RESERVED = 6  # USE's vocab.json reserves six ids; ours pads SentencePiece's three to six


def train_sentencepiece(texts: list[str], vocab_size: int = 400):
    """A unigram SentencePiece model with USE's normalisation (NFKC, ▁ prefix, spaces kept)."""
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter([t for t in texts if t.strip()]), model_writer=model, vocab_size=vocab_size,
        model_type="unigram", normalization_rule_name="nfkc", remove_extra_whitespaces=False,
        add_dummy_prefix=True, character_coverage=1.0, unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
        minloglevel=2)
    return spm.SentencePieceProcessor(model_proto=model.getvalue())


def vocabulary(sp) -> list[list]:
    """The processor's pieces as USE's vocab.json: `[piece, score]` by id."""
    return [[sp.id_to_piece(i), float(sp.get_score(i))] for i in range(sp.get_piece_size())]


def use_vocabulary(sp) -> list[list]:
    """`vocabulary(sp)` laid out like USE's vocab.json: six reserved entries, then the pieces."""
    pieces = vocabulary(sp)
    padding = [[f"<reserved_{i}>", 0.0] for i in range(RESERVED, USE_RESERVED)]
    return pieces[:RESERVED] + padding + pieces[RESERVED:]


def use_ids(sp, text: str) -> list[int]:
    """SentencePiece's ids for `text`, renumbered for `use_vocabulary`."""
    return [i if i < RESERVED else i + USE_RESERVED - RESERVED for i in sp.encode(text)]


def apply(params, values, indices):
    vocab = params["embedding"].shape[0]
    onehot = (values[:, None] == jnp.arange(vocab)[None, :]).astype(jnp.float32)  # [n, V]
    tokens = onehot @ params["embedding"]  # [n, D]
    member = (indices[:, 0:1] == jnp.arange(MAX_SENTENCES)[None, :]).astype(jnp.float32)  # [n, S]
    sums = member.T @ tokens
    counts = jnp.sum(member, axis=0)[:, None]
    mean = sums / jnp.maximum(counts, 1.0)
    return tuple(jax.nn.softmax(mean @ params["heads"][k] + params["bias"][k], axis=-1)
                 for k in range(len(LABELS)))


def make_params(vocab_size: int, dim: int = 8, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"embedding": rng.normal(size=(vocab_size, dim)).astype(np.float32),
            "heads": rng.normal(size=(len(LABELS), dim, 2)).astype(np.float32) * 2,
            "bias": rng.normal(size=(len(LABELS), 2)).astype(np.float32)}


def write_official_model(out: Path, sp, seed: int = 0) -> dict[str, np.ndarray]:
    """Write model.json + weights and vocab.json for `sp` into `out`; returns the params."""
    from builders.convert import convert_jax

    params = make_params(len(use_vocabulary(sp)), seed=seed)
    convert_jax(apply, params, input_signatures=[((None,), np.int32), ((None, 2), np.int32)],
                polymorphic_shapes=["(n,)", "(n, 2)"], input_names=["Placeholder", "Placeholder_1"],
                model_dir=out)
    # Name the heads like the official model (`<label>/...`) and drop the signature: the
    # official model.json has none, so TF.js takes the graph's sink nodes as outputs.
    model_json = out / "model.json"
    model = json.loads(model_json.read_text())
    renames = {f"output_{k}": f"{label}/predictions" for k, label in enumerate(LABELS)}
    for node in model["modelTopology"]["node"]:
        node["name"] = renames.get(node["name"], node["name"])
    model.pop("signature", None)
    model_json.write_text(json.dumps(model))
    (out / "vocab.json").write_text(json.dumps(use_vocabulary(sp), ensure_ascii=False))
    return params


def reference(params, sp, texts: list[str]) -> list[np.ndarray]:
    """Per label, [len(texts), 2] probabilities computed in JAX from SentencePiece's own ids."""
    ids = [use_ids(sp, t) for t in texts]
    values = np.array([i for seq in ids for i in seq], np.int32)
    indices = np.array([[s, p] for s, seq in enumerate(ids) for p in range(len(seq))], np.int32).reshape(-1, 2)
    return [np.asarray(o)[: len(texts)] for o in apply(params, values, indices)]
