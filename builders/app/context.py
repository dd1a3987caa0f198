"""What a user's `demo(ctx)` gets: a cache for training (keyed by the inputs and the code) and the profile."""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import sys
import types
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..cache import Cache
from .errors import DemoError, Problem, Where, caller

VALUE_FILE = "value.npz"


def _innermost(fn: Any) -> Any:
    """The plain function behind a partial, a bound method or a wrapper (jax.jit)."""
    while True:
        if isinstance(fn, functools.partial):
            fn = fn.func
        elif inspect.ismethod(fn):
            fn = fn.__func__
        elif callable(fn) and hasattr(fn, "__wrapped__"):
            fn = fn.__wrapped__
        else:
            return fn


def _folder(obj: Any) -> Path | None:
    """The folder of the file `obj` is defined in."""
    try:
        file = inspect.getsourcefile(obj)
    except TypeError:  # built in
        return None
    return Path(file).resolve().parent if file else None


def _globals(obj: Any) -> dict[str, Any]:
    """The global names `obj`'s code sees (its module's)."""
    if inspect.isfunction(obj):
        return obj.__globals__
    module = sys.modules.get(getattr(obj, "__module__", ""))
    return vars(module) if module else {}


def code_fingerprint(fn: Callable) -> str:
    """SHA-256 of `fn`'s source and of the functions, classes and simple constants it uses (by global
    name, recursively) from its module and the modules beside it in the same folder (your `model.py`
    next to `demo.py`), so editing the model or the training retrains, while editing the rest of the
    file (a slider's label) does not."""
    folder = _folder(_innermost(fn))
    seen: set[str] = set()
    parts: list[str] = []

    def names_of(code: types.CodeType) -> set[str]:
        names = set(code.co_names)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                names |= names_of(const)
        return names

    def visit(obj: Any, name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        if isinstance(obj, functools.partial):
            return visit(obj.func, f"{name}.func")
        if inspect.ismethod(obj):  # e.g. a Flax module's `apply`: the module's class is the model
            visit(type(obj.__self__), f"{name}.__self__")
            return visit(obj.__func__, f"{name}.__func__")
        if callable(obj) and hasattr(obj, "__wrapped__"):  # jax.jit, functools.wraps
            obj = inspect.unwrap(obj)
        if isinstance(obj, (int, float, str, bool, bytes, tuple, type(None))):
            parts.append(f"{name}={obj!r}")
            return
        if not (inspect.isfunction(obj) or inspect.isclass(obj)) or folder is None or _folder(obj) != folder:
            return  # code from elsewhere (jax, numpy, installed packages) is not tracked
        try:
            parts.append(inspect.getsource(obj))
        except (OSError, TypeError):
            parts.append(name)
        codes = [obj.__code__] if inspect.isfunction(obj) else [
            v.__code__ for v in vars(obj).values() if inspect.isfunction(v)]
        names = _globals(obj)
        for code in codes:
            for global_name in sorted(names_of(code)):
                if global_name in names:
                    visit(names[global_name], f"{getattr(obj, '__module__', '')}.{global_name}")

    visit(fn, getattr(fn, "__qualname__", "fn"))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _encode(value: Any, arrays: dict[str, np.ndarray], path: str) -> Any:
    """A JSON description of a pytree, its arrays moved into `arrays`."""
    if isinstance(value, Mapping):
        if not all(isinstance(k, str) for k in value):
            raise TypeError(f"{path} has keys that are not strings")
        return {"dict": {k: _encode(v, arrays, f"{path}[{k!r}]") for k, v in value.items()}}
    if isinstance(value, (list, tuple)):
        kind = "list" if isinstance(value, list) else "tuple"
        return {kind: [_encode(v, arrays, f"{path}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, (bool, int, float, str)) or value is None:
        return {"value": value}
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        key = f"a{len(arrays)}"
        arrays[key] = np.asarray(value)
        return {"array": key}
    raise TypeError(f"{path} is of type {type(value).__name__}")


def _decode(tree: Any, arrays: Mapping[str, np.ndarray]) -> Any:
    (kind, body), = tree.items()
    if kind == "dict":
        return {k: _decode(v, arrays) for k, v in body.items()}
    if kind in ("list", "tuple"):
        items = [_decode(v, arrays) for v in body]
        return items if kind == "list" else tuple(items)
    return arrays[body] if kind == "array" else body


def _key_value(value: Any) -> Any:
    """`value` with each array replaced by its dtype, shape and SHA-256, so that it can be dumped as JSON."""
    if isinstance(value, Mapping):
        return {k: _key_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_key_value(v) for v in value]
    if isinstance(value, np.ndarray) or (hasattr(value, "shape") and hasattr(value, "dtype")):
        array = np.ascontiguousarray(value)
        return {"array": hashlib.sha256(array.tobytes()).hexdigest(), "dtype": array.dtype.str,
                "shape": list(array.shape)}
    return value


class UserCache:
    """`ctx.cache`: runs a step once per distinct inputs and code, and keeps its result in `.cache/`."""

    def __init__(self, cache: Cache, demo: str):
        self._cache = cache
        self._demo = demo

    def key(self, inputs: dict[str, Any], fn: Callable[..., Any], where: Where | None = None) -> dict[str, Any]:
        """What `run` keys a step on: the inputs (arrays by their content) and `fn`'s code."""
        try:
            key_inputs = json.loads(json.dumps(_key_value(inputs), sort_keys=True))
        except (TypeError, ValueError):
            raise DemoError([Problem(where or caller(), "ctx.cache.run()", "inputs must be JSON values (numbers, "
                                     "strings, lists, dicts) or NumPy arrays, as they form the cache key; "
                                     f"got {inputs!r}")]) from None
        return {"inputs": key_inputs, "code": code_fingerprint(fn)}

    def run(self, step: str, inputs: dict[str, Any], fn: Callable[..., Any]) -> Any:
        """`fn(**inputs)`, or its stored result when `step` ran before with the same `inputs` and code.

        `inputs` are both the arguments and the cache key, so everything the result depends on is
        in the key: JSON values, and NumPy arrays (keyed by their dtype, shape and bytes: pass the
        training data itself). The code part of the key is `fn`'s source and that of the functions,
        classes and constants it uses from its module and the modules beside it. The result may be
        arrays, numbers, strings, and dicts, lists and tuples of them (e.g. Flax params); arrays
        come back as NumPy arrays.
        """
        where = caller()
        if not isinstance(inputs, dict) or not all(isinstance(k, str) for k in inputs):
            raise DemoError([Problem(where, "ctx.cache.run()", f"inputs must be a dict of keyword arguments "
                                     f"for {getattr(fn, '__name__', 'fn')}(), got {inputs!r}")])
        key = self.key(inputs, fn, where)

        def compute(out: Path) -> Any:
            value = fn(**inputs)
            arrays: dict[str, np.ndarray] = {}
            try:
                tree = _encode(value, arrays, "the result")
            except TypeError as exc:
                raise DemoError([Problem(where, "ctx.cache.run()", f"cannot store the result of "
                                         f"{getattr(fn, '__name__', 'fn')}() in the cache: {exc}; return arrays, "
                                         "numbers, strings, and dicts, lists or tuples of them")]) from None
            np.savez(out / VALUE_FILE, **arrays)
            return tree

        result = self._cache.run(f"{self._demo}-{step}", key, compute)
        with np.load(result.path / VALUE_FILE) as arrays:
            return _decode(result.value, {k: arrays[k] for k in arrays.files})


class DemoContext:
    """The `ctx` of `demo(ctx)`: `ctx.cache.run(step, inputs, fn)`, `ctx.profile` ("default" or
    "smoke": train briefly when it is "smoke", the tests' profile), `ctx.name` (the demo's name in
    site.toml), `ctx.config` (its `[demos.<name>]` settings), `ctx.folder` (the project),
    `ctx.download_dir` (a folder kept between builds for files the demo fetches) and `ctx.log(message)`."""

    def __init__(self, cache: Cache, profile: str, name: str, folder: Path, config: Any = None):
        self.cache = UserCache(cache, name)
        self.profile = profile
        self.name = name
        self.folder = folder  # the folder of site.toml: the project
        self.config = config
        self.download_dir = cache.root / f"{name}-downloads"

    @property
    def smoke(self) -> bool:
        """True for `--profile smoke` (tests): train for a few steps only."""
        return self.profile == "smoke"

    def log(self, message: str) -> None:
        print(f"  {message}", flush=True)
