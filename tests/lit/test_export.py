"""Checkpoint + tokenizer + images -> the site's data files; TF.js text tower equals JAX."""

from __future__ import annotations

import json

import jax
import numpy as np
import pytest

from builders.convert import verify
from builders.demos.lit import world
from builders.demos.lit.checkpoint import load_checkpoint, save_checkpoint
from builders.demos.lit.export import export_model, prepare_site_images
from builders.demos.lit.formats import (
    ImageInfo,
    canonicalize_prompt,
    read_embeddings,
    read_image_infos,
    read_model_def,
    read_tokenizer_spec,
    write_json,
)
from builders.demos.lit.models import CNNConfig, SmallCNN, TextConfig, TextTransformer, text_embed_fn
from builders.errors import BuildError

from .helpers import small_tokenizer


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lit_export")
    tokenizer = small_tokenizer(tmp, max_len=12)
    tc = TextConfig(vocab_size=tokenizer.vocab_size, width=16, depth=1, num_heads=2, mlp_dim=32,
                    max_len=12, out_dim=8)
    ic = CNNConfig(image_size=32, channels=(4, 8), hidden=16, out_dim=8)
    txt = TextTransformer(tc).init(jax.random.key(0), np.zeros((1, 12), np.int32))["params"]
    img = SmallCNN(ic).init(jax.random.key(1), np.zeros((1, 32, 32, 3)))["params"]
    ckpt_path = save_checkpoint(tmp / "lit.npz", txt, img, float(np.log(10.0)))
    src = tmp / "src"
    src.mkdir()
    rng = np.random.default_rng(0)
    infos = []
    for i in range(3):
        scene = world.sample_scene(rng)
        world.render(scene, 300).save(src / f"img{i}.png")
        infos.append(ImageInfo(f"img{i}", world.canonical_caption(scene), "test", "CC0-1.0",
                               "A red circle!,two blue squares,three green crosses"))
    write_json(src / "info.json", infos)
    images = tmp / "images"
    prepare_site_images(src, images)
    out = tmp / "model"
    result = export_model(load_checkpoint(ckpt_path), tokenizer, images, out, description="test model",
                          verify_atol=1e-4)
    return {"out": out, "images": images, "result": result, "tokenizer": tokenizer, "tc": tc,
            "txt": jax.device_get(txt)}


def test_layout_and_formats(exported):
    out, images = exported["out"], exported["images"]
    infos = read_image_infos(images / "info.json")
    assert [i.id for i in infos] == ["img0", "img1", "img2"]
    from PIL import Image
    assert Image.open(images / "img0.jpg").size == (224, 224)
    model_def = read_model_def(out / "def.json")
    assert (model_def.tokenizer_type, model_def.max_len, model_def.embedding_size) == ("BPE", 12, 8)
    assert model_def.temperature == pytest.approx(10.0, rel=1e-5)
    vocab = json.loads((out / "vocabulary.json").read_text())
    assert len(vocab) == exported["tokenizer"].vocab_size and vocab[1][0] == "</s>"
    assert read_tokenizer_spec(out / "tokenizer.json").eos_id == 1
    ids, zimgs = read_embeddings(out / "zimgs", 8)
    assert ids == ["img0", "img1", "img2"]
    np.testing.assert_allclose(np.linalg.norm(zimgs, axis=1), 1, atol=1e-5)
    keys, ztxts = read_embeddings(out / "ztxts", 8)
    assert keys == sorted({"a red circle", "two blue squares", "three green crosses"})
    expected = text_embed_fn(exported["tc"])(exported["txt"], exported["tokenizer"].encode(keys))
    np.testing.assert_allclose(ztxts, expected, atol=1e-6)
    model_json = json.loads((out / "tfjs/model.json").read_text())
    (signature,) = model_json["signature"]["inputs"].values()
    assert signature["dtype"] == "DT_INT32"
    assert [d["size"] for d in signature["tensorShape"]["dim"]] == ["-1", "12"]


def test_tfjs_text_tower_matches_jax(exported):
    tok = exported["tokenizer"]
    texts = ["a red circle", "Three TINY violet rhombuses near the top!", "", "ÆØÅ 日本 " * 9]
    report = verify(exported["out"] / "tfjs", text_embed_fn(exported["tc"]), exported["txt"], [tok.encode(texts)],
                    atol=1e-5, rtol=1e-4)
    assert report.ok, report.summary()
    assert exported["result"]["max_abs_error"] < 1e-4
    assert exported["result"]["params"] == sum(np.size(x) for x in jax.tree_util.tree_leaves(exported["txt"]))
    assert exported["result"]["gflops_5x16"] > 0


def test_canonical_prompt():
    assert canonicalize_prompt("  A  Red, circle!! ") == "a red circle"


def test_missing_image_is_reported(tmp_path):
    write_json(tmp_path / "info.json", [ImageInfo("gone", "", "", "", "x")])
    with pytest.raises(BuildError, match="no image file for id 'gone'"):
        prepare_site_images(tmp_path, tmp_path / "out")
