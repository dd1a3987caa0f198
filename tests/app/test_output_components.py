"""The outputs beyond Label and JSON (NumberOutput, TextOutput, ImageOutput, Plot, Highlight): wrong
option values and wrong shapes of what fn returns are build errors naming the component, its line
and the expected shape. Fast: `jax.eval_shape` only, no conversion, no browser."""

from __future__ import annotations

import pytest

from builders.app import ImageOutput, NumberOutput, Plot, TextOutput
from tests.app.helpers import errors, load

VOCAB = '["[PAD]", "[UNK]", "[CLS]", "[SEP]", "hello", "world"]'


def one_output(output: str, shape: str, inputs: str = 'app.Slider("a", 0, 1)') -> str:
    """demo.py whose fn returns zeros of `shape` (batch first) into `output` (declared on line 6)."""
    return f'''
def predict(params, *xs):
    return jnp.zeros((xs[0].shape[0], *{shape}))

def demo(ctx):
    return app.Demo(title="t", description="d", fn=predict, params={{}}, inputs=[{inputs}],
                    outputs={output})
'''


@pytest.mark.parametrize("output, shape", [
    ("app.NumberOutput(unit='cm')", "()"), ("app.NumberOutput()", "(1,)"),
    ("app.TextOutput(names=['a', 'b'])", "(2,)"), (f"app.TextOutput(vocab={VOCAB})", "(7,)"),
    ("app.ImageOutput()", "(4, 5)"), ("app.ImageOutput(value_range=(0, 255), scale=4)", "(4, 5, 3)"),
    ("app.ImageOutput()", "(4, 5, 1)"), ("app.ImageOutput(value_range=(-1, 1))", "(2, 2, 4)"),
    ("app.Plot(style='bar')", "(9,)"), ("app.Plot(x_labels=['a', 'b'])", "(2,)"),
])
def test_right_shapes_load(tmp_path, output, shape):
    assert load(tmp_path, one_output(output, shape)).output_list


@pytest.mark.parametrize("output, shape, message", [
    ("app.NumberOutput()", "(3,)", 'NumberOutput "Output": fn returns shape (batch, 3) for it; expected (batch,) '
     "or (batch, 1): one number per example"),
    ("app.TextOutput(names=['a', 'b'])", "(3,)", 'TextOutput "Output": fn returns shape (batch, 3) for it; '
     "expected (batch, 2): one score per name"),
    (f"app.TextOutput(vocab={VOCAB})", "(2, 3)", 'TextOutput "Output": fn returns shape (batch, 2, 3) for it; '
     "expected (batch, n): a vector of token ids"),
    ("app.ImageOutput(label='pic')", "(4, 5, 2)", 'ImageOutput "pic": fn returns shape (batch, 4, 5, 2) for it; '
     "expected (batch, H, W), (batch, H, W, 1), (batch, H, W, 3) or (batch, H, W, 4): a grey, RGB or RGBA picture"),
    ("app.ImageOutput()", "(16,)", 'ImageOutput "Output": fn returns shape (batch, 16) for it; expected (batch, H, W), '
     "(batch, H, W, 1), (batch, H, W, 3) or (batch, H, W, 4): a grey, RGB or RGBA picture"),
    ("app.Plot()", "(2, 2)", 'Plot "Plot": fn returns shape (batch, 2, 2) for it; expected (batch, n): one vector '
     "per example"),
    ("app.Plot(x_labels=['a', 'b'])", "(3,)", 'Plot "Plot": fn returns shape (batch, 3) for it; expected (batch, 2): '
     "one value per x label"),
])
def test_wrong_shapes_name_the_component_and_the_expected_shape(tmp_path, output, shape, message):
    assert errors(tmp_path, one_output(output, shape)) == [f"demo.py:8: demos.iris, {message}"]


@pytest.mark.parametrize("output, message", [
    ("app.NumberOutput(decimals=11)", 'NumberOutput "Output": decimals must be between 0 and 10, got 11'),
    ("app.TextOutput()", 'TextOutput "Output": give exactly one of names (argmax over one score per name) or vocab '
     "(token ids decoded through the vocabulary)"),
    ("app.TextOutput(names=['a'], vocab=['b'])", 'TextOutput "Output": give exactly one of names (argmax over one '
     "score per name) or vocab (token ids decoded through the vocabulary)"),
    ("app.ImageOutput(value_range=(1, 0))", 'ImageOutput "Output": value_range must be (low, high) with low < high, '
     "got (1, 0)"),
    ("app.ImageOutput(scale=0)", 'ImageOutput "Output": scale must be between 1 and 32, got 0'),
    ("app.Plot(style='pie')", 'Plot "Plot": style must be one of "line", "bar", got \'pie\''),
])
def test_wrong_option_values(tmp_path, output, message):
    assert errors(tmp_path, one_output(output, "(2,)")) == [f"demo.py:8: demos.iris, {message}"]


TEXT = f'app.Text("review", vocab={VOCAB}, max_length=6)'


def test_highlight_takes_one_score_per_token_of_its_text_input(tmp_path):
    demo = load(tmp_path, one_output('app.Highlight("review")', "(6,)", TEXT))
    assert demo.output_list[0].spec() == {"type": "highlight", "label": "Highlights", "input": "review",
                                          "valueRange": [0.0, 1.0]}
    assert errors(tmp_path, one_output('app.Highlight("review")', "(5,)", TEXT)) == [
        'demo.py:8: demos.iris, Highlight "Highlights": fn returns shape (batch, 5) for it; expected (batch, 6): '
        'one score per token of Text "review" (its max_length)']


def test_highlight_names_a_text_input_that_exists(tmp_path):
    assert errors(tmp_path, one_output('app.Highlight("reveiw")', "(6,)", TEXT)) == [
        'demo.py:8: demos.iris, Highlight "Highlights": input "reveiw" is not the label of a Text input '
        '(the Text inputs: "review")']
    assert errors(tmp_path, one_output('app.Highlight("a")', "(6,)")) == [
        'demo.py:8: demos.iris, Highlight "Highlights": input "a" is not the label of a Text input '
        '(the Text inputs: none)']


def test_specs_carry_what_the_page_needs():
    assert NumberOutput(unit="kg", decimals=1).spec() == {"type": "number-output", "label": "Output", "unit": "kg",
                                                          "decimals": 1}
    assert TextOutput(vocab=["a", "b"], skip=["a"]).spec() == {"type": "text-output", "label": "Output",
                                                               "mode": "tokens", "vocab": ["a", "b"], "skip": ["a"],
                                                               "separator": " "}
    assert TextOutput(names=["x"]).spec()["mode"] == "argmax"
    assert ImageOutput(value_range=(0, 255), scale=3).spec() == {"type": "image-output", "label": "Output",
                                                                 "valueRange": [0.0, 255.0], "scale": 3}
    assert Plot(style="bar").spec() == {"type": "plot", "label": "Plot", "style": "bar", "xLabels": None}
