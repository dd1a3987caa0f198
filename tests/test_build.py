"""The build: output layout, full caching on a second run, atomic replacement of _site/."""

from __future__ import annotations

import json

import pytest

from builders.build import STAMP, STAMP_CONTENT, build, main
from builders.errors import StepError

CONFIG = '[site]\ntitle = "Test site"\n[demos.jax]\nrows = 3\n'


def only_jax_config(tmp_path, text: str = CONFIG):
    """A site.toml with only the JAX example enabled (other demos disabled)."""
    from builders.demos import demo_registry

    disabled = "".join(f"[demos.{n}]\nenabled = false\n" for n in demo_registry() if n != "jax")
    path = tmp_path / "site.toml"
    path.write_text(text + disabled)
    return path


def test_build_writes_site_and_second_build_is_cached(tmp_path):
    config = only_jax_config(tmp_path)
    out = tmp_path / "_site"
    first = build(config, out, cache_dir=tmp_path / "cache")
    for rel in ("index.html", "404.html", ".nojekyll", "jax/index.html", "data/models/jax/static/model.json",
                "data/models/jax/polymorphic/model.json", "assets/site.css"):
        assert (out / rel).is_file(), rel
    assert list((out / "assets").glob("jax-*.js")), "content-hashed bundle"
    assert (out / "assets" / "wasm" / "tfjs-backend-wasm-simd.wasm").is_file()
    statuses = {r.step: r.status for r in first.records}
    assert statuses["jax"] == "rebuilt" and statuses["bundle"] == "rebuilt"

    second = build(config, out, cache_dir=tmp_path / "cache")
    statuses = {r.step: r.status for r in second.records}
    assert statuses["jax"] == "cached" and statuses["bundle"] == "cached"
    model = json.loads((out / "data/models/jax/polymorphic/model.json").read_text())
    assert model["signature"]["inputs"]["input_0"]["tensorShape"]["dim"][0]["size"] == "-1"


def test_pages_use_relative_urls(tmp_path):
    out = tmp_path / "_site"
    build(only_jax_config(tmp_path), out, cache_dir=tmp_path / "cache")
    html = (out / "jax" / "index.html").read_text()
    assert 'href="../assets/site.css"' in html
    assert 'src="/' not in html and 'href="/' not in html
    config = json.loads(html.split('id="page-config">')[1].split("</script>")[0])
    assert config["dataBaseUrl"] == "../data/" and config["root"] == "../"


def test_failing_step_leaves_previous_site_untouched(tmp_path, monkeypatch):
    config = only_jax_config(tmp_path)
    out = tmp_path / "_site"
    build(config, out, cache_dir=tmp_path / "cache")
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}

    from builders.demos import jax_example

    def explode(config, ctx):
        raise KeyboardInterrupt  # as if the user pressed Ctrl-C in the middle of a step

    monkeypatch.setattr(jax_example, "build_assets", explode)
    with pytest.raises(KeyboardInterrupt):
        build(config, out, cache_dir=tmp_path / "cache")
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("._site")] == []


def test_step_error_names_the_step_and_cli_keeps_site(tmp_path, capsys):
    config = only_jax_config(tmp_path, CONFIG.replace("rows = 3", "rows = 3\nweight = [1.0, 2.0, 3.0]"))
    out = tmp_path / "_site"
    out.mkdir()
    (out / "index.html").write_text("old site")
    (out / STAMP).write_text(json.dumps(STAMP_CONTENT))  # a site this tool wrote, so it may be replaced
    with pytest.raises(StepError) as info:
        build(config, out, cache_dir=tmp_path / "cache")
    assert str(info.value) == ("step 'jax' failed: demos.jax.weight: expected 2 numbers (one per input column), "
                               "got 3")
    assert main(["--config", str(config), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "step 'jax' failed" in err and "left unchanged" in err
    assert (out / "index.html").read_text() == "old site"


def test_only_rejects_unknown_demo(tmp_path, capsys):
    assert main(["--config", str(only_jax_config(tmp_path)), "--out", str(tmp_path / "o"), "--only", "mnsit"]) == 2
    assert "--only: unknown demo 'mnsit'" in capsys.readouterr().err


def test_404_page_links_from_site_url(tmp_path):
    config = only_jax_config(tmp_path, CONFIG.replace('[site]\n', '[site]\nsite_url = "https://me.github.io/demos"\n'))
    out = tmp_path / "_site"
    build(config, out, cache_dir=tmp_path / "cache")
    html = (out / "404.html").read_text()
    assert 'href="https://me.github.io/demos/index.html"' in html
    assert "<style>" in html and "assets/site.css" not in html  # inline: the page is served at any depth
    assert '<link rel="canonical" href="https://me.github.io/demos/jax/">' in (out / "jax/index.html").read_text()
