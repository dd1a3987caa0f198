"""BERT's WordPiece tokenizer, as Hugging Face `tokenizers` runs it from a `tokenizer.json`.

Three steps, each as `tokenizers` defines it (BertNormalizer, BertPreTokenizer, WordPiece):

1. normalise: drop control characters, U+0000 and U+FFFD and turn every other whitespace into a
   space; put spaces around CJK ideographs; when lower-casing, strip accents (NFD, then drop
   combining marks) and lower-case;
2. split on whitespace, and make every punctuation character (ASCII punctuation and Unicode's P*
   categories) a word of its own;
3. cut each word into the longest vocabulary pieces from the left, the later ones prefixed `##`;
   a word with no such cut, or longer than `max_input_chars_per_word`, is `[UNK]`.

`encode` adds `[CLS]` and `[SEP]` and pads with `[PAD]` to a fixed length; `encode_words` is the
simpler word index (steps 1 and 2, then one id per word). The TypeScript twin,
site_src/common/wordpiece.ts, gives the same ids (tests/app/test_wordpiece_parity.py compares them;
tests/lit/test_text_tower.py compares this module with `tokenizers` itself).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from .errors import BuildError

CJK_RANGES = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F), (0x2B740, 0x2B81F),
              (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))
ASCII_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def _is_control(c: str) -> bool:
    # Cc, Cf, Co, Cs: `tokenizers` keeps unassigned code points (Cn), which then make a word [UNK]
    return c not in "\t\n\r" and unicodedata.category(c) in ("Cc", "Cf", "Co", "Cs")


def _is_whitespace(c: str) -> bool:
    return c in " \t\n\r" or unicodedata.category(c) == "Zs"


def _is_cjk(c: str) -> bool:
    cp = ord(c)
    return any(lo <= cp <= hi for lo, hi in CJK_RANGES)


def _is_punctuation(c: str) -> bool:
    return c in ASCII_PUNCTUATION or unicodedata.category(c).startswith("P")


def read_vocab(text: str) -> list[str]:
    """The tokens of a `vocab.txt` (one per line, the id is the line number), as BERT's loader reads it:
    each line without its line break and surrounding whitespace."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the file's final line break
    return [line.strip() for line in lines]


@dataclass
class WordPiece:
    """A WordPiece vocabulary and BERT's normalisation options."""

    vocab: dict[str, int]
    lowercase: bool = True
    strip_accents: bool | None = None  # None: as `lowercase`, like BertNormalizer
    clean_text: bool = True
    handle_chinese_chars: bool = True
    unk: str = "[UNK]"
    prefix: str = "##"
    max_chars_per_word: int = 100

    @classmethod
    def from_tokenizer_json(cls, spec: dict) -> WordPiece:
        """From a parsed Hugging Face `tokenizer.json` of a BERT WordPiece model."""
        model, normalizer = spec.get("model", {}), spec.get("normalizer") or {}
        if model.get("type") != "WordPiece":
            raise BuildError(f"tokenizer.json: model type {model.get('type')!r}, expected 'WordPiece'")
        if normalizer.get("type") not in ("BertNormalizer", None):
            raise BuildError(f"tokenizer.json: normalizer {normalizer.get('type')!r} is not BertNormalizer")
        if (spec.get("pre_tokenizer") or {}).get("type") not in ("BertPreTokenizer", None):
            raise BuildError("tokenizer.json: only BertPreTokenizer is supported")
        return cls(vocab=dict(model["vocab"]), lowercase=normalizer.get("lowercase", True),
                   strip_accents=normalizer.get("strip_accents"), clean_text=normalizer.get("clean_text", True),
                   handle_chinese_chars=normalizer.get("handle_chinese_chars", True),
                   unk=model.get("unk_token", "[UNK]"), prefix=model.get("continuing_subword_prefix", "##"),
                   max_chars_per_word=model.get("max_input_chars_per_word", 100))

    @classmethod
    def from_tokens(cls, tokens: list[str], lowercase: bool = True) -> WordPiece:
        """From a `vocab.txt`'s tokens in id order (a repeated token keeps its last id, as BERT's loader)."""
        return cls(vocab={t: i for i, t in enumerate(tokens)}, lowercase=lowercase)

    def normalize(self, text: str) -> str:
        if self.clean_text:
            text = "".join(" " if _is_whitespace(c) else c for c in text
                           if not (c in "\0\ufffd" or _is_control(c)))
        if self.handle_chinese_chars:
            text = "".join(f" {c} " if _is_cjk(c) else c for c in text)
        if self.strip_accents if self.strip_accents is not None else self.lowercase:
            text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
        # one character at a time, as Rust's char::to_lowercase: str.lower() would apply Greek's
        # final-sigma rule (Σ at a word's end -> ς), which `tokenizers` does not
        return "".join(c.lower() for c in text) if self.lowercase else text

    def words(self, text: str) -> list[str]:
        out: list[str] = []
        for chunk in self.normalize(text).split():
            word = ""
            for c in chunk:
                if _is_punctuation(c):
                    if word:
                        out.append(word)
                    out.append(c)
                    word = ""
                else:
                    word += c
            if word:
                out.append(word)
        return out

    def pieces(self, word: str) -> list[str]:
        if len(word) > self.max_chars_per_word:
            return [self.unk]
        pieces, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else self.prefix + word[start:end]
                if piece in self.vocab:
                    break
                end -= 1
            if end == start:
                return [self.unk]
            pieces.append(piece)
            start = end
        return pieces

    def tokenize(self, text: str) -> list[str]:
        return [p for word in self.words(text) for p in self.pieces(word)]

    def encode(self, text: str, length: int) -> tuple[list[int], bool]:
        """[CLS] ids [SEP] padded with [PAD] (0) to `length`, and whether the text was cut short."""
        ids = [self.vocab[p] for p in self.tokenize(text)]
        truncated = len(ids) > length - 2
        ids = [self.vocab["[CLS]"], *ids[:length - 2], self.vocab["[SEP]"]]
        return ids + [self.vocab.get("[PAD]", 0)] * (length - len(ids)), truncated

    def encode_words(self, text: str, length: int, pad: str = "[PAD]") -> tuple[list[int], int]:
        """A word index: one id per word (`unk`'s for a word not in the vocabulary), padded with `pad`'s
        id to `length`; and the number of words (more than `length`: the text was cut short)."""
        words = self.words(text)
        unk = self.vocab[self.unk]
        ids = [self.vocab.get(w, unk) for w in words[:length]]
        return ids + [self.vocab[pad]] * (length - len(ids)), len(words)
