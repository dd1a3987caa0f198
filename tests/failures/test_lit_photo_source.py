"""Bad settings of the LiT photo source: each is one BuildError naming the setting and what is allowed."""

from __future__ import annotations

import pytest

from builders.build import PROJECT_ROOT
from builders.cache import Cache
from builders.demos import lit
from builders.demos.base import BuildContext
from builders.errors import BuildError


def _ctx(tmp_path) -> BuildContext:
    return BuildContext(site=None, cache=Cache(tmp_path / "cache"), profile="default", project_root=PROJECT_ROOT)


def test_an_unknown_source_is_named(tmp_path):
    with pytest.raises(BuildError, match=r"demos.lit.source must be 'photos' or 'shapes', got 'cats'"):
        lit.build_assets(lit.Config(source="cats"), _ctx(tmp_path))


def test_an_unknown_weight_variant_is_named_before_any_work(tmp_path):
    with pytest.raises(BuildError, match=r"demos.lit.photo_variants: \['int4'\] not among \['float32', 'float16', "
                                         r"'uint8'\]"):
        lit.build_assets(lit.Config(source="photos", photo_variants=["float32", "int4"]), _ctx(tmp_path))
    assert not (tmp_path / "cache" / "lit-downloads").exists()
