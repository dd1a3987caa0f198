"""The LiT demo's data formats, written down once (TypeScript twin: `site_src/lit/formats.ts`).

Layout under the data base URL (the original big_vision `lit_demo` layout, so either app can
read either data):

- `data/images/info.json`: a list of `ImageInfo` (`prompts` is one comma-separated string);
  `data/images/<id>.jpg`: 224x224 JPEG crops as the image tower saw them.
- `data/models/<name>/def.json`: a `ModelDef`.
- `data/models/<name>/vocabulary.json`: `[[piece, score], ...]`, index = token id.
- `data/models/<name>/tokenizer.json` (ours, optional for readers): a `TokenizerSpec` with the
  special ids and the SentencePiece normaliser, so the browser tokenises exactly like Python.
- `data/models/<name>/tfjs/model.json` + shards: text encoder, int32 `[-1, max_len]` ->
  float32 `[-1, embedding_size]`, L2-normalised.
- `zimgs.bin`/`zimgs.txt` and `ztxts.bin`/`ztxts.txt` in the model folder: float32
  little-endian `[n, embedding_size]` rows (L2-normalised) and one key per line in row order
  (image ids, resp. canonicalised prompts).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import BuildError

TOKENIZER_TYPES = ("BPE", "UNIGRAM", "WORDPIECE")  # WORDPIECE: BERT vocabularies (photo source)
# An image id becomes a file name (`<id>.jpg`) and a line of `zimgs.txt`: a plain name, never a path.
IMAGE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class FormatError(BuildError, ValueError):
    """A data file (`info.json`, `def.json`, ...) is not what its format says; names the file and entry."""


@dataclass
class ImageInfo:
    """One entry of `data/images/info.json`."""

    id: str
    description: str
    source: str
    license: str
    prompts: str  # comma-separated example prompts

    def prompt_list(self) -> list[str]:
        """The example prompts as a list (empty entries dropped)."""
        return [p.strip() for p in self.prompts.split(",") if p.strip()]


@dataclass
class ModelDef:
    """`data/models/<name>/def.json`."""

    description: str
    tokenizer_type: str  # "BPE" | "UNIGRAM" | "WORDPIECE"
    temperature: float  # exp(t) of the checkpoint
    pad_value: int
    max_len: int
    embedding_size: int

    def __post_init__(self) -> None:
        if self.tokenizer_type not in TOKENIZER_TYPES:
            raise FormatError(f"def.json: tokenizer_type must be one of {TOKENIZER_TYPES}, "
                             f"got {self.tokenizer_type!r}")


@dataclass
class NormalizerSpec:
    """The parts of SentencePiece's NormalizerSpec the encoder needs."""

    precompiled_charsmap: str  # base64 of the Darts trie + replacement strings ("" = identity)
    add_dummy_prefix: bool
    remove_extra_whitespaces: bool
    escape_whitespaces: bool


@dataclass
class TokenizerSpec:
    """`data/models/<name>/tokenizer.json`: what `vocabulary.json` cannot say."""

    model_type: str  # "BPE" | "UNIGRAM"
    unk_id: int
    eos_id: int
    bos_id: int  # -1 when absent
    pad_id: int  # -1 when absent
    control_ids: list[int]  # pieces never matched against text (<s>, </s>, <pad>, ...)
    user_defined_ids: list[int]
    normalizer: NormalizerSpec


def _from_dict(cls: type, data: Any, where: str):
    if not isinstance(data, dict):
        raise FormatError(f"{where}: expected an object with {', '.join(f.name for f in fields(cls))}")
    names = {f.name for f in fields(cls)}
    missing = sorted(names - set(data))
    if missing:
        raise FormatError(f"{where}: missing field(s) {', '.join(missing)}")
    return cls(**{k: data[k] for k in names})


def _read_json(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise FormatError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8") from None
    except json.JSONDecodeError as exc:
        raise FormatError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None


def write_json(path: Path, value: Any) -> None:
    """Write a dataclass (or list of them, or plain JSON) as UTF-8 JSON."""
    def plain(v: Any) -> Any:
        if isinstance(v, list):
            return [plain(x) for x in v]
        return asdict(v) if hasattr(v, "__dataclass_fields__") else v
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(plain(value), ensure_ascii=False, indent=1), encoding="utf-8")


def read_image_infos(path: Path) -> list[ImageInfo]:
    """Read `info.json`, checking each entry's fields are strings and each id a plain, unique file name."""
    data = _read_json(path)
    if not isinstance(data, list) or not data:
        raise FormatError(f"{path}: expected a non-empty list of {{id, description, source, license, prompts}}")
    infos, seen = [], set()
    for i, entry in enumerate(data):
        info = _from_dict(ImageInfo, entry, f"{path}[{i}]")
        for name in ("id", "description", "source", "license", "prompts"):
            if not isinstance(getattr(info, name), str):
                raise FormatError(f"{path}[{i}]: {name} must be a string, got {json.dumps(getattr(info, name))}")
        if not IMAGE_ID.fullmatch(info.id) or ".." in info.id:
            raise FormatError(f"{path}[{i}]: id {json.dumps(info.id)} is not a plain file name (letters, digits, "
                              "'.', '_', '-'; starting with a letter or digit; no '..'); rename it and its image")
        if info.id in seen:
            raise FormatError(f"{path}[{i}]: id {json.dumps(info.id)} appears twice; ids must be unique")
        seen.add(info.id)
        infos.append(info)
    return infos


def read_model_def(path: Path) -> ModelDef:
    """Read `def.json`."""
    return _from_dict(ModelDef, _read_json(path), str(path))


def read_tokenizer_spec(path: Path) -> TokenizerSpec:
    """Read `tokenizer.json`."""
    data = _read_json(path)
    if not isinstance(data, dict):
        raise FormatError(f"{path}: expected a JSON object")
    data["normalizer"] = _from_dict(NormalizerSpec, data.get("normalizer", {}), f"{path}: normalizer")
    return _from_dict(TokenizerSpec, data, str(path))


def canonicalize_prompt(text: str) -> str:
    """The key of a prompt in `ztxts.txt`: lower-case, `[^\\w ]` removed, spaces collapsed."""
    text = re.sub(r"[^\w ]", "", text.lower())
    return re.sub(r" +", " ", text).strip()


def write_embeddings(stem: Path, keys: list[str], embeddings: np.ndarray) -> None:
    """Write `<stem>.bin` (float32 LE rows) and `<stem>.txt` (one key per line)."""
    embeddings = np.asarray(embeddings, dtype="<f4")
    if embeddings.ndim != 2 or embeddings.shape[0] != len(keys):
        raise ValueError(f"{stem}: {len(keys)} keys but embeddings of shape {embeddings.shape}")
    if any("\n" in k for k in keys):
        raise ValueError(f"{stem}: keys must not contain newlines")
    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(".bin").write_bytes(embeddings.tobytes())
    stem.with_suffix(".txt").write_text("".join(k + "\n" for k in keys), encoding="utf-8")


def read_embeddings(stem: Path, embedding_size: int) -> tuple[list[str], np.ndarray]:
    """Read `<stem>.bin` + `<stem>.txt` back; checks the row count matches."""
    keys = stem.with_suffix(".txt").read_text(encoding="utf-8").splitlines()
    flat = np.frombuffer(stem.with_suffix(".bin").read_bytes(), dtype="<f4")
    if flat.size != len(keys) * embedding_size:
        raise ValueError(f"{stem}.bin holds {flat.size} floats, expected {len(keys)} x {embedding_size}")
    return keys, flat.reshape(len(keys), embedding_size).copy()
