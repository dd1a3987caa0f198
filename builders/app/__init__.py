"""The public demo API: declare a page for your model in Python.

    from builders import app

    def demo(ctx):
        params = ctx.cache.run("train", {"steps": 500}, train)
        return app.Demo(title="Iris", description="...", fn=predict, params=params,
                        inputs=[app.Slider("petal length (cm)", 1, 7, value=1.4), ...],
                        outputs=app.Label(["setosa", "versicolor", "virginica"]),
                        examples=[[5.1, 3.5, 1.4, 0.2]])

`site.toml` declares it with `[demos.iris]` and `module = "demo.py"`; `python -m builders.build`
converts `fn`, checks it in TF.js against JAX on the examples and renders the page. See
docs/add-your-own-model.md.
"""

from .demo import Demo
from .errors import DemoError
from .inputs import Checkbox, Dropdown, Image, Input, Number, Sketchpad, Slider, Text
from .outputs import JSON, Highlight, ImageOutput, Label, NumberOutput, Output, Plot, TextOutput

__all__ = ["JSON", "Checkbox", "Demo", "DemoError", "Dropdown", "Highlight", "Image", "ImageOutput", "Input", "Label",
           "Number", "NumberOutput", "Output", "Plot", "Sketchpad", "Slider", "Text", "TextOutput"]
