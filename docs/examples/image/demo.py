"""A digit reader: a small Flax CNN trained on scikit-learn's 8x8 handwritten digits; upload a picture or take one."""
import flax.linen as nn
import jax
from sklearn.datasets import load_digits
from builders import app

class CNN(nn.Module):
    @nn.compact
    def __call__(self, x):  # x: (batch, 8, 8, 1), ink 1 on paper 0; returns (batch, 10) logits
        x = nn.relu(nn.Conv(16, (3, 3))(x))
        x = nn.relu(nn.Conv(32, (3, 3), strides=2)(x))
        return nn.Dense(10)(x.reshape(x.shape[0], -1))

predict = CNN().apply  # predict(params, image)

def train(steps, seed):
    x, y = (load_digits().images[..., None] / 16).astype("float32"), jax.nn.one_hot(load_digits().target, 10)
    params = CNN().init(jax.random.key(seed), x[:1])
    loss = lambda p: -(y * jax.nn.log_softmax(predict(p, x))).sum(-1).mean()
    step = jax.jit(lambda p: jax.tree.map(lambda w, g: w - 0.2 * g, p, jax.grad(loss)(p)))
    for _ in range(steps):
        params = step(params)
    return params

def demo(ctx):
    params = ctx.cache.run("train", {"steps": 20 if ctx.smoke else 200, "seed": 0}, train)
    return app.Demo(title="Digits", description="Write a digit on paper and photograph it: a small CNN reads it.",
                    fn=predict, params=params, outputs=app.Label([str(d) for d in range(10)]),
                    inputs=app.Image("a digit, dark on light", size=(8, 8), channels=1, scale=-1 / 255, offset=1.0),
                    examples=["examples/digit-3.png", "examples/digit-7.png", "examples/digit-8.png"])
