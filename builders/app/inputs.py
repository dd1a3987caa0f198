"""Input components. Each one is one argument of `fn(params, *inputs)`, batched on a leading axis.

Every input gives its per-example shape and dtype (what `fn` receives is that with a batch axis
in front), a JSON spec for the browser, and `preprocess`, which turns an example value written in
Python into the array the browser would feed for it.

When `fn` takes exactly one input after `params` but several scalar inputs (Slider, Number,
Dropdown, Checkbox) are declared, they are stacked, in order, into one `(batch, n)` float32
array: the usual shape of a tabular model.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

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
