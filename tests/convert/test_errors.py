"""Errors users can act on: unsupported primitives name the primitive, shapes and source line;
malformed signatures name the input and dimension."""

from __future__ import annotations

import inspect

import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from builders.convert import (
    ConversionError,
    SignatureError,
    UnsupportedPrimitiveError,
    convert_jax,
    supported_primitives,
)


def _line_of(marker: str) -> int:
    """Line number in this file of the source line containing `marker`."""
    lines = inspect.getsource(inspect.getmodule(_line_of)).splitlines()
    return next(i + 1 for i, line in enumerate(lines) if marker in line and "_line_of" not in line)


def unsupported_model(params, x):
    return lax.bessel_i1e(x) + params["b"]  # UNSUPPORTED-HERE


def test_unsupported_primitive_names_primitive_shapes_and_line(tmp_path):
    with pytest.raises(UnsupportedPrimitiveError) as info:
        convert_jax(unsupported_model, {"b": np.zeros(3, np.float32)}, input_signatures=[((2, 3), np.float32)],
                    model_dir=tmp_path / "m")
    err = info.value
    assert err.primitive == "bessel_i1e"
    assert err.input_shapes == ["float32[2,3]"]
    assert f"test_errors.py:{_line_of('UNSUPPORTED-HERE')}" in err.source_line
    message = str(err)
    assert "'bessel_i1e'" in message and "float32[2,3]" in message and "test_errors.py" in message
    assert "register('bessel_i1e')" in message  # says what to do
    assert not (tmp_path / "m" / "model.json").exists()


def test_unsupported_form_of_a_supported_primitive_explains_the_form(tmp_path):
    x = ((1, 1, 3, 3), np.int32)
    with pytest.raises(UnsupportedPrimitiveError) as info:
        convert_jax(lambda p, x: lax.conv(x, x, (1, 1), "SAME"), {}, input_signatures=[x], model_dir=tmp_path / "m")
    assert info.value.primitive == "conv_general_dilated"
    assert "This form is not supported: convolution of int32 values" in str(info.value)


def test_symbolic_shapes_in_error_message(tmp_path):
    with pytest.raises(UnsupportedPrimitiveError) as info:
        convert_jax(unsupported_model, {"b": np.zeros(3, np.float32)}, input_signatures=[((None, 3), np.float32)],
                    polymorphic_shapes=["(batch, 3)"], model_dir=tmp_path / "m")
    assert "float32[batch,3]" in str(info.value)


def test_supported_primitives_lists_the_new_lowerings():
    prims = set(supported_primitives())
    for name in ("conv_general_dilated", "reduce_window_sum", "reduce_window_max", "gather", "dynamic_slice",
                 "dynamic_update_slice", "pad", "rev", "cumsum", "cummax", "sort", "top_k", "split", "erf_inv",
                 "cbrt", "dot_general", "argmax", "select_n", "clamp", "iota", "scan", "cond",
                 "scatter", "scatter-add"):
        assert name in prims, name


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(input_signatures=[((None, 3), np.float32)]), "polymorphic_shapes=['(b, 3)']"),
    (dict(input_signatures=[((None, 3), np.float32)], polymorphic_shapes=["(b, 3, 4)"]),
     "has 3 dimensions but the input signature has 2"),
    (dict(input_signatures=[((None, 3), np.float32)], polymorphic_shapes=["(b, 3)", "(b,)"]),
     "polymorphic_shapes has 2 entries but input_signatures has 1"),
    (dict(input_signatures=[((2, 3), np.float32)], polymorphic_shapes=["(b, 3)"]),
     "dimension 0: the signature says 2 but polymorphic_shapes says 'b'"),
    (dict(input_signatures=[((None, 3), np.float32)], polymorphic_shapes=["(_, 3)"]),
     "dimension 0 is None in the signature and '_'"),
    (dict(input_signatures=[((2, -3), np.float32)]), "dimension -3 must be a non-negative integer or None"),
    (dict(input_signatures=[((2, 3), "float99")]), "float99 is not a dtype"),
    (dict(input_signatures=[(2, 3)]), "is not a sequence of sizes"),
    (dict(input_signatures="x"), "one entry per input"),
    (dict(input_signatures=[((2, 3), np.float32)], input_names=["bad name"]), "must match"),
    (dict(input_signatures=[((None, 3), np.float32)], polymorphic_shapes=["(b +, 3)"]), "could not be parsed"),
])
def test_bad_signatures_raise_signature_error(tmp_path, kwargs, fragment):
    with pytest.raises(SignatureError) as info:
        convert_jax(lambda p, x: x * 2, {}, model_dir=tmp_path / "m", **kwargs)
    assert fragment in str(info.value)


def test_unknown_option_is_named(tmp_path):
    with pytest.raises(ConversionError, match="unknown option.*quantisation"):
        convert_jax(lambda p, x: x, {}, input_signatures=[((2,), np.float32)], model_dir=tmp_path / "m",
                    quantisation="float16")


def test_tracing_failure_is_a_conversion_error(tmp_path):
    def shape_bug(params, x):
        return jnp.dot(x, jnp.ones((5, 2)))  # x has 3 columns

    with pytest.raises(ConversionError, match="tracing the function"):
        convert_jax(shape_bug, {}, input_signatures=[((2, 3), np.float32)], model_dir=tmp_path / "m")


def test_unsigned_leaves_in_int32_range_convert_and_others_are_named(tmp_path):
    import jax.numpy as jnp
    fn = lambda p, x: x + p["table"][0].astype(jnp.float32)
    ok = {"table": np.array([[0, 255, 7]], np.uint8)}
    result = convert_jax(fn, ok, input_signatures=[((3,), np.float32)], model_dir=tmp_path / "ok")
    assert any("table (uint8)" in w for w in result.warnings)
    big = {"table": np.array([[0, 2**31, 7]], np.uint32)}
    with pytest.raises(ConversionError, match=r"parameter table \(uint32\) holds values from 0 to "
                                              r"2147483648, outside int32's range"):
        convert_jax(fn, big, input_signatures=[((3,), np.float32)], model_dir=tmp_path / "big")


def test_complex_values_are_refused_with_the_input_or_line_named(tmp_path):
    """Complex numbers used to escape as a raw TypeError from inside the converter."""
    with pytest.raises(SignatureError, match=r"input_signatures\[0\]: dtype complex64 has no TF.js equivalent.*"
                                             r"two float32 inputs"):
        convert_jax(lambda p, x: jnp.abs(x), {}, input_signatures=[((3,), np.complex64)], model_dir=tmp_path / "a")
    with pytest.raises(UnsupportedPrimitiveError, match=r"test_errors.py:\d+.*dtype complex64 has no TF.js equivalent"):
        convert_jax(lambda p, x: jnp.real(jnp.fft.fft(x)), {}, input_signatures=[((4,), np.float32)],
                    model_dir=tmp_path / "b")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
