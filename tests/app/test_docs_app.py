"""The docs of the demo API cannot drift from the code: the scaffold is the documented example, and
the components reference lists every option."""

from __future__ import annotations

from builders import app
from builders.app.component import component_rows
from builders.build import PROJECT_ROOT
from builders.docs import components_reference, site_toml_reference
from builders.new import DEMO_PY, site_toml

EXAMPLE = PROJECT_ROOT / "docs" / "examples" / "iris"


def test_the_documented_example_is_what_builders_new_writes():
    assert (EXAMPLE / "demo.py").read_text() == DEMO_PY
    assert (EXAMPLE / "site.toml").read_text() == site_toml("iris")
    assert len(DEMO_PY.splitlines()) <= 30


def test_components_reference_lists_every_option():
    page = components_reference()
    for cls in (app.Demo, app.Slider, app.Number, app.Dropdown, app.Checkbox, app.Sketchpad, app.Image, app.Text,
                app.Label, app.JSON, app.NumberOutput, app.TextOutput, app.ImageOutput, app.Plot, app.Highlight):
        assert f"### app.{cls.__name__}\n" in page
        for name, *_ in component_rows(cls):
            assert f"| `{name}` |" in page, (cls.__name__, name)


def test_site_toml_reference_documents_the_module_key():
    page = site_toml_reference({})
    assert "## Your own demos" in page and "| `module` |" in page and "| `function` |" in page
