"""SentencePiece tokenizers for the text tower: training, sticky-EOS encoding, browser export.

Ids follow T5/LiT conventions: pad 0, eos 1, unk 2, no bos. `encode` appends `</s>` and, when a
text is longer than `max_len`, truncates so that `</s>` stays the last token ("sticky" EOS, as
big_vision does); the TypeScript tokenizer (`site_src/lit/tokenizer.ts`) does the same.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import sentencepiece as spm
from google.protobuf.message import DecodeError
from sentencepiece import sentencepiece_model_pb2 as sp_pb2

from ...errors import BuildError
from .formats import NormalizerSpec, TokenizerSpec

PAD_ID, EOS_ID, UNK_ID = 0, 1, 2
_TYPE_NAMES = {"bpe": "BPE", "unigram": "UNIGRAM"}


class TokenizerError(BuildError, ValueError):
    """A SentencePiece model cannot be used; the message names the file and what to do."""


def train_sentencepiece(texts: Iterable[str], model_path: Path, *, vocab_size: int,
                        model_type: str = "bpe") -> Path:
    """Train a SentencePiece model on `texts` and write it to `model_path` (deterministic).

    Uses a single thread and no sampling so the same texts give the same vocabulary.
    """
    if model_type not in _TYPE_NAMES:
        raise ValueError(f"model_type must be 'bpe' or 'unigram', got {model_type!r}")
    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(list(texts)), model_writer=buffer, vocab_size=vocab_size,
        model_type=model_type, character_coverage=1.0, pad_id=PAD_ID, eos_id=EOS_ID,
        unk_id=UNK_ID, bos_id=-1, num_threads=1, hard_vocab_limit=False,
        input_sentence_size=0, shuffle_input_sentence=False, minloglevel=2)
    model_path = Path(model_path)
    model_path.parent.mkdir(parents=True, exist_ok=True)
    model_path.write_bytes(buffer.getvalue())
    return model_path


class Tokenizer:
    """A SentencePiece model with LiT's fixed-length, sticky-EOS encoding."""

    def __init__(self, model_path: Path | str, max_len: int, pad_value: int | None = None):
        model_path = Path(model_path)
        if not model_path.is_file():
            raise TokenizerError(f"SentencePiece model not found: {model_path} "
                                 "(set demos.lit.tokenizer in site.toml to a .model file)")
        self.model_path = model_path
        self.proto = sp_pb2.ModelProto()
        try:
            self.proto.ParseFromString(model_path.read_bytes())
            self.sp = spm.SentencePieceProcessor(model_file=str(model_path))
        except (OSError, RuntimeError, DecodeError) as exc:
            raise TokenizerError(f"{model_path}: not a readable SentencePiece model ({exc}); use the .model "
                                 "file the checkpoint's text tower was trained with") from None
        self.max_len = max_len
        if self.sp.eos_id() < 0:
            raise TokenizerError(f"{model_path}: the vocabulary has no end token </s>")
        self.eos_id = self.sp.eos_id()
        self.pad_value = pad_value if pad_value is not None else max(self.sp.pad_id(), 0)

    @property
    def vocab_size(self) -> int:
        return self.sp.get_piece_size()

    @property
    def tokenizer_type(self) -> str:
        kind = sp_pb2.TrainerSpec.ModelType.Name(self.proto.trainer_spec.model_type).lower()
        if kind not in _TYPE_NAMES:
            raise TokenizerError(f"{self.model_path}: model type {kind} is not supported (BPE or unigram)")
        return _TYPE_NAMES[kind]

    def ids(self, text: str) -> list[int]:
        """Token ids of `text` with `</s>` appended, truncated to max_len keeping `</s>` last."""
        ids = list(self.sp.encode(text)) + [self.eos_id]
        if len(ids) > self.max_len:
            ids = ids[: self.max_len - 1] + [self.eos_id]
        return ids

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """int32 `[len(texts), max_len]`, padded with `pad_value`."""
        out = np.full((len(texts), self.max_len), self.pad_value, dtype=np.int32)
        for row, text in enumerate(texts):
            ids = self.ids(text)
            out[row, : len(ids)] = ids
        return out

    def vocabulary(self) -> list[list]:
        """`vocabulary.json`: `[piece, score]` per id."""
        return [[p.piece, float(p.score)] for p in self.proto.pieces]

    def spec(self) -> TokenizerSpec:
        """`tokenizer.json`: special ids and normaliser for exact browser parity."""
        types = sp_pb2.ModelProto.SentencePiece.Type
        # The browser tokenizer implements what LiT's SentencePiece models use; refuse the rest
        # rather than ship a tokenizer that silently disagrees with Python.
        unsupported = []
        if self.proto.trainer_spec.byte_fallback:
            unsupported.append("byte_fallback")
        if any(p.type == types.USER_DEFINED for p in self.proto.pieces):
            unsupported.append("user-defined symbols")
        if self.proto.normalizer_spec.normalization_rule_tsv:
            unsupported.append("a custom normalization_rule_tsv")
        if unsupported:
            raise TokenizerError(f"{self.model_path}: the browser tokenizer does not support "
                             f"{', '.join(unsupported)}")
        norm = self.proto.normalizer_spec
        return TokenizerSpec(
            model_type=self.tokenizer_type, unk_id=self.sp.unk_id(), eos_id=self.eos_id,
            bos_id=self.sp.bos_id(), pad_id=self.sp.pad_id(),
            control_ids=[i for i, p in enumerate(self.proto.pieces) if p.type == types.CONTROL],
            user_defined_ids=[i for i, p in enumerate(self.proto.pieces)
                              if p.type == types.USER_DEFINED],
            normalizer=NormalizerSpec(
                precompiled_charsmap=base64.b64encode(norm.precompiled_charsmap).decode("ascii"),
                add_dummy_prefix=norm.add_dummy_prefix,
                remove_extra_whitespaces=norm.remove_extra_whitespaces,
                escape_whitespaces=norm.escape_whitespaces))
