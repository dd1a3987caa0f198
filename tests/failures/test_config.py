"""site.toml inputs that once passed validation or gave a traceback: each gets one line naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from builders.build import main
from builders.config import load_config
from builders.demos import demo_registry
from builders.errors import ConfigError


def write(tmp_path: Path, data: bytes | str) -> Path:
    path = tmp_path / "site.toml"
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(path, demo_registry())
    return info.value.problems


@pytest.mark.parametrize("value", ["nan", "+nan", "-nan", "inf", "+inf", "-inf"])
def test_nan_and_inf_numbers_are_rejected(tmp_path, value):
    # `max` bounds do not catch NaN (every comparison is false), so it reached the page's JSON.
    shown = value.lstrip("+").replace("-nan", "nan")
    assert problems(write(tmp_path, f"[demos.lit]\nverify_atol = {value}\n")) == [
        f"demos.lit.verify_atol: expected a finite number, got {shown}"]


def test_nan_inside_a_list_names_the_item(tmp_path):
    assert problems(write(tmp_path, "[demos.jax]\nweight = [0.5, nan]\n")) == [
        "demos.jax.weight[1]: expected a finite number, got nan"]


def test_cli_prints_one_line_per_problem_and_exits_2(tmp_path, capsys):
    path = write(tmp_path, "[demos.jax]\nweight = [inf, 1.0]\n[demos.lit]\nlearning_rate = nan\n")
    assert main(["--config", str(path), "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == (
        "error: invalid configuration (2 problems):\n"
        f"  {path}: demos.jax.weight[0]: expected a finite number, got inf\n"
        f"  {path}: demos.lit.learning_rate: expected a finite number, got nan\n")


def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    # Windows editors write one; it is valid UTF-8, and tomllib alone calls it an invalid statement.
    config = load_config(write(tmp_path, b"\xef\xbb\xbf[demos.jax]\nrows = 4\n"), demo_registry())
    assert config.demos["jax"].rows == 4


def test_a_file_that_is_not_utf8_names_the_byte_and_where(tmp_path, capsys):
    path = write(tmp_path, '[site]\ntitle = "Caf\xe9"\n'.encode("latin-1"))
    assert problems(path) == ["not UTF-8 text (byte 0xe9 at line 2, column 13); save the file with UTF-8 encoding"]
    assert main(["--config", str(path), "--out", str(tmp_path / "out")]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_an_unreadable_file_is_a_config_error(tmp_path, monkeypatch):
    path = write(tmp_path, "")

    def refuse(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    assert problems(path) == ["cannot read the file (Permission denied); check its permissions"]


def test_empty_image_channels_is_a_config_error(tmp_path):
    # It reached the image tower and failed there with an IndexError.
    assert problems(write(tmp_path, "[demos.lit]\nimage_channels = []\n")) == [
        "demos.lit.image_channels: expected a non-empty list of integers >= 1, got []"]


def test_list_items_are_bounded(tmp_path):
    path = write(tmp_path, "[demos.lit]\nimage_channels = [8, 0]\n[demos.jax]\nverify_batch_sizes = [-1]\n")
    assert problems(path) == [
        "demos.jax.verify_batch_sizes: expected a non-empty list of integers >= 1, got [-1]",
        "demos.lit.image_channels: expected a non-empty list of integers >= 1, got [8, 0]",
    ]
