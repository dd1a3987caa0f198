"""Output components. `fn` returns one array per output (a tuple when there are several), each
with the batch axis first; the component checks the per-example shape at build time and shows
the numbers in the browser."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from .component import Component, component, option


def batch_shape(shape: tuple[int, ...]) -> str:
    """`(batch, 3)` for a per-example shape (3,); `(batch,)` for a scalar."""
    return "(batch" + "".join(f", {d}" for d in shape) + (")" if shape else ",)")


class Output(Component):
    """Base of the output components."""

    kind: ClassVar[str] = ""  # the browser component that shows it (site_src/components/<kind>.ts)

    def shape_problem(self, shape: tuple[int, ...]) -> str | None:
        """What is wrong with `fn`'s per-example output shape for this component, or None."""
        return None


@component
class Label(Output):
    """Class scores shown as the top-k names with bars. `fn` returns one score per name for each
    example: logits (`activation="softmax"` or `"sigmoid"`, applied in the browser) or
    probabilities already (`activation=None`)."""

    kind: ClassVar[str] = "label"

    names: list[str] = option("The class names, in the order of `fn`'s scores.")
    top: int = option("How many of the best classes to show.", default=3)
    activation: Literal["softmax", "sigmoid", None] = option(
        '"softmax": the scores are logits of one choice among the names; "sigmoid": each name is '
        "a yes/no of its own (multi-label); None: the scores are shown as they are.", default="softmax")
    label: str = option("Heading above the bars; also names it in error messages.", default="Prediction")

    @property
    def subject(self) -> str:
        return f'Label "{self.label}"'

    def check(self) -> list[str]:
        if not self.names:
            return ["names is empty; give one name per score fn returns"]
        repeated = sorted({n for n in self.names if self.names.count(n) > 1})
        if repeated:
            return ["names must differ; repeated: " + ", ".join(f'"{n}"' for n in repeated)]
        if self.top < 1:
            return [f"top must be at least 1, got {self.top}"]
        return []

    def shape_problem(self, shape: tuple[int, ...]) -> str | None:
        if shape != (len(self.names),):
            return (f"fn returns shape {batch_shape(shape)} for it; expected {batch_shape((len(self.names),))}: "
                    "one score per name")
        return None

    def spec(self) -> dict[str, Any]:
        return {"type": self.kind, "label": self.label, "names": list(self.names),
                "top": min(int(self.top), len(self.names)), "activation": self.activation}


@component
class JSON(Output):
    """The raw numbers `fn` returns for the example, any shape, as JSON text."""

    kind: ClassVar[str] = "json"

    label: str = option("Heading above the numbers; also names it in error messages.", default="Output")

    def spec(self) -> dict[str, Any]:
        return {"type": self.kind, "label": self.label}


@component
class NumberOutput(Output):
    """One number per example, shown large with its unit. `fn` returns shape `(batch,)` or `(batch, 1)`."""

    kind: ClassVar[str] = "number-output"

    label: str = option("Heading above the number; also names it in error messages.", default="Output")
    unit: str = option('Written after the number ("cm", "%"); empty: none.', default="")
    decimals: int = option("Digits after the decimal point.", default=2)

    def check(self) -> list[str]:
        if not 0 <= self.decimals <= 10:
            return [f"decimals must be between 0 and 10, got {self.decimals}"]
        return []

    def shape_problem(self, shape: tuple[int, ...]) -> str | None:
        if shape not in ((), (1,)):
            return (f"fn returns shape {batch_shape(shape)} for it; expected (batch,) or (batch, 1): "
                    "one number per example")
        return None

    def spec(self) -> dict[str, Any]:
        return {"type": self.kind, "label": self.label, "unit": self.unit, "decimals": int(self.decimals)}


@component
class TextOutput(Output):
    """A string made from `fn`'s numbers: with `names`, the name of the best of one score per name
    (argmax); with `vocab`, token ids decoded through the vocabulary (an id outside it is shown as an
    error in the page, not skipped). Give exactly one of the two."""

    kind: ClassVar[str] = "text-output"

    label: str = option("Heading above the text; also names it in error messages.", default="Output")
    names: list[str] | None = option("One name per score `fn` returns; the page shows the best one's.",
                                     default=None)
    vocab: list[str] | None = option("The tokens in id order: `fn` returns token ids, shown as their tokens.",
                                     default=None)
    skip: list[str] = option("Tokens left out of the decoded text (padding, specials), with `vocab`.",
                             default_factory=list)
    separator: str = option("Put between decoded tokens, with `vocab` (\"\": none).", default=" ")

    def check(self) -> list[str]:
        if (self.names is None) == (self.vocab is None):
            return ["give exactly one of names (argmax over one score per name) or vocab (token ids decoded "
                    "through the vocabulary)"]
        items = self.names if self.names is not None else self.vocab
        if not items:
            return [f"{'names' if self.names is not None else 'vocab'} is empty"]
        if self.names is not None and self.skip:
            return ["skip is for vocab; with names the page shows one name"]
        return []

    def shape_problem(self, shape: tuple[int, ...]) -> str | None:
        if self.names is not None and shape != (len(self.names),):
            return (f"fn returns shape {batch_shape(shape)} for it; expected {batch_shape((len(self.names),))}: "
                    "one score per name")
        if self.vocab is not None and len(shape) != 1:
            return f"fn returns shape {batch_shape(shape)} for it; expected (batch, n): a vector of token ids"
        return None

    def spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"type": self.kind, "label": self.label}
        if self.names is not None:
            spec.update(mode="argmax", names=list(self.names))
        else:
            spec.update(mode="tokens", vocab=list(self.vocab or []), skip=list(self.skip), separator=self.separator)
        return spec


IMAGE_SHAPES = "(batch, H, W), (batch, H, W, 1), (batch, H, W, 3) or (batch, H, W, 4)"


@component
class ImageOutput(Output):
    """A tensor drawn as a picture: `(H, W)` or `(H, W, 1)` grey, `(H, W, 3)` RGB, `(H, W, 4)` RGBA per
    example. `value_range` is mapped to 0-255 (values outside it are clamped, and the page says so)."""

    kind: ClassVar[str] = "image-output"

    label: str = option("Heading above the picture; also names it in error messages.", default="Output")
    value_range: tuple[float, ...] = option("(low, high): the values shown black and white (full colour), "
                                            "e.g. (0, 1), (-1, 1) or (0, 255).", default=(0.0, 1.0))
    scale: int = option("Each pixel drawn as scale x scale screen pixels (nearest neighbour), for small "
                        "images; the picture still shrinks to fit a narrow screen.", default=1)

    def check(self) -> list[str]:
        if len(self.value_range) != 2 or not self.value_range[0] < self.value_range[1]:
            return [f"value_range must be (low, high) with low < high, got {tuple(self.value_range)!r}"]
        if not 1 <= self.scale <= 32:
            return [f"scale must be between 1 and 32, got {self.scale}"]
        return []

    def shape_problem(self, shape: tuple[int, ...]) -> str | None:
        if len(shape) == 2 or (len(shape) == 3 and shape[2] in (1, 3, 4)):
            if all(d >= 1 for d in shape):
                return None
        return f"fn returns shape {batch_shape(shape)} for it; expected {IMAGE_SHAPES}: a grey, RGB or RGBA picture"

    def spec(self) -> dict[str, Any]:
        return {"type": self.kind, "label": self.label, "valueRange": [float(v) for v in self.value_range],
                "scale": int(self.scale)}


@component
class Plot(Output):
    """A vector drawn as a line or bar chart (SVG), with its smallest and largest values marked on the
    axis. `fn` returns `(batch, n)`; NaN and infinite values are gaps, and the page says how many."""

    kind: ClassVar[str] = "plot"

    label: str = option("Heading (title) above the chart; also names it in error messages.", default="Plot")
    style: Literal["line", "bar"] = option('"line" or "bar".', default="line")
    x_labels: list[str] | None = option("One name per value, along the x axis; None: the indices.", default=None)

    def check(self) -> list[str]:
        if self.x_labels is not None and not self.x_labels:
            return ["x_labels is empty; give one name per value, or None for the indices"]
        return []

    def shape_problem(self, shape: tuple[int, ...]) -> str | None:
        if self.x_labels is not None and shape != (len(self.x_labels),):
            return (f"fn returns shape {batch_shape(shape)} for it; expected {batch_shape((len(self.x_labels),))}: "
                    "one value per x label")
        if len(shape) != 1 or shape[0] < 1:
            return f"fn returns shape {batch_shape(shape)} for it; expected (batch, n): one vector per example"
        return None

    def spec(self) -> dict[str, Any]:
        return {"type": self.kind, "label": self.label, "style": self.style,
                "xLabels": None if self.x_labels is None else list(self.x_labels)}


@component
class Highlight(Output):
    """The tokens of a Text input, each shaded by `fn`'s score for its position (the score in its
    tooltip); padding is not shown. `fn` returns `(batch, max_length)`: one score per token id the
    Text input gives it."""

    kind: ClassVar[str] = "highlight"

    input: str = option("The label of the Text input whose tokens are shown.")
    label: str = option("Heading above the tokens; also names it in error messages.", default="Highlights")
    value_range: tuple[float, ...] = option("(low, high): scores shown unshaded and fully shaded (clamped).",
                                            default=(0.0, 1.0))

    def check(self) -> list[str]:
        if len(self.value_range) != 2 or not self.value_range[0] < self.value_range[1]:
            return [f"value_range must be (low, high) with low < high, got {tuple(self.value_range)!r}"]
        return []

    def source(self, inputs: list) -> Any:
        """The Text input it shows (the only one with its label), or None."""
        from .inputs import Text

        found = [c for c in inputs if isinstance(c, Text) and c.label == self.input]
        return found[0] if len(found) == 1 else None

    def input_problems(self, inputs: list) -> list[str]:
        """What is wrong with the input it names: none, or more than one, Text input with that label."""
        from .inputs import Text

        texts = [c.label for c in inputs if isinstance(c, Text)]
        count = texts.count(self.input)
        if count == 1:
            return []
        if count > 1:
            return [f'{count} Text inputs are labelled "{self.input}"; give them different labels']
        known = ", ".join(f'"{t}"' for t in texts) or "none"
        return [f'input "{self.input}" is not the label of a Text input (the Text inputs: {known})']

    def bind(self, inputs: list) -> None:
        """Remember the max_length of its Text input, for `shape_problem`."""
        text = self.source(inputs)
        self.__dict__["_length"] = None if text is None else int(text.max_length)

    def shape_problem(self, shape: tuple[int, ...]) -> str | None:
        length = self.__dict__.get("_length")
        if length is not None and shape != (length,):
            return (f"fn returns shape {batch_shape(shape)} for it; expected {batch_shape((length,))}: one score "
                    f'per token of Text "{self.input}" (its max_length)')
        if len(shape) != 1:
            return f"fn returns shape {batch_shape(shape)} for it; expected (batch, max_length): one score per token"
        return None

    def spec(self) -> dict[str, Any]:
        return {"type": self.kind, "label": self.label, "input": self.input,
                "valueRange": [float(v) for v in self.value_range]}
