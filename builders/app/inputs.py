"""Input components. Each one is one argument of `fn(params, *inputs)`, batched on a leading axis.

Every input gives its per-example shape and dtype (what `fn` receives is that with a batch axis
in front), a JSON spec for the browser, and `preprocess`, which turns an example value written in
Python into the array the browser would feed for it.

When `fn` takes exactly one input after `params` but several scalar inputs (Slider, Number,
Dropdown, Checkbox) are declared, they are stacked, in order, into one `(batch, n)` float32
array: the usual shape of a tabular model.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np

from ..wordpiece import WordPiece, read_vocab
from . import image as image_ops
from .component import Component, component, is_number, option


class Input(Component):
    """Base of the input components."""

    kind: ClassVar[str] = ""  # the browser component that renders it (site_src/components/<kind>.ts)
    dtype: ClassVar[str] = "float32"

    @property
    def shape(self) -> tuple[int, ...]:
        """Per-example shape (without the batch axis); () for a scalar."""
        return ()

    def default(self) -> np.ndarray:
        """The value the page starts with, as the array fed to `fn`."""
        raise NotImplementedError

    def preprocess(self, value: Any) -> np.ndarray:
        """The array fed to `fn` for an example value; raises ValueError saying what was expected."""
        raise NotImplementedError

    def files(self) -> dict[str, bytes]:
        """Files the browser component needs (a vocabulary), by name; the build puts them in the site."""
        return {}

    def browser_value(self, value: Any, files: dict[str, bytes]) -> Any:
        """An example value as the page's component takes it: by default the array it feeds, flattened.
        A component that preprocesses in the browser (Image, Text) gives the raw value instead, adding
        the files it needs (an example's image) to `files`."""
        array = self.preprocess(value)
        return array.reshape(-1).tolist() if array.ndim else array.item()


def _scalar(value: float, dtype: str = "float32") -> np.ndarray:
    return np.asarray(value, dtype=dtype)


def _number_text(value: float) -> str:
    return f"{value:g}"


@component
class Slider(Input):
    """A slider for one number in a range. `fn` gets a float32 per example."""

    kind: ClassVar[str] = "slider"

    label: str = option("Text shown beside the slider; also names it in error messages.")
    minimum: float = option("Smallest value.")
    maximum: float = option("Largest value.")
    value: float | None = option("Starting value; `None`: the minimum.", default=None)
    step: float | None = option("Spacing of the values the slider stops at; `None`: any value.", default=None)

    def check(self) -> list[str]:
        problems = []
        if self.minimum >= self.maximum:
            problems.append(f"minimum {_number_text(self.minimum)} must be smaller than maximum "
                            f"{_number_text(self.maximum)}")
        elif self.value is not None and not self.minimum <= self.value <= self.maximum:
            problems.append(f"value {_number_text(self.value)} is outside the range "
                            f"{_number_text(self.minimum)} to {_number_text(self.maximum)}")
        if self.step is not None and self.step <= 0:
            problems.append(f"step must be positive, got {_number_text(self.step)}")
        return problems

    def default(self) -> np.ndarray:
        return _scalar(self.minimum if self.value is None else self.value)

    def preprocess(self, value: Any) -> np.ndarray:
        if not is_number(value):
            raise ValueError(f"expected a number, got {value!r}")
        if not self.minimum <= value <= self.maximum:
            raise ValueError(f"{_number_text(value)} is outside the slider's range "
                             f"{_number_text(self.minimum)} to {_number_text(self.maximum)}")
        return _scalar(value)

    def spec(self) -> dict[str, Any]:
        return {"type": self.kind, "label": self.label, "min": float(self.minimum), "max": float(self.maximum),
                "value": float(self.default()), "step": None if self.step is None else float(self.step)}


@component
class Number(Input):
    """A box for any number. `fn` gets a float32 per example."""

    kind: ClassVar[str] = "number"

    label: str = option("Text shown beside the box; also names it in error messages.")
    value: float = option("Starting value.", default=0.0)

    def default(self) -> np.ndarray:
        return _scalar(self.value)

    def preprocess(self, value: Any) -> np.ndarray:
        if not is_number(value):
            raise ValueError(f"expected a number, got {value!r}")
        return _scalar(value)

    def spec(self) -> dict[str, Any]:
        return {"type": self.kind, "label": self.label, "value": float(self.value)}


@component
class Dropdown(Input):
    """A choice among names. `fn` gets the chosen index as an int32 per example (use
    `jax.nn.one_hot(x, len(choices))` for a one-hot vector); stacked with other scalar inputs,
    the index becomes a float32."""

    kind: ClassVar[str] = "dropdown"
    dtype: ClassVar[str] = "int32"

    label: str = option("Text shown beside the list; also names it in error messages.")
    choices: list[str] = option("The names to choose from, in index order.")
    value: str | None = option("The choice selected at first; `None`: the first one.", default=None)

    def check(self) -> list[str]:
        if not self.choices:
            return ["choices is empty; give at least one name"]
        repeated = sorted({c for c in self.choices if self.choices.count(c) > 1})
        if repeated:
            return ["choices must differ; repeated: " + ", ".join(f'"{c}"' for c in repeated)]
        if self.value is not None and self.value not in self.choices:
            return [f'value "{self.value}" is not one of the choices']
        return []

    def default(self) -> np.ndarray:
        return _scalar(0 if self.value is None else self.choices.index(self.value), "int32")

    def preprocess(self, value: Any) -> np.ndarray:
        if isinstance(value, str) and value in self.choices:
            return _scalar(self.choices.index(value), "int32")
        if is_number(value) and float(value).is_integer() and 0 <= value < len(self.choices):
            return _scalar(int(value), "int32")
        raise ValueError(f"expected one of the choices ({', '.join(repr(c) for c in self.choices)}) "
                         f"or its index, got {value!r}")

    def spec(self) -> dict[str, Any]:
        return {"type": self.kind, "label": self.label, "choices": list(self.choices), "value": int(self.default())}


@component
class Checkbox(Input):
    """A yes/no box. `fn` gets 1.0 (checked) or 0.0 as a float32 per example."""

    kind: ClassVar[str] = "checkbox"

    label: str = option("Text shown beside the box; also names it in error messages.")
    value: bool = option("Checked at first.", default=False)

    def default(self) -> np.ndarray:
        return _scalar(float(self.value))

    def preprocess(self, value: Any) -> np.ndarray:
        if isinstance(value, (bool, np.bool_)) or value in (0, 1):
            return _scalar(float(value))
        raise ValueError(f"expected True or False, got {value!r}")

    def spec(self) -> dict[str, Any]:
        return {"type": self.kind, "label": self.label, "value": bool(self.value)}


@component
class Sketchpad(Input):
    """A drawing pad (mouse, pen or finger). `fn` gets a `(size, size)` float32 image per example,
    ink 1.0 on 0.0 (or the reverse with `invert`), made from the drawing the way the MNIST digits
    were: cropped to the ink, scaled to fit and centred by its centre of mass."""

    kind: ClassVar[str] = "sketchpad"

    label: str = option("Text shown above the pad; also names it in error messages.")
    size: int = option("Side of the image `fn` gets, in pixels (the pad itself is 280 pixels).", default=28)
    stroke: float = option("Pen radius in pixels of the 280-pixel pad (9: the MNIST page's pen).", default=9.0)
    invert: bool = option("Ink 0.0 on a 1.0 background instead of ink 1.0 on 0.0.", default=False)
    center_of_mass: bool = option(
        "Crop to the ink, fit it in 20/28 of the image and centre it by its centre of mass (MNIST's "
        "preprocessing); False: the whole pad scaled down to `size`.", default=True)

    def check(self) -> list[str]:
        problems = []
        if not 4 <= self.size <= 280:
            problems.append(f"size must be between 4 and 280 pixels, got {self.size}")
        if not 0.5 <= self.stroke <= 50:
            problems.append(f"stroke must be between 0.5 and 50 pixels, got {_number_text(self.stroke)}")
        return problems

    @property
    def shape(self) -> tuple[int, ...]:
        return (int(self.size), int(self.size))

    def default(self) -> np.ndarray:
        return np.full(self.shape, 1.0 if self.invert else 0.0, np.float32)

    def preprocess(self, value: Any) -> np.ndarray:
        try:
            array = np.asarray(value, dtype=np.float32)
        except (TypeError, ValueError):
            raise ValueError(f"expected a {self.size}x{self.size} array of numbers in [0, 1]") from None
        if array.shape != self.shape:
            raise ValueError(f"expected a {self.size}x{self.size} array, got shape {array.shape}")
        if not np.all(np.isfinite(array)) or array.min() < 0 or array.max() > 1:
            raise ValueError("expected values in [0, 1]")
        return array

    def spec(self) -> dict[str, Any]:
        return {"type": self.kind, "label": self.label, "size": int(self.size), "stroke": float(self.stroke),
                "invert": self.invert, "centerOfMass": self.center_of_mass}


SCALAR_INPUTS = (Slider, Number, Dropdown, Checkbox)


def _demo_folder(component: Component) -> Path:
    """The folder of the file that declared `component` (the user's demo.py): relative paths start there."""
    where = component.where
    return Path(where.file).resolve().parent if where and where.file and not where.file.startswith("<") else Path.cwd()


def _resolve(component: Component, path: str | os.PathLike) -> Path:
    path = Path(path)
    return path if path.is_absolute() else _demo_folder(component) / path


WORDPIECE_SPECIALS = ("[UNK]", "[CLS]", "[SEP]")
WORDS_SPECIALS = ("[PAD]", "[UNK]")


@component
class Text(Input):
    """A text box. `fn` gets the text as `max_length` int32 token ids per example, made by a tokenizer
    exported from Python and run identically in the browser: BERT's WordPiece (`[CLS] pieces [SEP]`,
    padded with `[PAD]`) or a word index (one id per word, unknown words `[UNK]`, padded with
    `[PAD]`). A text longer than `max_length` is cut, and the page says so under the box."""

    kind: ClassVar[str] = "text"
    dtype: ClassVar[str] = "int32"

    label: str = option("Text shown above the box; also names it in error messages.")
    vocab: str | list[str] = option(
        "A `vocab.txt` (one token per line, the id is the line number; relative to the file that declares "
        "the component), or the tokens as a list in id order.", kind="a path or a list of strings")
    tokenizer: Literal["wordpiece", "words"] = option(
        '"wordpiece": BERT\'s WordPiece (the vocabulary needs [UNK], [CLS] and [SEP]; [PAD] pads, id 0 '
        'without it); "words": a word index (needs [PAD] and [UNK]). Both split words as BERT does '
        "(whitespace, and each punctuation mark a word of its own).", default="wordpiece")
    max_length: int = option("How many ids `fn` gets per example (WordPiece's include [CLS] and [SEP]).",
                             default=64)
    lowercase: bool = option("Lower-case the text and strip its accents first (an uncased BERT vocabulary); "
                             "False: keep both (a cased one).", default=True)
    value: str = option("The text the box starts with.", default="")
    lines: int = option("Height of the box, in lines of text.", default=3)

    def _tokens(self) -> list[str]:
        """The vocabulary's tokens (read once); raises ValueError saying what is wrong with it."""
        cached = self.__dict__.get("_vocab_tokens")
        if cached is not None:
            return cached
        if isinstance(self.vocab, str):
            path = _resolve(self, self.vocab)
            try:
                tokens = read_vocab(path.read_text(encoding="utf-8-sig"))
            except FileNotFoundError:
                raise ValueError(f"vocab file '{self.vocab}' not found (looked for {path}); give a vocab.txt "
                                 "with one token per line, relative to the file that declares the component") from None
            except UnicodeDecodeError:
                raise ValueError(f"vocab file '{self.vocab}' is not UTF-8 text") from None
            except OSError as exc:
                raise ValueError(f"vocab file '{self.vocab}' cannot be read: {exc.strerror}") from None
        else:
            tokens = list(self.vocab)
        self.__dict__["_vocab_tokens"] = tokens
        return tokens

    def wordpiece(self) -> WordPiece:
        """The tokenizer (builders/wordpiece.py; site_src/common/wordpiece.ts in the browser)."""
        return WordPiece.from_tokens(self._tokens(), lowercase=self.lowercase)

    def check(self) -> list[str]:
        try:
            tokens = self._tokens()
        except ValueError as exc:
            return [str(exc)]
        if not tokens:
            return ["vocab is empty; give one token per line"]
        needed = WORDPIECE_SPECIALS if self.tokenizer == "wordpiece" else WORDS_SPECIALS
        missing = [t for t in needed if t not in tokens]
        problems = []
        if missing:
            problems.append(f"the vocabulary has no {', '.join(missing)}; the {self.tokenizer} tokenizer needs "
                            f"{', '.join(needed)}")
        shortest = 3 if self.tokenizer == "wordpiece" else 1
        if not shortest <= self.max_length <= 8192:
            problems.append(f"max_length must be between {shortest} and 8192, got {self.max_length}")
        if not 1 <= self.lines <= 40:
            problems.append(f"lines must be between 1 and 40, got {self.lines}")
        return problems

    @property
    def shape(self) -> tuple[int, ...]:
        return (int(self.max_length),)

    def encode(self, text: str) -> tuple[list[int], bool]:
        """The ids for `text` and whether it was cut to `max_length`."""
        tokenizer = self.wordpiece()
        if self.tokenizer == "wordpiece":
            return tokenizer.encode(text, int(self.max_length))
        ids, count = tokenizer.encode_words(text, int(self.max_length))
        return ids, count > self.max_length

    def default(self) -> np.ndarray:
        return self.preprocess(self.value)

    def preprocess(self, value: Any) -> np.ndarray:
        if not isinstance(value, str):
            raise ValueError(f"expected a string, got {value!r}")
        return np.asarray(self.encode(value)[0], np.int32)

    def files(self) -> dict[str, bytes]:
        return {"vocab.txt": "".join(t + "\n" for t in self._tokens()).encode()}

    def browser_value(self, value: Any, files: dict[str, bytes]) -> Any:
        self.preprocess(value)  # checked
        return value

    def spec(self) -> dict[str, Any]:
        return {"type": self.kind, "label": self.label, "tokenizer": self.tokenizer,
                "maxLength": int(self.max_length), "lowercase": self.lowercase, "value": self.value,
                "lines": int(self.lines)}


@component
class Image(Input):
    """A picture: chosen from the files (or dropped on the box, or pasted), or taken with a phone's
    camera. `fn` gets a `(height, width, channels)` float32 array per example, made the same way in
    the browser and in Python (`preprocess` of an example file): centre-cropped to the aspect of
    `size`, resampled by area averaging, then `(v * scale + offset - mean) / std` on the 0-255 values.
    Examples are image files, relative to the file that declares the demo; they are copied into the site."""

    kind: ClassVar[str] = "image"

    label: str = option("Text shown above the picture; also names it in error messages.")
    size: tuple[int, int] = option("(height, width) of the array `fn` gets, in pixels.", default=(224, 224))
    channels: Literal[1, 3] = option("3: RGB; 1: grey (0.299 R + 0.587 G + 0.114 B).", default=3)
    crop: Literal["center", "none"] = option(
        '"center": the largest centred part of the picture with the aspect of `size`; "none": the whole '
        "picture, stretched to it.", default="center")
    scale: float = option("Each 0-255 value is multiplied by this first (1/255: values in [0, 1]; "
                          "-1/255 with offset 1: dark ink on white paper becomes 1).", default=1 / 255)
    offset: float = option("Then this is added.", default=0.0)
    mean: list[float] | None = option("Then this is subtracted, one number per channel (ImageNet's: "
                                      "[0.485, 0.456, 0.406] with scale 1/255); None: 0.", default=None)
    std: list[float] | None = option("Then divided by this, one number per channel; None: 1.", default=None)
    camera: bool = option("Show a \"Take a photo\" button (a phone's camera through `capture`).", default=True)

    def check(self) -> list[str]:
        problems = []
        if len(self.size) != 2 or not all(1 <= s <= 2048 for s in self.size):
            problems.append(f"size must be (height, width), each between 1 and 2048 pixels, got {tuple(self.size)}")
        for name in ("mean", "std"):
            values = getattr(self, name)
            if values is not None and len(values) != self.channels:
                problems.append(f"{name} has {len(values)} numbers; give one per channel ({self.channels})")
        if self.std is not None and any(v == 0 for v in self.std):
            problems.append("std must not be 0")
        if self.scale == 0:
            problems.append("scale must not be 0 (every picture would be the same)")
        return problems

    @property
    def shape(self) -> tuple[int, ...]:
        return (int(self.size[0]), int(self.size[1]), int(self.channels))

    def _normalisation(self) -> tuple[list[float], list[float]]:
        return (list(self.mean) if self.mean is not None else [0.0] * self.channels,
                list(self.std) if self.std is not None else [1.0] * self.channels)

    def default(self) -> np.ndarray:
        return np.zeros(self.shape, np.float32)

    def _path(self, value: Any) -> Path:
        if not isinstance(value, (str, os.PathLike)):
            raise ValueError(f"expected the path of an image file, got {value!r}")
        path = _resolve(self, value)
        if not path.is_file():
            raise ValueError(f"image file '{os.fspath(value)}' not found (looked for {path}); give a path "
                             "relative to the file that declares the demo")
        return path

    def preprocess(self, value: Any) -> np.ndarray:
        mean, std = self._normalisation()
        return image_ops.preprocess(image_ops.decode(self._path(value)), (int(self.size[0]), int(self.size[1])),
                                    int(self.channels), self.crop, float(self.scale), float(self.offset), mean, std)

    def browser_value(self, value: Any, files: dict[str, bytes]) -> Any:
        self.preprocess(value)  # checked
        path = self._path(value)
        data = path.read_bytes()
        name = f"{hashlib.sha256(data).hexdigest()[:12]}-{re.sub(r'[^A-Za-z0-9._-]', '_', path.name)}"
        files[name] = data
        return name

    def spec(self) -> dict[str, Any]:
        mean, std = self._normalisation()
        return {"type": self.kind, "label": self.label, "height": int(self.size[0]), "width": int(self.size[1]),
                "channels": int(self.channels), "crop": self.crop, "scale": float(self.scale),
                "offset": float(self.offset), "mean": mean, "std": std, "camera": self.camera}
