"""The components one by one: shapes, dtypes, specs for the browser, preprocessing of examples,
the scalar stacking rule, and ctx.cache's storage and keys."""

from __future__ import annotations

import functools

import jax
import numpy as np
import pytest

from builders import app
from builders.app.component import component_rows
from builders.app.context import UserCache, code_fingerprint
from builders.cache import Cache


def test_scalar_inputs_are_float32_scalars_and_dropdown_an_int32_index():
    slider = app.Slider("a", 0, 10, value=2.5, step=0.5)
    assert slider.shape == () and slider.default().dtype == np.float32 and slider.default() == 2.5
    assert slider.spec() == {"type": "slider", "label": "a", "min": 0.0, "max": 10.0, "value": 2.5, "step": 0.5}
    assert app.Slider("a", 1, 2).default() == 1  # no value: the minimum
    dropdown = app.Dropdown("colour", ["red", "green"], value="green")
    assert dropdown.default().dtype == np.int32 and dropdown.default() == 1
    assert dropdown.preprocess("red") == 0 and dropdown.preprocess(1) == 1
    with pytest.raises(ValueError, match="expected one of the choices \\('red', 'green'\\) or its index, got 'blue'"):
        dropdown.preprocess("blue")
    checkbox = app.Checkbox("on", value=True)
    assert checkbox.default().dtype == np.float32 and checkbox.default() == 1.0 and checkbox.preprocess(False) == 0
    assert app.Number("n", value=3).spec() == {"type": "number", "label": "n", "value": 3.0}


def test_sketchpad_is_a_square_float32_image():
    pad = app.Sketchpad("digit", size=14, invert=True)
    assert pad.shape == (14, 14) and pad.default().dtype == np.float32 and pad.default().min() == 1.0
    assert pad.spec() == {"type": "sketchpad", "label": "digit", "size": 14, "stroke": 9.0, "invert": True,
                          "centerOfMass": True}
    with pytest.raises(ValueError, match=r"expected a 14x14 array, got shape \(28, 28\)"):
        pad.preprocess(np.zeros((28, 28)))
    assert app.Sketchpad("d", size=2).problems()[0].message == "size must be between 4 and 280 pixels, got 2"


def test_label_and_json_specs():
    assert app.Label(["a", "b"], top=5).spec() == {"type": "label", "label": "Prediction", "names": ["a", "b"],
                                                    "top": 2, "activation": "softmax"}
    assert app.Label(["a"], activation="relu").problems()[0].message == (
        "activation must be one of \"softmax\", \"sigmoid\", None, got 'relu'")
    assert app.JSON("raw").spec() == {"type": "json", "label": "raw"}


def predict(params, x):
    return x


def test_several_scalars_are_stacked_when_fn_takes_one_input():
    inputs = [app.Slider("a", 0, 10), app.Dropdown("b", ["p", "q"]), app.Checkbox("c")]
    demo = app.Demo("t", "d", predict, {}, inputs, app.JSON(), examples=[[1.5, "q", True]])
    assert demo.stacked
    (batch,) = demo.batch(demo.example_rows())
    assert batch.dtype == np.float32 and batch.tolist() == [[1.5, 1.0, 1.0]]
    assert demo.browser_values(demo.example_rows()[0]) == [1.5, 1, 1.0]


def test_examples_may_be_a_numpy_array():
    inputs = [app.Slider("a", 0, 10), app.Slider("b", 0, 10)]
    demo = app.Demo("t", "d", predict, {}, inputs, app.JSON(), examples=np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert demo.problems() == []
    assert demo.batch(demo.example_rows())[0].tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_one_argument_per_input_otherwise():
    def two(params, image, scale):
        return image * scale[:, None, None]

    demo = app.Demo("t", "d", two, {}, [app.Sketchpad("s", size=4), app.Number("k")], app.JSON(),
                    examples=[[np.ones((4, 4)), 2.0]])
    assert not demo.stacked
    image, scale = demo.batch(demo.example_rows())
    assert image.shape == (1, 4, 4) and scale.shape == (1,)
    single = app.Demo("t", "d", predict, {}, app.Number("k"), app.JSON(), examples=[3.0, [4.0]])
    assert [b.tolist() for b in single.batch(single.example_rows())] == [[3.0, 4.0]]


def test_options_are_documented():
    for cls in (app.Slider, app.Number, app.Dropdown, app.Checkbox, app.Sketchpad, app.Image, app.Text, app.Label,
                app.JSON, app.Demo):
        for name, _kind, _default, doc in component_rows(cls):
            assert doc, f"{cls.__name__}.{name} has no doc"
    assert ("value", "a number or None", "None", "Starting value; `None`: the minimum.") in component_rows(app.Slider)


def train(steps):
    return {"w": np.full((2,), steps, np.float32), "layers": [np.ones(1), (1, "relu")], "scale": 0.5}


def unrelated():
    return 1


def test_cache_stores_pytrees_and_keys_on_inputs(tmp_path):
    cache = UserCache(Cache(tmp_path), "iris")
    first = cache.run("train", {"steps": 3}, train)
    assert first["w"].tolist() == [3.0, 3.0] and first["layers"][1] == (1, "relu") and first["scale"] == 0.5
    calls = []
    again = cache.run("train", {"steps": 3}, lambda steps: calls.append(steps))
    assert calls == [3]  # another function is other code: another key
    assert cache.run("train", {"steps": 3}, train)["w"].tolist() == [3.0, 3.0]
    assert again is None
    assert len([p for p in (tmp_path / "iris-train").iterdir() if not p.name.startswith(".")]) == 2


def test_code_fingerprint_follows_the_functions_used():
    def uses_train():
        return train(1)

    def other():
        return unrelated()

    assert code_fingerprint(uses_train) != code_fingerprint(other)
    assert code_fingerprint(uses_train) == code_fingerprint(uses_train)
    # a jitted function or a partial is fingerprinted by the code it wraps
    assert code_fingerprint(jax.jit(uses_train)) == code_fingerprint(uses_train)
    assert code_fingerprint(functools.partial(uses_train)) == code_fingerprint(uses_train)


class Model:
    def apply(self, params, x):
        return x * params


def test_code_fingerprint_of_a_bound_method_covers_its_class():
    class Other(Model):
        def apply(self, params, x):
            return x + params

    assert code_fingerprint(Model().apply) != code_fingerprint(Other().apply)


def test_unstorable_result_is_a_clear_error(tmp_path):
    cache = UserCache(Cache(tmp_path), "iris")
    with pytest.raises(app.DemoError) as info:
        cache.run("train", {}, lambda: {"model": object()})
    assert str(info.value).endswith(
        "ctx.cache.run(): cannot store the result of <lambda>() in the cache: the result['model'] is of type object; "
        "return arrays, numbers, strings, and dicts, lists or tuples of them")


def test_a_bitwise_model_runs_only_on_backends_with_exact_int32(tmp_path):
    """The page spec lists the backends the converter recorded (WebGL holds int32 in float32)."""
    from builders.app.publish import publish
    from builders.cache import Cache
    from tests.app.helpers import load

    demo = load(tmp_path, '''
        def demo(ctx):
            return app.Demo(title="Bits", description="", fn=lambda p, x: (x.astype(jnp.int32) ^ 5) * 1.0, params={},
                            inputs=[app.Number("x", value=3)], outputs=app.JSON("x xor 5"))
        ''')
    spec, _ = publish(demo, "bits", Cache(tmp_path / "cache"))
    assert spec["backends"] == ["wasm", "cpu"]
