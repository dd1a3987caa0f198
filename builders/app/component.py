"""What every component shares: typed options, checked with messages that name the user's line.

A component is a dataclass made with `@component`: a wrong option (unknown, missing, given
twice) raises `DemoError` at the call, naming the file and line of the call; a wrong type or
value is found by `problems()`, which the build runs on every component of a demo so that all
mistakes are reported together.
"""

from __future__ import annotations

import difflib
import inspect
import math
import typing
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, Literal, get_args, get_origin

from .errors import DemoError, Problem, Where, caller


def _suggest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def option_problem(names: list[str], required: list[str], positional: int, args: tuple, kwargs: dict) -> str | None:
    """What is wrong with a call's options, in words, or None."""
    if len(args) > positional:
        return f"takes at most {positional} options ({', '.join(names[:positional])}), got {len(args)}"
    given = set(names[:len(args)])
    for key in kwargs:
        if key not in names:
            return f"unknown option '{key}'{_suggest(key, names)}; the options are: {', '.join(names)}"
        if key in given:
            return f"option '{key}' is given twice (by position and by name)"
    missing = [n for n in required if n not in given and n not in kwargs]
    if missing:
        return f"missing option{'s' * (len(missing) > 1)} " + ", ".join(f"'{n}'" for n in missing)
    return None


def component(cls: type) -> type:
    """Make `cls` a dataclass whose constructor reports wrong options as a `DemoError` naming the caller's line."""
    cls = dataclass(cls)
    init = cls.__init__
    signature = inspect.signature(init)
    params = list(signature.parameters.values())[1:]
    names = [p.name for p in params]
    required = [p.name for p in params if p.default is inspect.Parameter.empty]
    positional = sum(p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for p in params)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        where = caller()
        problem = option_problem(names, required, positional, args, kwargs)
        if problem:
            raise DemoError([Problem(where, f"{cls.__name__}()", problem)])
        init(self, *args, **kwargs)
        self.where = where

    __init__.__signature__ = signature  # help() and editors show the real options
    __init__.__doc__ = init.__doc__
    cls.__init__ = __init__
    return cls


def option(doc: str, kind: str = "", **kwargs: Any) -> Any:
    """A dataclass field with its documentation (shown in the generated component reference); `kind`
    names its type there when the annotation says too little (`Any`)."""
    return field(metadata={"doc": doc, "kind": kind}, **kwargs)


def is_number(value: Any) -> bool:
    """A finite int or float (bool is not a number here)."""
    import numpy as np

    if isinstance(value, np.generic) and value.shape == ():
        value = value.item()
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def type_ok(value: Any, hint: Any) -> bool:
    """Whether `value` fits the annotation `hint` (the simple types options use)."""
    origin = get_origin(hint)
    if hint is Any or hint is Callable or origin is Callable or str(origin) == "<class 'collections.abc.Callable'>":
        return hint is Any or callable(value)
    if origin is Literal:
        return value in get_args(hint)
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        return any(type_ok(value, a) for a in get_args(hint))
    if hint is type(None):
        return value is None
    if origin in (list, tuple):
        (inner, *_) = get_args(hint) or (Any,)
        return isinstance(value, (list, tuple)) and all(type_ok(v, inner) for v in value)
    if hint is float:
        return is_number(value)
    if hint is int:
        return is_number(value) and float(value).is_integer()
    if hint is bool:
        return isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    return True  # components and arrays are checked by their owner


def type_name(hint: Any) -> str:
    """`a number`, `a list of strings`, `one of "softmax", "sigmoid", None`."""
    origin = get_origin(hint)
    if origin is Literal:
        return "one of " + ", ".join(f'"{a}"' if isinstance(a, str) else str(a) for a in get_args(hint))
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        return " or ".join(type_name(a) for a in get_args(hint))
    if origin in (list, tuple):
        (inner, *_) = get_args(hint) or (Any,)
        return "a list of " + {str: "strings", float: "numbers", int: "integers"}.get(inner, "values")
    if hint in (list, tuple):
        return "a list"
    if hint is Callable or str(origin) == "<class 'collections.abc.Callable'>":
        return "a function"
    return {float: "a number", int: "an integer", bool: "True or False", str: "a string",
            type(None): "None"}.get(hint, str(hint))


class Component:
    """Base of inputs and outputs: the call site, the subject of messages and the option checks."""

    where: Where | None = None
    label: str = ""

    @property
    def subject(self) -> str:
        """How messages name this component: `Slider "sepal length (cm)"`."""
        return f'{type(self).__name__} "{self.label}"' if isinstance(self.label, str) else type(self).__name__

    def problems(self) -> list[Problem]:
        """Every wrong option: types first, then (when the types are right) the values."""
        hints = typing.get_type_hints(type(self))
        found = []
        for f in fields(self):
            value = getattr(self, f.name)
            if not type_ok(value, hints[f.name]):
                found.append(f"{f.name} must be {type_name(hints[f.name])}, got {value!r}")
        if not found:
            found = self.check()
        return [Problem(self.where, self.subject, m) for m in found]

    def check(self) -> list[str]:
        """Problems with the option values (the types are right); subclasses add theirs."""
        return []

    def spec(self) -> dict[str, Any]:
        """The component as the browser needs it (JSON)."""
        raise NotImplementedError


def component_rows(cls: type) -> list[tuple[str, str, str, str]]:
    """(option, type, default, doc) of a component class, for the generated reference."""
    hints = typing.get_type_hints(cls)
    rows = []
    for f in fields(cls):
        default = "required" if f.default is MISSING and f.default_factory is MISSING else repr(
            f.default if f.default is not MISSING else f.default_factory())
        rows.append((f.name, f.metadata.get("kind") or type_name(hints[f.name]), default, f.metadata.get("doc", "")))
    return rows
