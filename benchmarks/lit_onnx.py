"""The LiT text tower in a form jax2onnx can export, for the ONNX Runtime comparisons
(benchmarks/lit_text_tower.py, benchmarks/converter.py). Light imports: the official converter's
legacy venv loads it too."""

from __future__ import annotations


def onnx_exportable_text_embed_fn(config):
    """`models.text_embed_fn(config)` with its last-token pooling written as `x[:, -1, :]`: the demo
    writes it as a one-hot product (a converter work-around) that jax2onnx 0.17.1 cannot export
    (OneHot of a scalar index). Same parameters, same outputs (checked by the callers), same cost."""
    import flax.linen as nn  # noqa: PLC0415

    from builders.demos.lit import models  # noqa: PLC0415

    class SlicePooledText(nn.Module):
        config: models.TextConfig

        @nn.compact
        def __call__(self, text):
            c = self.config
            x = nn.Embed(num_embeddings=c.vocab_size, features=c.width, name="Embed_0")(text)
            x = x + self.param("pos_embedding", nn.initializers.zeros, (1, c.max_len, c.width))
            x = models.Encoder(c.depth, c.mlp_dim, c.num_heads, name="Encoder_0")(x)
            return nn.Dense(c.out_dim, name="head")(x[:, -1, :])

    module = SlicePooledText(config)
    return lambda params, tokens: models.l2_normalize(module.apply({"params": params}, tokens))
