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
