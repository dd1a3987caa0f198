"""Flax models mirroring big_vision's LiT towers, parameter names included.

Text tower (big_vision `proj/image_text/text_transformer.py`): `Embed_0`, `pos_embedding`
(1, max_len, width), `Encoder_0/encoderblock_<i>/{LayerNorm_0, MultiHeadDotProductAttention_0/
{query,key,value,out}, LayerNorm_1, MlpBlock_0/{Dense_0,Dense_1}}`, `Encoder_0/encoder_norm`,
pooling on the last token, `head`. Image tower (big_vision `vit.py`): `embedding` (patch conv),
`pos_embedding`, optional `cls`, `Transformer/encoderblock_<i>/...`, `Transformer/encoder_norm`,
`head`. The two-tower model L2-normalises both outputs; `t` is the log temperature.
"""

from __future__ import annotations

from dataclasses import dataclass

import flax.linen as nn
import jax.numpy as jnp
import numpy as np


@dataclass(frozen=True)
class TextConfig:
    """Text transformer hyper-parameters (all inferable from a checkpoint)."""

    vocab_size: int
    width: int
    depth: int
    num_heads: int
    mlp_dim: int
    max_len: int
    out_dim: int


@dataclass(frozen=True)
class ImageConfig:
    """ViT hyper-parameters (all inferable from a checkpoint)."""

    image_size: int
    patch_size: int
    width: int
    depth: int
    num_heads: int
    mlp_dim: int
    out_dim: int
    pool_type: str = "gap"  # "gap" | "tok"
    posemb: str = "learn"  # "learn" | "sincos2d"


@dataclass(frozen=True)
class CNNConfig:
    """The embedded demo's small convolutional image tower (ours, not big_vision's)."""

    image_size: int
    channels: tuple[int, ...]  # one stride-2 3x3 conv per entry
    hidden: int
    out_dim: int


class MlpBlock(nn.Module):
    """Dense -> gelu (tanh approximation, flax default) -> Dense."""

    mlp_dim: int

    @nn.compact
    def __call__(self, x):
        d = x.shape[-1]
        x = nn.Dense(self.mlp_dim, kernel_init=nn.initializers.xavier_uniform(),
                     bias_init=nn.initializers.normal(stddev=1e-6))(x)
        x = nn.gelu(x)
        return nn.Dense(d, kernel_init=nn.initializers.xavier_uniform(),
                        bias_init=nn.initializers.normal(stddev=1e-6))(x)


class Encoder1DBlock(nn.Module):
    """Pre-LayerNorm transformer block."""

    mlp_dim: int
    num_heads: int

    @nn.compact
    def __call__(self, x):
        y = nn.LayerNorm()(x)
        y = nn.MultiHeadDotProductAttention(num_heads=self.num_heads,
                                            kernel_init=nn.initializers.xavier_uniform(),
                                            deterministic=True)(y, y)
        x = x + y
        y = nn.LayerNorm()(x)
        return x + MlpBlock(mlp_dim=self.mlp_dim)(y)


class Encoder(nn.Module):
    """`depth` blocks named `encoderblock_<i>`, then `encoder_norm`."""

    depth: int
    mlp_dim: int
    num_heads: int

    @nn.compact
    def __call__(self, x):
        for i in range(self.depth):
            x = Encoder1DBlock(self.mlp_dim, self.num_heads, name=f"encoderblock_{i}")(x)
        return nn.LayerNorm(name="encoder_norm")(x)


class TextTransformer(nn.Module):
    """big_vision text tower: int tokens [n, max_len] -> un-normalised embedding [n, out_dim]."""

    config: TextConfig

    @nn.compact
    def __call__(self, text):
        c = self.config
        x = nn.Embed(num_embeddings=c.vocab_size, features=c.width, name="Embed_0")(text)
        pos = self.param("pos_embedding", nn.initializers.normal(stddev=1 / np.sqrt(c.width)),
                         (1, c.max_len, c.width))
        x = x + pos
        x = Encoder(c.depth, c.mlp_dim, c.num_heads, name="Encoder_0")(x)
        x = x[:, -1, :]  # pool_type "last"
        return nn.Dense(c.out_dim, name="head")(x)


def sincos2d(h: int, w: int, width: int, temperature: float = 10_000.0) -> np.ndarray:
    """big_vision's fixed 2D sin-cos position embedding, [1, h*w, width]."""
    y, x = np.mgrid[:h, :w]
    omega = np.arange(width // 4) / (width // 4 - 1)
    omega = 1.0 / (temperature ** omega)
    y = np.einsum("m,d->md", y.flatten(), omega)
    x = np.einsum("m,d->md", x.flatten(), omega)
    pe = np.concatenate([np.sin(x), np.cos(x), np.sin(y), np.cos(y)], axis=1)
    return pe[None].astype(np.float32)


class VisionTransformer(nn.Module):
    """big_vision ViT image tower: images [n, s, s, 3] in [-1, 1] -> embedding [n, out_dim]."""

    config: ImageConfig

    @nn.compact
    def __call__(self, image):
        c = self.config
        x = nn.Conv(c.width, (c.patch_size, c.patch_size), strides=(c.patch_size, c.patch_size),
                    padding="VALID", name="embedding")(image)
        n, h, w, d = x.shape
        x = jnp.reshape(x, (n, h * w, d))
        if c.posemb == "learn":
            x = x + self.param("pos_embedding", nn.initializers.normal(stddev=1 / np.sqrt(d)),
                               (1, h * w, d))
        else:
            x = x + sincos2d(h, w, d)
        if c.pool_type == "tok":
            cls = self.param("cls", nn.initializers.zeros, (1, 1, d))
            x = jnp.concatenate([jnp.tile(cls, (n, 1, 1)), x], axis=1)
        x = Encoder(c.depth, c.mlp_dim, c.num_heads, name="Transformer")(x)
        x = x[:, 0] if c.pool_type == "tok" else jnp.mean(x, axis=1)
        return nn.Dense(c.out_dim, name="head")(x)


class SmallCNN(nn.Module):
    """`conv_<i>` (3x3, stride 2) + `norm_<i>` (LayerNorm) + gelu ..., `conv_mix` (3x3) -> [global mean, global max,
    flattened 4-channel `spatial` map] -> `Dense_0` -> `head`.

    The global poolings see *what* is drawn wherever it is; the small flattened map keeps
    *where* and *how many*. Trains in a minute on a CPU (a ViT from scratch does not); it runs
    only at build time.
    """

    config: CNNConfig

    @nn.compact
    def __call__(self, image):
        c = self.config
        x = image
        for i, ch in enumerate(c.channels):
            x = nn.Conv(ch, (3, 3), strides=(2, 2), padding="SAME", name=f"conv_{i}")(x)
            x = nn.gelu(nn.LayerNorm(name=f"norm_{i}")(x))  # normalising makes it train fast
        x = nn.gelu(nn.Conv(c.channels[-1], (3, 3), padding="SAME", name="conv_mix")(x))
        where = nn.gelu(nn.Dense(4, name="spatial")(x)).reshape((x.shape[0], -1))
        x = jnp.concatenate([x.mean(axis=(1, 2)), x.max(axis=(1, 2)), where], axis=-1)
        x = nn.gelu(nn.Dense(c.hidden, name="Dense_0")(x))
        return nn.Dense(c.out_dim, name="head")(x)


def image_tower(config: ImageConfig | CNNConfig) -> nn.Module:
    """The Flax module for an image tower config."""
    return SmallCNN(config) if isinstance(config, CNNConfig) else VisionTransformer(config)


def l2_normalize(x, eps: float = 1e-8):
    """Rows scaled to unit length, `x / (|x| + eps)` as big_vision's two_towers does."""
    return x / (jnp.sqrt(jnp.sum(x * x, axis=-1, keepdims=True)) + eps)


def text_embed_fn(config: TextConfig):
    """`apply(params, tokens) -> L2-normalised embeddings` for the text tower alone
    (`params` is the `txt` subtree); this is what gets converted to TF.js."""
    model = TextTransformer(config)

    def apply(params, tokens):
        return l2_normalize(model.apply({"params": params}, tokens))
    return apply


def image_embed_fn(config: ImageConfig | CNNConfig):
    """`apply(params, images) -> L2-normalised embeddings` for the image tower (`img` subtree)."""
    model = image_tower(config)

    def apply(params, images):
        return l2_normalize(model.apply({"params": params}, images))
    return apply
