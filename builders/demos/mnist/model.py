"""The CNN of the Flax MNIST example (examples/mnist/train.py in google/flax)."""

from __future__ import annotations

import flax.linen as nn
import jax.numpy as jnp


class CNN(nn.Module):
    """Conv 32 3x3, ReLU, avg-pool 2x2, Conv 64 3x3, ReLU, avg-pool 2x2, Dense 256, ReLU, Dense 10.

    Input: (batch, 28, 28, 1) float32 in [0, 1], ink = 1. Output: (batch, 10) logits.
    """

    @nn.compact
    def __call__(self, x: jnp.ndarray) -> jnp.ndarray:
        x = nn.Conv(features=32, kernel_size=(3, 3))(x)
        x = nn.relu(x)
        x = nn.avg_pool(x, window_shape=(2, 2), strides=(2, 2))
        x = nn.Conv(features=64, kernel_size=(3, 3))(x)
        x = nn.relu(x)
        x = nn.avg_pool(x, window_shape=(2, 2), strides=(2, 2))
        x = x.reshape((x.shape[0], -1))  # flatten
        x = nn.Dense(features=256)(x)
        x = nn.relu(x)
        x = nn.Dense(features=10)(x)
        return x


def predict_probabilities(params, images: jnp.ndarray) -> jnp.ndarray:
    """Softmax probabilities for (batch, 28, 28, 1) images: the function the browser runs."""
    return nn.softmax(CNN().apply({"params": params}, images))
