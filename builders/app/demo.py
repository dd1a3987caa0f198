"""`Demo`: a model, its inputs and outputs, and examples; checked as a whole before it is converted."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np

from .component import component, option, type_name, type_ok
from .errors import Problem, Where, describe_exception, user_frame
from .inputs import SCALAR_INPUTS, Input
from .outputs import Output

INPUT_NAMES = "app.Slider, app.Number, app.Dropdown, app.Checkbox, app.Sketchpad, app.Image, app.Text"
OUTPUT_NAMES = ("app.Label, app.JSON, app.NumberOutput, app.TextOutput, app.ImageOutput, app.Plot, "
                "app.Highlight")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def _positional(fn: Callable) -> tuple[int, int, bool] | None:
    """(required, total, *args?) positional parameters of `fn`, or None when they cannot be read."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return None
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = sum(p.default is p.empty for p in positional)
    return required, len(positional), any(p.kind is p.VAR_POSITIONAL for p in params)


def fn_where(fn: Callable) -> Where | None:
    """The line where `fn` is defined."""
    try:
        return Where(inspect.getsourcefile(fn) or "", inspect.getsourcelines(fn)[1])
    except (TypeError, OSError):
        return None


@component
class Demo:
    """A page for one model: `fn(params, *inputs)` run on the visitor's device on the declared inputs.

    The build converts `fn` to TF.js with the declared input shapes (a batch axis of any size in
    front, unless `batch_polymorphic=False`), runs every example in TF.js and in JAX and stops if
    they disagree, then renders one page with the components.
    """

    title: str = option("The page's heading and its name in the site's navigation.")
    description: str = option("A sentence or two under the title: what the model does.")
    fn: Callable = option("`fn(params, *inputs)`: the JAX function to run. One argument per input "
                          "component, each with the batch axis first; or one argument for several "
                          "scalar inputs, stacked into a `(batch, n)` float32 array. Returns one "
                          "array per output (a tuple for several), batch axis first.")
    params: Any = option("The parameters passed to `fn`, stored in the model as constants.",
                         kind="a pytree of arrays", repr=False)
    inputs: Any = option(f"One input component or a list of them ({INPUT_NAMES}).",
                         kind="an input or a list of inputs")
    outputs: Any = option(f"One output component or a list of them ({OUTPUT_NAMES}).",
                          kind="an output or a list of outputs")
    examples: list = option("Example inputs shown as a clickable gallery: each a list with one value "
                            "per input (a bare value when there is one input). Each is run in TF.js "
                            "and JAX at build time.", default_factory=list)
    live: bool = option("Run the model whenever an input changes; False: on a Run button.", default=True)
    batch_polymorphic: bool = option("Convert with a batch axis of any size (`b`); False: batch 1.",
                                     default=True)
    article: str = option("Markdown shown under the demo, in its \"About this model\" section: how it was "
                          "trained, what it was measured at, what it gets wrong.", default="")
    quantization: Literal["float16", "uint8", None] = option(
        'Store the weights as "float16" (half the bytes) or "uint8" (a quarter; dequantised in the '
        "browser); TF.js is then checked against JAX to the looser tolerance this allows. None: float32.",
        default=None)

    @property
    def input_list(self) -> list:
        return list(self.inputs) if isinstance(self.inputs, (list, tuple)) else [self.inputs]

    @property
    def output_list(self) -> list:
        return list(self.outputs) if isinstance(self.outputs, (list, tuple)) else [self.outputs]

    @property
    def stacked(self) -> bool:
        """Whether `fn` takes the (several, scalar) inputs stacked into one `(batch, n)` vector."""
        arity = _positional(self.fn)
        n = len(self.input_list)
        if arity is None or n < 2:
            return False
        required, total, var = arity
        takes_each = required - 1 <= n and (var or n <= total - 1)
        return not takes_each and total >= 2 and required <= 2

    def _problem(self, subject: str, message: str, where: Where | None = None) -> Problem:
        return Problem(where or self.where, subject, message)

    def problems(self) -> list[Problem]:
        """Every mistake that can be seen without running `fn`."""
        found = []
        for name, hint in (("title", str), ("description", str), ("live", bool), ("batch_polymorphic", bool),
                           ("article", str), ("quantization", Literal["float16", "uint8", None])):
            if not type_ok(getattr(self, name), hint):
                found.append(self._problem("Demo", f"{name} must be {type_name(hint)}, got {getattr(self, name)!r}"))
        if not callable(self.fn):
            return found + [self._problem("Demo", f"fn must be a function fn(params, *inputs), got {self.fn!r}")]
        found += self._component_problems("inputs", self.input_list, Input, INPUT_NAMES)
        found += self._component_problems("outputs", self.output_list, Output, OUTPUT_NAMES)
        if not self.input_list or not all(isinstance(c, Input) for c in self.input_list):
            return found
        for output in self.output_list:  # outputs that show an input (Highlight) name one that exists
            if isinstance(output, Output) and hasattr(output, "input_problems") and not output.problems():
                found += [self._problem(output.subject, m, output.where)
                          for m in output.input_problems(self.input_list)]
        found += self._arity_problems()
        found += self._example_problems()
        return found

    def _component_problems(self, name: str, items: list, base: type, names: str) -> list[Problem]:
        if not items:
            return [self._problem("Demo", f"{name} is empty; declare at least one of {names}")]
        found = []
        for i, item in enumerate(items):
            if not isinstance(item, base):
                found.append(self._problem("Demo", f"{name}[{i}] is {item!r}, not one of {names}"))
            else:
                found += item.problems()
        return found

    def _arity_problems(self) -> list[Problem]:
        arity = _positional(self.fn)
        inputs = self.input_list
        n = len(inputs)
        if arity is None:
            return []
        required, total, var = arity
        if required - 1 <= n and (var or n <= total - 1):
            return []  # one argument per input
        name = getattr(self.fn, "__name__", "fn")
        takes = f"{name}() takes {_plural(max(total - 1, 0), 'input')} after params"
        if self.stacked:
            scalars = all(isinstance(c, SCALAR_INPUTS) for c in inputs)
            if scalars:
                return []
            others = ", ".join(c.subject for c in inputs if not isinstance(c, SCALAR_INPUTS))
            return [self._problem("fn", f"{takes}, but {n} input components are declared and only scalar "
                                  f"inputs can be stacked into one vector ({others} cannot); give {name}() one "
                                  "argument per input", fn_where(self.fn))]
        return [self._problem("fn", f"{takes}, but {_plural(n, 'input component')} "
                              f"{'are' if n != 1 else 'is'} declared; give it one argument per input, or one "
                              f"argument for {n} scalar inputs stacked into a (batch, {n}) array",
                              fn_where(self.fn))]

    def example_rows(self) -> list[list[Any]]:
        """Each example as a list with one value per input (a bare value wrapped when there is one input)."""
        rows = []
        for example in self.examples:
            if len(self.input_list) == 1 and not (isinstance(example, (list, tuple)) and len(example) == 1):
                example = [example]
            elif isinstance(example, np.ndarray) and example.ndim == 1:
                example = list(example)  # a row of a NumPy array of examples
            rows.append(example)
        return rows

    def _example_problems(self) -> list[Problem]:
        if not isinstance(self.examples, (list, tuple, np.ndarray)):
            return [self._problem("Demo", f"examples must be a list of examples, got {self.examples!r}")]
        found = []
        inputs = self.input_list
        for i, row in enumerate(self.example_rows()):
            if not isinstance(row, (list, tuple)) or len(row) != len(inputs):
                got = f"{len(row)} values" if isinstance(row, (list, tuple)) else repr(row)
                found.append(self._problem("Demo", f"examples[{i}] has {got}; expected {len(inputs)}, "
                                           "one per input"))
                continue
            for item, value in zip(inputs, row):
                if item.problems():
                    continue  # its options are wrong already: its examples cannot be judged
                try:
                    item.preprocess(value)
                except ValueError as exc:
                    found.append(self._problem(item.subject, f"examples[{i}]: {exc}"))
        return found

    def batch(self, rows: list[list[Any]]) -> list[np.ndarray]:
        """The arrays `fn` gets (after `params`) for these rows of input values (already checked)."""
        columns = [np.stack([c.preprocess(row[j]) for row in rows]) for j, c in enumerate(self.input_list)]
        if self.stacked:
            return [np.stack([col.astype(np.float32) for col in columns], axis=1)]
        return columns

    def default_batch(self, size: int) -> list[np.ndarray]:
        """A batch of `size` copies of the inputs' starting values."""
        columns = [np.stack([c.default()] * size) for c in self.input_list]
        if self.stacked:
            return [np.stack([col.astype(np.float32) for col in columns], axis=1)]
        return columns

    def output_problems(self, folder: Path) -> list[Problem]:
        """Run `fn` abstractly (`jax.eval_shape`) on a batch of starting values and check what it returns
        against the outputs. `folder` is the user's project: a failure names their line in it."""
        import jax

        size = 2 if self.batch_polymorphic else 1
        batch = self.default_batch(size)
        shown = ", ".join(f"{a.dtype.name}{list(a.shape)}" for a in batch)
        if not self.stacked:  # name each input, so a size that does not fit fn points at its component
            shown = ", ".join(f"{c.subject}{f' at {c.where.show(folder)}' if c.where else ''}: "
                              f"{a.dtype.name}{list(a.shape)}" for c, a in zip(self.input_list, batch))
        try:
            result = jax.eval_shape(lambda *xs: self.fn(self.params, *xs), *batch)
        except Exception as exc:  # the user's code: report it as their mistake, at their line
            where = user_frame(exc, folder) or fn_where(self.fn)
            return [self._problem("fn", f"fails on a batch of {size} starting values ({shown}): "
                                  f"{describe_exception(exc)}", where)]
        arrays = list(result) if isinstance(result, (tuple, list)) else [result]
        outputs = self.output_list
        if len(arrays) != len(outputs) or not all(hasattr(a, "shape") for a in arrays):
            kinds = ", ".join(type(a).__name__ for a in arrays)
            return [self._problem("fn", f"returns {_plural(len(arrays), 'value')} ({kinds}) but "
                                  f"{_plural(len(outputs), 'output component')} {'are' if len(outputs) != 1 else 'is'}"
                                  " declared; return one array per output (a tuple for several)",
                                  fn_where(self.fn))]
        found = []
        for array, output in zip(arrays, outputs):
            if hasattr(output, "bind"):
                output.bind(self.input_list)  # its expected shape depends on an input's (Highlight)
            shape = tuple(array.shape)
            if not shape or shape[0] != size:
                found.append(self._problem(output.subject, f"fn returns shape {shape} for a batch of {size}; "
                                           f"expected the batch axis first: ({size}, ...)", output.where))
                continue
            problem = output.shape_problem(shape[1:])
            if problem:
                found.append(self._problem(output.subject, problem, output.where))
        return found

    def browser_values(self, row: list[Any], files: list[dict[str, bytes]] | None = None) -> list[Any]:
        """An example row as the page's components take it (numbers, indices, flat images, texts, names of
        image files); the files they need are added to `files` (one dict per input)."""
        files = files if files is not None else [{} for _ in self.input_list]
        return [item.browser_value(value, into) for item, value, into in zip(self.input_list, row, files)]
