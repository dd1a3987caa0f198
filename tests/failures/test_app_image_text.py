"""Bad app.Image and app.Text declarations: one DemoError line each, naming demo.py's line, the demo and the
component, and what to do (a missing vocab file, a vocabulary without BERT's tokens, an example picture that
is not there or not a picture, a size that does not fit fn)."""

from __future__ import annotations

from tests.app.helpers import errors


def test_missing_vocab_file(tmp_path):
    assert errors(tmp_path, '''
def demo(ctx):
    return app.Demo("t", "d", lambda p, ids: ids * 1.0, {},
                    app.Text("review", vocab="vocab.txt", max_length=8), app.JSON(), examples=["good"])
''') == [f"demo.py:5: demos.iris, Text \"review\": vocab file 'vocab.txt' not found (looked for "
         f"{tmp_path / 'vocab.txt'}); give a vocab.txt with one token per line, relative to the file that "
         "declares the component"]


def test_vocab_without_bert_tokens(tmp_path):
    (tmp_path / "vocab.txt").write_text("[PAD]\nhello\n")
    assert errors(tmp_path, '''
def demo(ctx):
    return app.Demo("t", "d", lambda p, ids: ids * 1.0, {}, app.Text("review", vocab="vocab.txt"), app.JSON())
''') == ['demo.py:4: demos.iris, Text "review": the vocabulary has no [UNK], [CLS], [SEP]; the wordpiece '
         "tokenizer needs [UNK], [CLS], [SEP]"]


def test_image_example_not_found_or_not_a_picture(tmp_path):
    (tmp_path / "notes.png").write_text("not a picture")
    assert errors(tmp_path, '''
def demo(ctx):
    return app.Demo("t", "d", lambda p, x: x.mean(axis=(1, 2)), {}, app.Image("photo", size=(8, 8)), app.JSON(),
                    examples=["cat.png", "notes.png"])
''') == [f"demo.py:4: demos.iris, Image \"photo\": examples[0]: image file 'cat.png' not found (looked for "
         f"{tmp_path / 'cat.png'}); give a path relative to the file that declares the demo",
         "demo.py:4: demos.iris, Image \"photo\": examples[1]: 'notes.png' is not an image PIL can read "
         "(PNG, JPEG, GIF, WebP, BMP)"]


def test_size_that_does_not_fit_fn(tmp_path):
    lines = errors(tmp_path, '''
def predict(params, image):
    return image.reshape(image.shape[0], -1) @ params["w"]

def demo(ctx):
    return app.Demo("t", "d", predict, {"w": jnp.zeros((64, 3))},
                    app.Image("photo", size=(16, 16), channels=1), app.JSON())
''')
    assert len(lines) == 1 and lines[0].startswith(
        'demo.py:4: demos.iris, fn: fails on a batch of 2 starting values (Image "photo" at demo.py:8: '
        "float32[2, 16, 16, 1]): TypeError: "), lines
