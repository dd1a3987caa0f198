"""The TypeScript WordPiece (site_src/common/wordpiece.ts) gives the ids of the Python one
(builders/wordpiece.py) and of Hugging Face `tokenizers`, on a vocabulary trained with `tokenizers`
on CLDR names in twelve scripts: accents, CJK, punctuation, emoji, control characters, long text."""

from __future__ import annotations

import json
import random
import subprocess

import pytest
from babel import Locale

from builders.wordpiece import WordPiece, read_vocab
from tests.lit.helpers import bundle_ts

tokenizers = pytest.importorskip("tokenizers")

TRICKY = ["The weather is lovely today.", "It's so sunny outside!", "Café naïve résumé — Ünïcödé",
          "东京 tokyo 日本語", "emoji 😀👍🏽 fine", "", "   ", "a\tb\nc\r\u00a0d\u2028e\u200bf",
          "U.S.A. $100 <b>x</b> ~~ ^_^", "x" * 150, "antidisestablishmentarianism", "İstanbul ǅ ß ﬁ Ⅻ",
          "\x00\ufffd\x07bell", "don't won't y'all", "1,000,000.50 3.14e-10", "ＦＵＬＬＷＩＤＴＨ　ｔｅｘｔ",
          "Ελληνικά Русский العربية हिन्दी", "a" * 99 + " " + "b" * 100 + " " + "c" * 101,
          "ΣΊΣΥΦΟΣ Σ", "Ǆemal Ǉubljana", "naïve\u0301 e\u0301 \u1e9b\u0323", "한국어 조선말", "ไทย ภาษา",
          "x😀y👨‍👩‍👧", "tab\there\x0bvt\x0cff\x1cfs\x85nel", "(a)[b]{c}«d»„e“ ‘f’ ¡g! ¿h?",
          " ".join(["the quick brown fox jumps over the lazy dog"] * 40)]
LOCALES = ["en", "fr", "de", "es", "it", "pt", "ru", "el", "ja", "zh", "ar", "hi"]


def corpus() -> list[str]:
    """Names of territories and languages in each locale (Babel's CLDR data)."""
    return [name for code in LOCALES for table in (Locale(code).territories, Locale(code).languages)
            for name in table.values()]


@pytest.fixture(scope="module", params=[True, False], ids=["uncased", "cased"])
def vocab(request, tmp_path_factory):
    """(lowercase, the vocab.txt text, tokenizers' own tokenizer on it)."""
    from tokenizers import BertWordPieceTokenizer

    lowercase = request.param
    trainer = BertWordPieceTokenizer(lowercase=lowercase, strip_accents=None)
    trainer.train_from_iterator(corpus(), vocab_size=3000, min_frequency=1, limit_alphabet=2000)
    folder = tmp_path_factory.mktemp("vocab")
    trainer.save_model(str(folder))
    text = (folder / "vocab.txt").read_text(encoding="utf-8")
    reference = BertWordPieceTokenizer(str(folder / "vocab.txt"), lowercase=lowercase, strip_accents=None)
    reference.no_padding()
    reference.no_truncation()
    return lowercase, text, reference


def texts() -> list[str]:
    rng = random.Random(0)
    pool = [chr(c) for r in ((1, 0x590), (0x2000, 0x2070), (0x3000, 0x3040), (0x4E00, 0x4F00),
                            (0xFF00, 0xFF60), (0x1F600, 0x1F650)) for c in range(*r)]
    words = corpus()
    random_text = ["".join(rng.choice(pool) for _ in range(rng.randint(0, 40))) for _ in range(400)]
    sentences = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 12))) for _ in range(300)]
    return TRICKY + random_text + sentences


def typescript(tmp_path, vocab_text: str, lowercase: bool, length: int, items: list[str]) -> list[dict]:
    cli = bundle_ts("site_src/common/wordpiece_cli.ts", tmp_path / "wordpiece_cli.mjs")
    request = tmp_path / "request.json"
    request.write_text(json.dumps({"vocab": vocab_text, "lowercase": lowercase, "length": length, "texts": items}),
                       encoding="utf-8")
    out = subprocess.run(["node", str(cli), str(request)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_typescript_python_and_tokenizers_give_the_same_ids(vocab, tmp_path):
    lowercase, text, reference = vocab
    wp = WordPiece.from_tokens(read_vocab(text), lowercase=lowercase)
    items = texts()
    ts = typescript(tmp_path, text, lowercase, 24, items)
    wrong = []
    for item, got in zip(items, ts):
        tokens = wp.tokenize(item)
        ids, cut = wp.encode(item, 24)
        words, count = wp.encode_words(item, 24, pad="[PAD]")
        hf = reference.encode(item).tokens[1:-1]
        if not (got["tokens"] == tokens == hf and got["ids"]["ids"] == ids and got["ids"]["truncated"] == cut
                and got["words"]["ids"] == words and got["words"]["count"] == count):
            wrong.append((item, tokens, got["tokens"], hf))
    assert not wrong, wrong[:3]
    assert len(items) > 700 and sum(len(wp.tokenize(t)) for t in items) > 10_000  # a real workout


def test_long_text_is_cut_and_says_so(vocab, tmp_path):
    lowercase, text, _ = vocab
    wp = WordPiece.from_tokens(read_vocab(text), lowercase=lowercase)
    long = " ".join(["the quick brown fox"] * 20)
    (got,) = typescript(tmp_path, text, lowercase, 8, [long])
    assert got["ids"]["truncated"] and got["ids"]["kept"] == 6 and got["ids"]["count"] == len(wp.tokenize(long))
    assert got["ids"]["ids"][-1] == wp.vocab["[SEP]"] and got["ids"]["ids"] == wp.encode(long, 8)[0]
