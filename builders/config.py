"""`site.toml`: typed settings, validated with every problem reported at once.

Each problem names its key and what was expected, e.g.
`demos.mnist.epochs: expected an integer >= 1, got "ten"`; an unknown key gets the
closest known key as a suggestion. The schema is the dataclasses below plus each
demo's `Config`, so the docs' reference page is generated from the same source.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from .errors import ConfigError


@dataclass
class SiteSettings:
    """The `[site]` table: settings shared by every page."""

    title: str = field(default="JAX on the Web", metadata={"doc": "Site title shown on every page."})
    description: str = field(
        default="Machine-learning demos converted from JAX that run on your device with TensorFlow.js.",
        metadata={"doc": "One-line description for the index page."})
    site_url: str = field(default="", metadata={
        "doc": "Public URL of the deployed site (e.g. `https://user.github.io/repo/`), used for QR codes "
               "and canonical links. Empty: pages say that no public URL is configured.",
        "url": True})
    data_base_url: str = field(default="", metadata={
        "doc": "Where pages load model data from. Empty: the site itself (`data/`). Another origin "
               "(a bucket, another Pages site) must send `Access-Control-Allow-Origin`.",
        "url": True})
    service_worker: bool = field(default=True, metadata={
        "doc": "Register a service worker that caches each demo for offline use."})
    budget_bundle_kb: int = field(default=1280, metadata={
        "doc": "Page-weight budget: the build warns when a page's minified JavaScript bundle is larger "
               "(KB). 0: no budget.", "min": 0})
    budget_bundle_gzip_kb: int = field(default=320, metadata={
        "doc": "Budget for a page's bundle after gzip, what GitHub Pages sends (KB). 0: no budget.", "min": 0})
    budget_data_kb: int = field(default=0, metadata={
        "doc": "Budget for the data a page publishes: models, vocabularies (KB). 0: no budget.", "min": 0})


@dataclass
class SiteConfig:
    """The whole validated `site.toml`."""

    site: SiteSettings
    demos: dict[str, Any]  # demo name -> that demo's Config instance (enabled demos only)
    disabled: list[str]
    path: Path


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        shown = ", ".join(_describe(v) for v in value[:5])
        return f"[{shown}{', ...' if len(value) > 5 else ''}]"
    return str(value)


# How a list's items are named in messages ("a list of integers").
_PLURAL = {bool: "true or false values", int: "integers", float: "numbers", str: "strings"}


def _bounds(meta: dict) -> str:
    bounds = []
    if "min" in meta:
        bounds.append(f">= {meta['min']}")
    if "max" in meta:
        bounds.append(f"<= {meta['max']}")
    return " " + " and ".join(bounds) if bounds else ""


def _expected(tp: Any, meta: dict) -> str:
    origin = get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(_describe(a) for a in get_args(tp))
    if origin in (list, tuple):
        # On a list, `min`/`max` bound each item and `min_items` its length.
        (inner, *_) = get_args(tp) or (str,)
        size = meta.get("min_items", 0)
        kind = "a non-empty list of" if size == 1 else f"a list of at least {size}" if size else "a list of"
        return f"{kind} {_PLURAL.get(inner, str(inner))}{_bounds(meta)}"
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        return " or ".join(_expected(a, meta) for a in get_args(tp) if a is not type(None))
    name = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}.get(tp, str(tp))
    return name + _bounds(meta)


def _check_value(tp: Any, value: Any, meta: dict) -> tuple[bool, Any]:
    """(ok, converted value) for `value` against annotation `tp`."""
    origin = get_origin(tp)
    if origin is Literal:
        return value in get_args(tp), value
    if origin in (list, tuple):
        (inner, *_) = get_args(tp) or (str,)
        if not isinstance(value, list) or len(value) < meta.get("min_items", 0):
            return False, value
        item_meta = {k: v for k, v in meta.items() if k in ("min", "max")}
        converted = []
        for item in value:
            ok, item = _check_value(inner, item, item_meta)
            if not ok:
                return False, value
            converted.append(item)
        return True, converted if origin is list else tuple(converted)
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        if value is None and type(None) in get_args(tp):
            return True, None
        for arg in get_args(tp):
            if arg is type(None):
                continue
            ok, conv = _check_value(arg, value, meta)
            if ok:
                return True, conv
        return False, value
    if tp is bool:
        return isinstance(value, bool), value
    if tp is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif tp is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif tp is str:
        ok = isinstance(value, str)
    else:
        ok = isinstance(value, tp)
    if ok and "min" in meta and value < meta["min"]:
        ok = False
    if ok and "max" in meta and value > meta["max"]:
        ok = False
    return ok, value


def _nonfinite(value: Any) -> tuple[str, float] | None:
    """(`[index]` suffix, value) of the first NaN or infinity in `value` (a number or a list)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "", value
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _nonfinite(item)
            if found:
                return f"[{i}]{found[0]}", found[1]
    return None


def _suggest(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else f"; known keys: {', '.join(sorted(known))}"


def load_dataclass(cls: type, data: Any, prefix: str, base_dir: Path, problems: list[str]) -> Any:
    """Build `cls` from a TOML table, appending a message per problem to `problems`."""
    if not isinstance(data, dict):
        problems.append(f"{prefix}: expected a table, got {_describe(data)}")
        return cls()
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    values: dict[str, Any] = {}
    for key, value in data.items():
        where = f"{prefix}.{key}" if prefix else key
        if key not in fields:
            problems.append(f"{where}: unknown key{_suggest(key, list(fields))}")
            continue
        f = fields[key]
        tp = hints[f.name]
        meta = dict(f.metadata)
        if dataclasses.is_dataclass(tp):
            values[key] = load_dataclass(tp, value, where, base_dir, problems)
            continue
        # TOML allows nan and inf; no setting means them, and the page's JSON cannot hold them.
        bad = _nonfinite(value)
        if bad:
            problems.append(f"{where}{bad[0]}: expected a finite number, got {bad[1]}")
            continue
        ok, converted = _check_value(tp, value, meta)
        if not ok:
            problems.append(f"{where}: expected {_expected(tp, meta)}, got {_describe(value)}")
            continue
        if meta.get("path") and converted:
            path = (base_dir / converted).resolve()
            if not path.exists():
                problems.append(f"{where}: file or folder \"{converted}\" does not exist (looked at {path})")
                continue
            converted = str(path)
        if meta.get("url") and converted and not (converted.startswith("https://") or converted.startswith("http://")):
            problems.append(f"{where}: expected an http(s):// URL, got {_describe(converted)}")
            continue
        values[key] = converted
    return cls(**values)


def apply_overrides(config: Any, overrides: dict[str, Any]) -> Any:
    """A copy of `config` with `overrides` applied (used by `--profile smoke`)."""
    return dataclasses.replace(config, **overrides) if overrides else config


def _read_text(path: Path) -> str:
    """The file as text; a UTF-8 byte-order mark (Windows editors write one) is accepted and dropped."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError([f"cannot read the file ({exc.strerror}); check its permissions"], str(path)) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError([f"not UTF-8 text (byte 0x{data[exc.start]:02x} at line {line}, column {column}); "
                           "save the file with UTF-8 encoding"], str(path)) from None


def load_config(path: str | Path, demo_modules: dict[str, Any], profile: str = "default") -> SiteConfig:
    """Read and validate `site.toml`; raises `ConfigError` listing every problem."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError([f"file not found (looked at {path.resolve()}); create it or pass --config"], str(path))
    try:
        raw = tomllib.loads(_read_text(path))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"not valid TOML: {exc}"], str(path)) from None
    problems: list[str] = []
    for key in raw:
        if key not in ("site", "demos"):
            problems.append(f"{key}: unknown key{_suggest(key, ['site', 'demos'])}")
    site = load_dataclass(SiteSettings, raw.get("site", {}), "site", path.parent, problems)
    demos_raw = raw.get("demos", {})
    demos: dict[str, Any] = {}
    disabled: list[str] = []
    if not isinstance(demos_raw, dict):
        problems.append(f"demos: expected a table, got {_describe(demos_raw)}")
        demos_raw = {}
    for name in demos_raw:
        if name not in demo_modules:
            problems.append(f"demos.{name}: unknown demo{_suggest(name, list(demo_modules))}")
    for name, module in demo_modules.items():
        table = dict(demos_raw.get(name, {})) if isinstance(demos_raw.get(name, {}), dict) else demos_raw[name]
        enabled = True
        if isinstance(table, dict) and "enabled" in table:
            enabled = table.pop("enabled")
            if not isinstance(enabled, bool):
                problems.append(f"demos.{name}.enabled: expected true or false, got {_describe(enabled)}")
                enabled = True
        cfg = load_dataclass(module.Config, table, f"demos.{name}", path.parent, problems)
        if profile == "smoke":
            cfg = apply_overrides(cfg, getattr(module.Config, "SMOKE", {}))
        if enabled:
            demos[name] = cfg
        else:
            disabled.append(name)
    if problems:
        raise ConfigError(problems, str(path))
    return SiteConfig(site=site, demos=demos, disabled=disabled, path=path.resolve())


def schema_rows(cls: type) -> list[tuple[str, str, str, str]]:
    """(key, type, default, doc) for each field of a settings dataclass, for the docs."""
    hints = typing.get_type_hints(cls)
    rows = []
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        default = f.default if f.default is not dataclasses.MISSING else (
            f.default_factory() if f.default_factory is not dataclasses.MISSING else "")
        rows.append((f.name, _expected(hints[f.name], dict(f.metadata)), _describe(default),
                     f.metadata.get("doc", "")))
    return rows
