"""A checked `Demo` -> a TF.js model verified against JAX on every example, and the page's spec."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import jax
import numpy as np

from .. import convert as converter
from ..cache import Cache, hash_code
from ..convert import VerifyCase, convert_jax, verify_many
from ..errors import BuildError
from .context import code_fingerprint
from .demo import Demo

SPEC_FILE = "app.json"
MODEL_DIR = "model"
FILES_DIR = "files"  # the inputs' files (a vocabulary, the examples' images), beside model.json in the site
# How far TF.js may be from JAX, relative to the largest output (at least 1): float32 weights agree
# to rounding; quantised weights are checked only for gross mistakes (their error is the price).
TOLERANCE = {None: 1e-4, "float16": 1e-2, "uint8": 1e-1}


def params_digest(params: Any) -> str:
    """SHA-256 of the params' tree structure, dtypes, shapes and bytes (part of the cache key)."""
    digest = hashlib.sha256()
    leaves, treedef = jax.tree_util.tree_flatten(params)
    digest.update(str(treedef).encode())
    for leaf in leaves:
        array = np.asarray(leaf)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def input_signatures(demo: Demo) -> tuple[list[tuple], list[str] | None]:
    """`convert_jax`'s input signatures and polymorphic shapes: `(b, ...)` unless batch 1 is asked for."""
    signatures, polymorphic = [], []
    for array in demo.default_batch(1):
        shape = tuple(array.shape[1:])
        batch = None if demo.batch_polymorphic else 1
        signatures.append(((batch, *shape), array.dtype.name))
        polymorphic.append("(b" + "".join(f", {d}" for d in shape) + ")")
    return signatures, polymorphic if demo.batch_polymorphic else None


def input_files(demo: Demo) -> tuple[list[list[Any]], list[dict[str, bytes]]]:
    """The examples as the page takes them, and the files each input needs (its own and its examples')."""
    files = [dict(c.files()) for c in demo.input_list]
    examples = [demo.browser_values(row, files) for row in demo.example_rows()]
    return examples, files


def file_name(index: int, name: str, data: bytes) -> str:
    """An input's file in the site: `files/<input>-<sha256 prefix>-<name>`, new whenever its bytes change."""
    return f"{index}-{hashlib.sha256(data).hexdigest()[:12]}-{name}"


def base_spec(demo: Demo) -> dict[str, Any]:
    """What the page needs besides the model's numbers: the components and the example values. An input
    with files gets `files`: name -> path relative to model.json."""
    examples, files = input_files(demo)
    inputs = []
    for i, (c, own) in enumerate(zip(demo.input_list, files)):
        spec = c.spec()
        if own:
            spec["files"] = {name: f"{FILES_DIR}/{file_name(i, name, data)}" for name, data in sorted(own.items())}
        inputs.append(spec)
    return {
        "title": demo.title, "description": demo.description, "live": demo.live, "stacked": demo.stacked,
        "polymorphic": demo.batch_polymorphic, "quantization": demo.quantization,
        "inputs": inputs, "outputs": [c.spec() for c in demo.output_list], "examples": examples,
    }


def write_input_files(demo: Demo, out: Path) -> None:
    """The inputs' files into `out/files/`, named as `base_spec` refers to them."""
    folder = out / FILES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for i, own in enumerate(input_files(demo)[1]):
        for name, data in own.items():
            (folder / file_name(i, name, data)).write_bytes(data)


def _outputs(demo: Demo, batch: list[np.ndarray]) -> list[np.ndarray]:
    result = demo.fn(demo.params, *batch)
    return [np.asarray(a) for a in (result if isinstance(result, (tuple, list)) else [result])]


def browser_numbers(values: list[Any]) -> list[Any]:
    """Example values as the page spec holds them: float32 numbers written with the fewest digits that
    read back as the same float32 (an image's pixels take half the bytes of float64 reprs)."""
    def short(value: Any) -> Any:
        if isinstance(value, list):
            return [float(str(np.float32(v))) for v in value]
        return value
    return [short(v) for v in values]


def _verify_batches(demo: Demo) -> list[list[np.ndarray]]:
    """The batches fed to TF.js and JAX: all examples at once and the first alone (polymorphic batch),
    or each example alone (batch 1); and the starting values."""
    rows = demo.example_rows()
    if demo.batch_polymorphic:
        batches = [demo.batch(rows), demo.batch(rows[:1])] if rows else []
    else:
        batches = [demo.batch([row]) for row in rows]
    return batches + [demo.default_batch(1)]


def _verify_case(demo: Demo, model_dir: Path, batch: list[np.ndarray]) -> VerifyCase:
    if demo.quantization is None:
        return VerifyCase(model_dir, demo.fn, demo.params, batch)
    scale = max([1.0] + [float(np.max(np.abs(a))) for a in _outputs(demo, batch) if a.size])
    return VerifyCase(model_dir, demo.fn, demo.params, batch, atol=TOLERANCE[demo.quantization] * scale, rtol=0.0)


def convert_and_verify(demo: Demo, name: str, out: Path) -> dict[str, Any]:
    """Convert `demo.fn`, check it in TF.js against JAX, write `app.json`; returns the spec."""
    model_dir = out / MODEL_DIR
    signatures, polymorphic = input_signatures(demo)
    result = convert_jax(demo.fn, demo.params, input_signatures=signatures, polymorphic_shapes=polymorphic,
                         model_dir=model_dir, quantization=demo.quantization, metadata={"demo": name})
    cases = [_verify_case(demo, model_dir, batch) for batch in _verify_batches(demo)]
    reports = verify_many(cases)
    failed = [r.summary() for r in reports if not r.ok]
    if failed:
        raise BuildError("TF.js disagrees with JAX on the demo's inputs:\n" + "\n".join(failed))
    spec = base_spec(demo)
    write_input_files(demo, out)
    rows = demo.example_rows()
    expected = _outputs(demo, demo.batch(rows)) if rows else []
    spec["examples"] = [{"values": browser_numbers(values), "outputs": [a[i].reshape(-1).tolist() for a in expected]}
                        for i, values in enumerate(spec["examples"])]
    spec["tolerance"] = TOLERANCE[demo.quantization]
    spec["modelInputs"] = [{"name": s.name, "shape": [-1 if d is None else d for d in shape], "dtype": dtype}
                           for s, (shape, dtype) in zip(result.inputs, signatures)]
    spec["modelOutputs"] = result.output_names
    if result.backends:
        spec["backends"] = result.backends  # the page starts only these (exact integer arithmetic)
    spec["verified"] = {"runs": len(reports), "maxAbsError": max(r.max_abs_error for r in reports),
                        "nodes": result.node_count,
                        "bytes": sum(f.stat().st_size for f in model_dir.iterdir())}
    (out / SPEC_FILE).write_text(json.dumps(spec, indent=1, sort_keys=True), encoding="utf-8")
    return spec


def publish(demo: Demo, name: str, cache: Cache) -> tuple[dict[str, Any], dict[str, Path]]:
    """Convert and verify (cached by the spec, the params, `fn`'s code and the converter's); returns the
    spec and the model's files as site path -> file."""
    key = {"spec": base_spec(demo), "signatures": [list(map(str, s)) for s in input_signatures(demo)[0]],
           "params": params_digest(demo.params), "fn": code_fingerprint(demo.fn),
           "code": hash_code(converter, sys.modules[__package__])}  # the converter's and this package's code
    result = cache.run(f"app-{name}", key, lambda out: convert_and_verify(demo, name, out))
    files = {f"data/models/{name}/{f.name}": f for f in sorted((result.path / MODEL_DIR).iterdir())}
    extra = result.path / FILES_DIR
    if extra.is_dir():  # entries cached before inputs had files have none
        files.update({f"data/models/{name}/{FILES_DIR}/{f.name}": f for f in sorted(extra.iterdir())})
    return result.value, files
