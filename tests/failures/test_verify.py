"""Parity checks that passed on wrong results: NaN on both sides ("max err 0"), a different dtype, NaN/Inf
in other places. `verify` now compares shape, dtype and NaN/Inf placement as part of the result."""

from __future__ import annotations

import numpy as np
import pytest

from builders.convert import VerifyCase, convert_jax, verify_many
from builders.convert.verify import _compare

F32 = np.float32
X = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]], F32)


def scale(params, x):
    return x * params["w"]


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """Every case verified in one Node run: {name: report}."""
    root = tmp_path_factory.mktemp("verify")
    nan_w = {"w": np.array([np.nan, 1.0, 2.0], F32)}
    convert_jax(scale, nan_w, input_signatures=[((2, 3), F32)], model_dir=root / "nan")
    convert_jax(lambda p, x: x > 0, {}, input_signatures=[((2, 3), F32)], model_dir=root / "bool")
    other_nan = {"w": np.array([1.0, np.nan, 2.0], F32)}
    cases = {
        # A model whose outputs are NaN where JAX's are: this "matched" with max |err| 0.
        "nan_both_sides": VerifyCase(root / "nan", scale, nan_w, [X]),
        "nan_allowed": VerifyCase(root / "nan", scale, nan_w, [X], allow_nonfinite=True),
        # The reference has its NaN elsewhere (as a wrong lowering would): the placements differ.
        "nan_elsewhere": VerifyCase(root / "nan", scale, other_nan, [X], allow_nonfinite=True, diagnose=False),
        # TF.js returns bool, JAX int32: the values agree, the result does not.
        "dtype": VerifyCase(root / "bool", lambda p, x: (x > 0).astype(np.int32), {}, [X]),
    }
    return dict(zip(cases, verify_many(list(cases.values()))))


def test_nan_on_both_sides_fails_unless_asked_for(reports):
    report = reports["nan_both_sides"]
    assert not report.ok
    (output,) = report.outputs
    assert output.message == ("NaN/Inf in the outputs (JAX 2, TF.js 2 of 6); "
                              "pass allow_nonfinite=True if they are expected")
    assert report.max_abs_error == float("inf")
    assert report.divergence is None  # no node search: the outputs already show the NaN


def test_nan_in_the_same_places_passes_when_allowed(reports):
    report = reports["nan_allowed"]
    assert report.ok, report.summary()
    assert report.max_abs_error == 0.0


def test_nan_in_other_places_fails_even_when_allowed(reports):
    (output,) = reports["nan_elsewhere"].outputs
    assert not output.ok
    assert output.message == ("NaN/Inf placement differs from JAX's at 4 of 6 values "
                              "(first at [0, 0]: JAX 1.0, TF.js nan)")


def test_dtype_is_part_of_the_result(reports):
    (output,) = reports["dtype"].outputs
    assert not output.ok
    assert output.message == "dtype bool differs from JAX's int32 (which TF.js holds as int32)"


@pytest.mark.parametrize(("expected", "actual", "allow", "message"), [
    (np.array([np.inf], F32), np.array([-np.inf], F32), True,
     "NaN/Inf placement differs from JAX's at 1 of 1 values (first at [0]: JAX inf, TF.js -inf)"),
    (np.array([1.0], F32), np.array([np.inf], F32), False,
     "NaN/Inf in the outputs (JAX 0, TF.js 1 of 1); pass allow_nonfinite=True if they are expected"),
    (np.zeros((2, 1), F32), np.zeros((2,), F32), False, "shape (2,) differs from JAX's (2, 1)"),
    (np.zeros(2, np.complex64), np.zeros(2, F32), False,
     "dtype complex64 has no TF.js equivalent (TF.js has float32, int32 and bool)"),
    (np.array([True]), np.array([1.0], F32), False,
     "dtype float32 differs from JAX's bool (which TF.js holds as bool)"),
])
def test_compare_rejects(expected, actual, allow, message):
    result = _compare("out", expected, actual, 1e-5, 1e-4, allow)
    assert (result.ok, result.message) == (False, message)


def test_compare_accepts_narrow_dtypes_and_matching_infinities():
    assert _compare("out", np.array([1, 2], np.uint8), np.array([1, 2], np.int32), 0, 0).ok
    inf = np.array([np.inf, -np.inf, 1.0], F32)
    result = _compare("out", inf, inf + np.array([0, 0, 1e-6], F32), 1e-5, 0, allow_nonfinite=True)
    assert result.ok and result.max_abs_error == 2.0 ** -20  # 1 + 1e-6 in float32
