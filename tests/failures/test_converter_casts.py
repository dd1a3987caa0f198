"""64-bit parameters and inputs are cast to 32 bits for TF.js, and each cast is reported (docs/converter.md).

`dtypes.is_lossy_cast` said which casts may change values but nothing called it, and float64/int64
inputs were narrowed without a word.
"""

from __future__ import annotations

import warnings

import numpy as np

from builders.convert import convert_jax
from builders.convert.dtypes import is_lossy_cast


def test_is_lossy_cast_is_true_for_64_bit_numbers_only():
    assert [is_lossy_cast(t) for t in (np.float64, np.int64, np.uint64)] == [True, True, True]
    assert [is_lossy_cast(t) for t in (np.float32, np.int32, np.float16, np.uint8, np.bool_, None)] == [False] * 6


def test_64_bit_parameters_and_inputs_are_reported_in_one_warning(tmp_path):
    params = {"w": np.linspace(0, 1, 3, dtype=np.float64)}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = convert_jax(lambda p, x, n, k: x * p["w"] + n + k, params,
                             input_signatures=[((3,), np.float64), ((3,), np.int64), ((3,), np.int32)],
                             model_dir=tmp_path / "m")
    note = ("3 value(s) cast to 32-bit for TF.js: w (float64), input input_0 (float64), input input_1 (int64)")
    assert result.warnings == [note]
    assert [str(w.message) for w in caught if "32-bit" in str(w.message)] == [note]
    assert [s.dtype.name for s in result.inputs] == ["float32", "int32", "int32"]


def test_32_bit_inputs_are_not_reported(tmp_path):
    result = convert_jax(lambda p, x: x + 1, {}, input_signatures=[((2,), np.float32)], model_dir=tmp_path / "m")
    assert result.warnings == []
