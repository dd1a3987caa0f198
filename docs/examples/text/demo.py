"""Which language? Word pieces averaged, then a linear layer; trained on CLDR's names of countries and languages."""
import jax
import numpy as np
from babel import Locale
from builders import app

LANGUAGES = {"en": "English", "fr": "French", "de": "German", "es": "Spanish", "it": "Italian"}

def predict(params, ids):  # ids: (batch, 16) WordPiece ids, 0-4 the special tokens; returns (batch, 5) logits
    mask = (ids > 4)[..., None]
    return (jax.numpy.take(params["embed"], ids, axis=0) * mask).sum(1) / mask.sum(1).clip(1) @ params["w"]

def train(ids, labels, steps, seed):
    params = {"embed": jax.random.normal(jax.random.key(seed), (2000, 32)) * 0.1, "w": np.zeros((32, 5))}
    loss = lambda p: -(jax.nn.one_hot(labels, 5) * jax.nn.log_softmax(predict(p, ids))).sum(-1).mean()
    step = jax.jit(lambda p: jax.tree.map(lambda w, g: w - 5.0 * g, p, jax.grad(loss)(p)))
    for _ in range(steps):
        params = step(params)
    return params

def demo(ctx):  # the names of the world's countries and languages in each language (CLDR, from Babel)
    names = [(n, i) for i, c in enumerate(LANGUAGES) for table in (Locale(c).territories, Locale(c).languages)
             for n in table.values()]
    box = app.Text("a country or a language", vocab="vocab.txt", max_length=16, value="Vereinigte Staaten")
    data = {"ids": np.stack([box.preprocess(n) for n, _ in names]), "labels": np.array([i for _, i in names]),
            "steps": 30 if ctx.smoke else 600, "seed": 0}
    return app.Demo(title="Which language?", description="Type the name of a country: the model names its language.",
                    fn=predict, params=ctx.cache.run("train", data, train), inputs=box,
                    outputs=app.Label(list(LANGUAGES.values())),
                    examples=["Nouvelle-Zélande", "Stati Uniti d’America", "Islas Salomón", "Deutsch (Schweiz)"])
