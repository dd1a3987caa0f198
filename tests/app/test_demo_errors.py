"""Mistakes in a user's demo.py: each is a build error naming their file and line, the demo and the
component, with what was expected; every mistake of a demo at once; never a traceback of ours."""

from __future__ import annotations

import pytest

from tests.app.helpers import errors, load

PREDICT = '''
def predict(params, x):
    return x @ params
'''
IRIS = [[5.1, 3.5], [6.7, 3.0]]


def test_a_correct_demo_loads(tmp_path):
    demo = load(tmp_path, PREDICT + '''
def demo(ctx):
    return app.Demo(title="t", description="d", fn=predict, params=jnp.ones((2, 3)),
                    inputs=[app.Slider("a", 4, 8), app.Slider("b", 2, 4.5)],
                    outputs=app.Label(["x", "y", "z"]), examples=[[5.1, 3.5], [6.7, 3.0]])
''')
    assert demo.stacked and demo.title == "t"


def test_slider_value_outside_its_range(tmp_path):
    assert errors(tmp_path, PREDICT + '''
def demo(ctx):
    return app.Demo(title="t", description="d", fn=predict, params=jnp.ones((2, 3)),
                    inputs=[app.Slider("a", 4, 8, value=9),
                            app.Slider("b", 2, 4.5)],
                    outputs=app.Label(["x", "y", "z"]))
''') == ['demo.py:8: demos.iris, Slider "a": value 9 is outside the range 4 to 8']


def test_every_mistake_of_a_demo_is_reported_at_once(tmp_path):
    assert errors(tmp_path, PREDICT + '''
def demo(ctx):
    return app.Demo(title="t", description="d", fn=predict, params=jnp.ones((2, 3)),
                    inputs=[app.Slider("a", 8, 4),
                            app.Dropdown("b", ["p", "q"], value="r")],
                    outputs=app.Label(["x", "x"]))
''') == ['demo.py:8: demos.iris, Slider "a": minimum 8 must be smaller than maximum 4',
         'demo.py:9: demos.iris, Dropdown "b": value "r" is not one of the choices',
         'demo.py:10: demos.iris, Label "Prediction": names must differ; repeated: "x"']


def test_unknown_option_names_the_call_and_suggests(tmp_path):
    assert errors(tmp_path, PREDICT + '''
def demo(ctx):
    return app.Demo(title="t", description="d", fn=predict, params=jnp.ones((2, 3)),
                    inputs=[app.Slider("a", 4, 8, valeu=5)], outputs=app.Label(["x", "y", "z"]))
''') == ["demo.py:8: demos.iris, Slider(): unknown option 'valeu' (did you mean 'value'?); "
         "the options are: label, minimum, maximum, value, step"]


def test_missing_option_and_wrong_type(tmp_path):
    assert errors(tmp_path, PREDICT + '''
def demo(ctx):
    return app.Demo(title="t", fn=predict, params=1, inputs=[], outputs=[])
''') == ["demo.py:7: demos.iris, Demo(): missing option 'description'"]
    assert errors(tmp_path, PREDICT + '''
def demo(ctx):
    return app.Demo(title="t", description="d", fn=predict, params=jnp.ones((2, 3)),
                    inputs=[app.Slider("a", "4", 8), 5.0], outputs=app.Label(["x", "y", "z"]))
''') == ["demo.py:8: demos.iris, Slider \"a\": minimum must be a number, got '4'",
         "demo.py:7: demos.iris, Demo: inputs[1] is 5.0, not one of app.Slider, app.Number, app.Dropdown, "
         "app.Checkbox, app.Sketchpad, app.Image, app.Text"]


def test_example_of_the_wrong_length_or_value(tmp_path):
    assert errors(tmp_path, PREDICT + '''
def demo(ctx):
    return app.Demo(title="t", description="d", fn=predict, params=jnp.ones((2, 3)),
                    inputs=[app.Slider("a", 4, 8), app.Slider("b", 2, 4.5)],
                    outputs=app.Label(["x", "y", "z"]),
                    examples=[[5.1, 3.5, 1.4], [9.0, 3.0], ["wide", 3.0]])
''') == ["demo.py:7: demos.iris, Demo: examples[0] has 3 values; expected 2, one per input",
         "demo.py:7: demos.iris, Slider \"a\": examples[1]: 9 is outside the slider's range 4 to 8",
         "demo.py:7: demos.iris, Slider \"a\": examples[2]: expected a number, got 'wide'"]


def test_fn_output_shape_does_not_match_the_label(tmp_path):
    assert errors(tmp_path, PREDICT + '''
def demo(ctx):
    return app.Demo(title="t", description="d", fn=predict, params=jnp.ones((2, 4)),
                    inputs=[app.Slider("a", 4, 8), app.Slider("b", 2, 4.5)],
                    outputs=app.Label(["x", "y", "z"]))
''') == ['demo.py:9: demos.iris, Label "Prediction": fn returns shape (batch, 4) for it; expected (batch, 3): '
         "one score per name"]


def test_fn_without_the_batch_axis(tmp_path):
    assert errors(tmp_path, '''
def predict(params, x):
    return params
def demo(ctx):
    return app.Demo(title="t", description="d", fn=predict, params=jnp.ones(3),
                    inputs=app.Number("a"), outputs=app.JSON())
''') == ["demo.py:7: demos.iris, JSON \"Output\": fn returns shape (3,) for a batch of 2; expected the batch "
         "axis first: (2, ...)"]


def test_fn_failing_on_the_starting_values_names_the_users_line(tmp_path):
    assert errors(tmp_path, '''
def predict(params, x):
    if x.shape[1] != 3:
        raise ValueError(f"expected 3 features, got {x.shape[1]}")
    return x
def demo(ctx):
    return app.Demo(title="t", description="d", fn=predict, params={},
                    inputs=[app.Number("a"), app.Number("b")], outputs=app.JSON())
''') == ["demo.py:5: demos.iris, fn: fails on a batch of 2 starting values (float32[2, 2]): "
         "ValueError: expected 3 features, got 2"]


def test_fn_arguments_do_not_match_the_inputs(tmp_path):
    assert errors(tmp_path, '''
def predict(params, a, b):
    return a + b
def demo(ctx):
    return app.Demo(title="t", description="d", fn=predict, params={},
                    inputs=[app.Number("a"), app.Number("b"), app.Number("c")], outputs=app.JSON())
''') == ["demo.py:3: demos.iris, fn: predict() takes 2 inputs after params, but 3 input components are "
         "declared; give it one argument per input, or one argument for 3 scalar inputs stacked into a "
         "(batch, 3) array"]


def test_only_scalar_inputs_can_be_stacked(tmp_path):
    assert errors(tmp_path, '''
def predict(params, x):
    return x
def demo(ctx):
    return app.Demo(title="t", description="d", fn=predict, params={},
                    inputs=[app.Sketchpad("digit"), app.Slider("b", 0, 1)], outputs=app.JSON())
''') == ['demo.py:3: demos.iris, fn: predict() takes 1 input after params, but 2 input components are declared '
         'and only scalar inputs can be stacked into one vector (Sketchpad "digit" cannot); give predict() one '
         "argument per input"]


def test_exception_in_demo_or_training_names_the_users_line(tmp_path):
    assert errors(tmp_path, '''
def demo(ctx):
    scale = 1 / 0
''') == ["demo.py:4: demos.iris, demo(ctx): raised ZeroDivisionError: division by zero"]
    assert errors(tmp_path, '''
def train(steps):
    raise RuntimeError(f"diverged after {steps} steps")
def demo(ctx):
    params = ctx.cache.run("train", {"steps": 3}, train)
''') == ["demo.py:4: demos.iris, demo(ctx): raised RuntimeError: diverged after 3 steps"]


def test_module_problems(tmp_path):
    assert errors(tmp_path, "def demo(ctx)\n    pass\n") == [
        "demo.py:3: demos.iris, module demo.py: SyntaxError: expected ':'"]
    assert errors(tmp_path, "import not_a_module_anywhere\n") == [
        "demo.py:3: demos.iris, module demo.py: ModuleNotFoundError: No module named 'not_a_module_anywhere'"]
    assert errors(tmp_path, "x = 1\n") == [
        "demo.py:1: demos.iris, module demo.py: has no function demo(ctx); define it to return an app.Demo(...)"]
    assert errors(tmp_path, "def demo(ctx):\n    return 3\n") == [
        "demo.py:3: demos.iris, demo(ctx): returned int; return an app.Demo(...)"]


def test_a_demo_name_must_make_a_url_folder(tmp_path):
    from builders.app import DemoError

    for name, why in (("docs", "is a folder of the site already"),
                      ("my demo", "has characters a URL folder should not have")):
        with pytest.raises(DemoError) as info:
            load(tmp_path, "def demo(ctx):\n    pass\n", name=name)
        assert str(info.value) == (f"demos.{name}, site.toml: the name is the page's URL folder and {why}; use "
                                   "letters, digits, - and _ (not assets, data, docs, benchmark)")
