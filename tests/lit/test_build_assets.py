"""build_assets from a real-format LiT checkpoint (the `checkpoint` path of site.toml)."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from builders.build import PROJECT_ROOT
from builders.cache import Cache
from builders.demos import lit
from builders.demos.base import BuildContext
from builders.demos.lit import world
from builders.demos.lit.checkpoint import save_checkpoint
from builders.demos.lit.formats import ImageInfo, write_json
from builders.demos.lit.models import ImageConfig, TextConfig, TextTransformer, VisionTransformer
from builders.errors import BuildError

from .helpers import small_tokenizer


def _ctx(tmp_path) -> BuildContext:
    return BuildContext(site=None, cache=Cache(tmp_path / "cache"), profile="default", project_root=PROJECT_ROOT)


def test_checkpoint_path_builds_the_page(tmp_path):
    tok = small_tokenizer(tmp_path, max_len=10)
    tc = TextConfig(vocab_size=tok.vocab_size, width=16, depth=1, num_heads=2, mlp_dim=32, max_len=10, out_dim=8)
    ic = ImageConfig(image_size=32, patch_size=16, width=16, depth=1, num_heads=2, mlp_dim=32, out_dim=8,
                     pool_type="tok")
    txt = TextTransformer(tc).init(jax.random.key(0), np.zeros((1, 10), np.int32))["params"]
    img = VisionTransformer(ic).init(jax.random.key(1), np.zeros((1, 32, 32, 3)))["params"]
    ckpt = save_checkpoint(tmp_path / "LiT-Test.npz", txt, img, 2.0, prefix="params/")
    images = tmp_path / "photos"
    images.mkdir()
    rng = np.random.default_rng(1)
    world.render(world.sample_scene(rng), 320).save(images / "cat.jpg")
    write_json(images / "info.json", [ImageInfo("cat", "a drawing", "test", "CC0-1.0", "a red circle,a blue square")])

    config = lit.Config(checkpoint=str(ckpt), tokenizer=str(tok.model_path), images_dir=str(images))
    page = lit.build_assets(config, _ctx(tmp_path))
    names = set(page.files)
    for f in ["data/images/info.json", "data/images/cat.jpg", "data/models/lit-test/def.json",
              "data/models/lit-test/vocabulary.json", "data/models/lit-test/tokenizer.json",
              "data/models/lit-test/tfjs/model.json", "data/models/lit-test/zimgs.bin",
              "data/models/lit-test/zimgs.txt", "data/models/lit-test/ztxts.bin", "data/models/lit-test/ztxts.txt",
              "lit/exports_bin.js", "lit/playground.js"]:
        assert f in names, f
    (row,) = page.data["rows"]
    assert row["name"] == "lit-test" and row["zero_shot_held_out"] is None
    assert row["temperature"] == pytest.approx(np.exp(2.0), rel=1e-5)
    assert page.data["client"] == {"models": ["lit-test"], "defaultModel": "lit-test"}
    assert "window.lit={Model:" in page.files["lit/exports_bin.js"].read_text()


def test_checkpoint_without_tokenizer_is_an_error(tmp_path):
    config = lit.Config(checkpoint="x.npz")
    with pytest.raises(BuildError, match="demos.lit.tokenizer must be set when demos.lit.checkpoint is; "
                                         "demos.lit.images_dir must be set"):
        lit.build_assets(config, _ctx(tmp_path))


def test_heads_must_divide_width(tmp_path):
    with pytest.raises(BuildError, match=r"demos.lit.tiny_width \(30\) must be divisible by tiny_heads \(4\)"):
        lit._text_config(lit.Config(tiny_width=30, tiny_heads=4), "tiny", 100)
