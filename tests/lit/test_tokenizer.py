"""Python tokenizer behaviour and TypeScript parity with the `sentencepiece` library."""

from __future__ import annotations

import numpy as np
import pytest

from builders.demos.lit.tokenizer import EOS_ID, PAD_ID

from .helpers import small_tokenizer, ts_tokenize, world_captions

UNICODE_EXTRAS = [
    "", " ", "   \t\n ", "A RED CIRCLE", "Two  big   Blue squares!!", "a red circle, on the left.",
    "ｆｕｌｌｗｉｄｔｈ ｒｅｄ", "ﬁne ﬂat ligatures", "café naïve résumé", "e\u0301 combining", "①②③ circled",
    "x² and H₂O", "Ⅻ roman", "日本語のテキスト", "한국어 텍스트", "emoji 🔴🟦 ▲", "zero\u200bwidth", "nbsp\u00a0space",
    "tab\tand\nnewline", "control\u0007bell", "quotes “curly” ‘single’ — dash…", "ÆØÅ æøå", "straße", "İstanbul",
    "١٢٣ arabic digits", "3 red circles at 12:30", "0123456789", "$%&*()[]{}<>", "<s> </s> <unk> <pad>",
    "▁ already escaped ▁", "a" * 200, "red " * 40, "three small violet rhombuses in the upper half " * 3,
    "\u3000ideographic\u3000space", "ＡＢＣ１２３", "Ω ohm sign vs Ω", "ℌ fraktur ℍ", "…", "ǅ titlecase",
]


def varied_strings(n: int, seed: int = 0) -> list[str]:
    """Captions, mangled captions and Unicode edge cases."""
    rng = np.random.default_rng(seed)
    pool = list("abcdefghijklmnopqrstuvwxyz ABCXYZ0123456789.,;:!?'\"-_/\\()éüßøñçЖж中文🙂ﬁ²①\t\u00a0\u200b")
    texts = list(UNICODE_EXTRAS)
    for caption in world_captions(n, seed=1):
        r = rng.random()
        if r < 0.3:
            texts.append(caption)
        elif r < 0.5:
            texts.append(caption.upper() if rng.random() < 0.5 else caption.title())
        elif r < 0.7:
            texts.append(caption + str(rng.choice([".", "!", "?", " :)", ", ok", " 42", "  "])))
        elif r < 0.85:
            texts.append("".join(rng.choice(pool, size=int(rng.integers(1, 30)))))
        else:
            texts.append(" ".join([caption] * int(rng.integers(2, 5))))
    return texts


@pytest.mark.parametrize("model_type", ["bpe", "unigram"])
def test_typescript_tokenizer_matches_sentencepiece(tmp_path, model_type):
    tokenizer = small_tokenizer(tmp_path, model_type)
    texts = varied_strings(300)
    ts = ts_tokenize(tokenizer, texts, tmp_path)
    mismatches = [(t, list(tokenizer.sp.encode(t)), got) for t, got in zip(texts, ts["ids"])
                  if list(tokenizer.sp.encode(t)) != got]
    assert not mismatches, f"{len(mismatches)} of {len(texts)} differ, e.g. {mismatches[:3]}"
    lit_mismatches = [t for t, got in zip(texts, ts["lit"]) if tokenizer.ids(t) != got]
    assert not lit_mismatches, lit_mismatches[:3]
    assert len(texts) >= 300


def test_sticky_eos_keeps_end_token_last(tmp_path):
    tokenizer = small_tokenizer(tmp_path)
    long_text = "three small violet rhombuses in the upper half " * 4
    full = list(tokenizer.sp.encode(long_text))
    assert len(full) + 1 > tokenizer.max_len
    ids = tokenizer.ids(long_text)
    assert len(ids) == tokenizer.max_len
    assert ids[-1] == EOS_ID and ids[:-1] == full[: tokenizer.max_len - 1]
    short = tokenizer.encode(["a red circle"])[0]
    n = len(tokenizer.sp.encode("a red circle"))
    assert short[n] == EOS_ID and all(short[n + 1:] == PAD_ID)


def test_empty_text_is_just_the_end_token(tmp_path):
    tokenizer = small_tokenizer(tmp_path)
    assert tokenizer.ids("") == [EOS_ID]
    assert tokenizer.ids("   ") == [EOS_ID]


def test_tokenizer_without_spec_still_handles_plain_text(tmp_path):
    """Original lit_demo data has no tokenizer.json: plain lower-case text must still match."""
    tokenizer = small_tokenizer(tmp_path)
    texts = world_captions(50, seed=5)
    ts = ts_tokenize(tokenizer, texts, tmp_path, with_spec=False)
    assert ts["ids"] == [list(tokenizer.sp.encode(t)) for t in texts]


def test_unsupported_sentencepiece_features_are_refused(tmp_path):
    import sentencepiece as spm

    from builders.demos.lit.tokenizer import Tokenizer
    path = tmp_path / "bytes.model"
    spm.SentencePieceTrainer.train(sentence_iterator=iter(world_captions(300)), model_prefix=str(path.with_suffix("")),
                                   vocab_size=300, model_type="bpe", byte_fallback=True, minloglevel=2,
                                   hard_vocab_limit=False)
    with pytest.raises(ValueError, match="does not support byte_fallback"):
        Tokenizer(path, 16).spec()
