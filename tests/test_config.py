"""site.toml validation: every problem at once, each with its key, exact wording."""

from __future__ import annotations

import pytest

from builders.build import main
from builders.config import load_config
from builders.demos import demo_registry
from builders.errors import ConfigError


def write(tmp_path, text: str):
    path = tmp_path / "site.toml"
    path.write_text(text)
    return path


def problems(tmp_path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text), demo_registry())
    return info.value.problems


def test_valid_config_loads(tmp_path):
    config = load_config(write(tmp_path, '[site]\ntitle = "Mine"\n[demos.jax]\nrows = 4\n'), demo_registry())
    assert config.site.title == "Mine"
    assert config.demos["jax"].rows == 4


def test_unknown_key_gets_a_suggestion(tmp_path):
    assert problems(tmp_path, '[site]\ntitel = "x"\n') == ["site.titel: unknown key; did you mean 'title'?"]


def test_wrong_type_names_key_expected_and_value(tmp_path):
    assert problems(tmp_path, '[demos.jax]\nrows = "ten"\n') == ['demos.jax.rows: expected an integer >= 1 and '
                                                                  '<= 100, got "ten"']


def test_every_problem_is_reported_at_once(tmp_path):
    found = problems(tmp_path, '[site]\nsite_url = "example.com"\nservice_worker = 1\n[demos.jxa]\n'
                               '[demos.jax]\nrows = 0\n')
    assert found == [
        'site.site_url: expected an http(s):// URL, got "example.com"',
        "site.service_worker: expected true or false, got 1",
        "demos.jxa: unknown demo; did you mean 'jax'?",
        "demos.jax.rows: expected an integer >= 1 and <= 100, got 0",
    ]


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "nope.toml", demo_registry())
    assert info.value.problems[0].startswith("file not found (looked at ")


def test_invalid_toml(tmp_path):
    found = problems(tmp_path, "[site\n")
    assert found[0].startswith("not valid TOML: ")


def test_disabled_demo(tmp_path):
    config = load_config(write(tmp_path, "[demos.jax]\nenabled = false\n"), demo_registry())
    assert "jax" not in config.demos and config.disabled == ["jax"]


def test_cli_prints_problems_without_traceback(tmp_path, capsys):
    path = write(tmp_path, '[site]\ntitel = "x"\n')
    assert main(["--config", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err == (f"error: invalid configuration (1 problem):\n  {path}: site.titel: unknown key; "
                   "did you mean 'title'?\n")
    assert not (tmp_path / "out").exists()
