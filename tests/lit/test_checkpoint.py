"""Loading big_vision-style LiT checkpoints written by the tests in that exact format."""

from __future__ import annotations

import jax
import numpy as np
import pytest
from flax import traverse_util

from builders.demos.lit.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from builders.demos.lit.models import (
    CNNConfig,
    ImageConfig,
    SmallCNN,
    TextConfig,
    TextTransformer,
    VisionTransformer,
    image_embed_fn,
    text_embed_fn,
)

TEXT = TextConfig(vocab_size=50, width=16, depth=2, num_heads=2, mlp_dim=32, max_len=8, out_dim=12)
VIT = ImageConfig(image_size=32, patch_size=16, width=16, depth=2, num_heads=4, mlp_dim=24, out_dim=12,
                  pool_type="tok")
CNN = CNNConfig(image_size=32, channels=(4, 8), hidden=16, out_dim=12)


def _params(image_config):
    txt = TextTransformer(TEXT).init(jax.random.key(0), np.zeros((1, TEXT.max_len), np.int32))["params"]
    tower = VisionTransformer(image_config) if isinstance(image_config, ImageConfig) else SmallCNN(image_config)
    s = image_config.image_size
    img = tower.init(jax.random.key(1), np.zeros((1, s, s, 3), np.float32))["params"]
    return jax.device_get(txt), jax.device_get(img)


def _write_npz(path, flat: dict):
    np.savez(path, **flat)
    return path


def _flat(prefix, tree):
    return {prefix + "/".join(k): np.asarray(v) for k, v in traverse_util.flatten_dict(tree).items()}


@pytest.mark.parametrize("prefix", ["", "params/", "opt/target/"])
def test_both_key_spellings_load_to_the_same_model(tmp_path, prefix):
    txt, img = _params(VIT)
    flat = {**_flat(prefix + "txt/", txt), **_flat(prefix + "img/", img), prefix + "t": np.array([2.0], np.float32)}
    assert prefix + "txt/Encoder_0/encoderblock_0/MultiHeadDotProductAttention_0/query/kernel" in flat
    ckpt = load_checkpoint(_write_npz(tmp_path / "lit.npz", flat))
    assert ckpt.text_config == TEXT
    assert ckpt.image_config == VIT
    assert ckpt.temperature == pytest.approx(np.exp(2.0))
    tokens = np.array([[5, 6, 7, 1, 0, 0, 0, 0]], np.int32)
    np.testing.assert_allclose(text_embed_fn(ckpt.text_config)(ckpt.txt, tokens),
                               text_embed_fn(TEXT)(txt, tokens), rtol=1e-6)
    images = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 3)).astype(np.float32)
    np.testing.assert_allclose(image_embed_fn(ckpt.image_config)(ckpt.img, images),
                               image_embed_fn(VIT)(img, images), rtol=1e-5, atol=1e-6)


def test_scanned_encoder_is_unstacked(tmp_path):
    txt, img = _params(VIT)
    blocks = [txt["Encoder_0"].pop(f"encoderblock_{i}") for i in range(TEXT.depth)]
    txt["Encoder_0"]["encoderblock"] = jax.tree_util.tree_map(lambda *xs: np.stack(xs), *blocks)
    flat = {**_flat("txt/", txt), **_flat("img/", img), "t": np.array([1.0], np.float32)}
    ckpt = load_checkpoint(_write_npz(tmp_path / "scan.npz", flat))
    assert ckpt.text_config.depth == TEXT.depth
    np.testing.assert_array_equal(ckpt.txt["Encoder_0"]["encoderblock_1"]["MlpBlock_0"]["Dense_0"]["kernel"],
                                  blocks[1]["MlpBlock_0"]["Dense_0"]["kernel"])


def test_small_cnn_image_tower_round_trips(tmp_path):
    txt, img = _params(CNN)
    ckpt = load_checkpoint(save_checkpoint(tmp_path / "cnn.npz", txt, img, 3.0))
    assert ckpt.image_config == CNN
    assert ckpt.t == pytest.approx(3.0)


def test_missing_parameter_is_named(tmp_path):
    txt, img = _params(VIT)
    flat = {**_flat("txt/", txt), **_flat("img/", img), "t": np.array([1.0], np.float32)}
    del flat["txt/Encoder_0/encoderblock_1/LayerNorm_1/scale"]
    with pytest.raises(CheckpointError, match=r"missing: \['Encoder_0/encoderblock_1/LayerNorm_1/scale'\]"):
        load_checkpoint(_write_npz(tmp_path / "bad.npz", flat))


def test_wrong_shape_is_named(tmp_path):
    txt, img = _params(VIT)
    flat = {**_flat("txt/", txt), **_flat("img/", img), "t": np.array([1.0], np.float32)}
    flat["txt/Encoder_0/encoder_norm/bias"] = np.zeros((7,), np.float32)
    with pytest.raises(CheckpointError, match=r"txt/Encoder_0/encoder_norm/bias has shape \(7,\), expected \(16,\)"):
        load_checkpoint(_write_npz(tmp_path / "bad.npz", flat))


def test_not_a_lit_checkpoint(tmp_path):
    path = _write_npz(tmp_path / "other.npz", {"Dense_0/kernel": np.zeros((2, 2))})
    with pytest.raises(CheckpointError, match="no 'txt/...' or 'img/...' keys"):
        load_checkpoint(path)
    with pytest.raises(CheckpointError, match="checkpoint not found"):
        load_checkpoint(tmp_path / "nope.npz")
