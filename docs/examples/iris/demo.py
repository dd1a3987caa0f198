"""An Iris classifier: four measurements of a flower in, the probability of each species out."""
import jax
import jax.numpy as jnp
from sklearn.datasets import load_iris
from builders import app

def predict(params, x):  # x: (batch, 4), the four sliders stacked; returns (batch, 3) logits
    h = jax.nn.relu(x @ params["w1"] + params["b1"])
    return h @ params["w2"] + params["b2"]

def train(steps, seed):
    data = load_iris()
    x, y = jnp.asarray(data.data, jnp.float32), jax.nn.one_hot(data.target, 3)
    k1, k2 = jax.random.split(jax.random.key(seed))
    params = {"w1": jax.random.normal(k1, (4, 16)) * 0.5, "b1": jnp.zeros(16),
              "w2": jax.random.normal(k2, (16, 3)) * 0.5, "b2": jnp.zeros(3)}
    loss = lambda p: -jnp.mean(jnp.sum(y * jax.nn.log_softmax(predict(p, x)), axis=-1))
    step = jax.jit(lambda p: jax.tree.map(lambda w, g: w - 0.05 * g, p, jax.grad(loss)(p)))
    for _ in range(steps):
        params = step(params)
    return params

def demo(ctx):
    params = ctx.cache.run("train", {"steps": 100 if ctx.smoke else 3000, "seed": 0}, train)
    return app.Demo(
        title="Iris", description="Move the sliders: a tiny JAX network names the species.", fn=predict, params=params,
        inputs=[app.Slider("sepal length (cm)", 4, 8, value=5.8), app.Slider("sepal width (cm)", 2, 4.5, value=3),
                app.Slider("petal length (cm)", 1, 7, value=4.3), app.Slider("petal width (cm)", 0.1, 2.5, value=1.3)],
        outputs=app.Label(["setosa", "versicolor", "virginica"], top=3),
        examples=[[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]])
