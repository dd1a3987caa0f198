"""`python -m builders.new FOLDER`: a new project with one demo of your own (site.toml + demo.py).

The demo is a small Iris classifier: four sliders in, three class probabilities out. Build it
with `python -m builders.build` in FOLDER, then edit demo.py to put your own model on the page.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from .demos import demo_registry
from .errors import BuildError

DEMO_PY = '''\
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
'''


def site_toml(name: str) -> str:
    """The new project's settings: its own demo enabled, the tool's built-in demos disabled."""
    builtin = "".join(f"\n[demos.{n}]\nenabled = false\n" for n in demo_registry())
    return (f'# Settings for `python -m builders.build` (reference: the docs\' "site.toml" page).\n\n'
            f'[site]\ntitle = "{name}"\n\n'
            f'# Your demo: demo.py\'s demo(ctx) returns an app.Demo; its page is _site/{name}/.\n'
            f'[demos.{name}]\nmodule = "demo.py"\n\n'
            f"# The tool's own demos; set enabled = true (or delete a table) to add one to your site.{builtin}")


def demo_name(folder: Path) -> str:
    """The demo's name (its URL folder) from the folder's name: lower case, letters, digits, `-` and `_`."""
    name = re.sub(r"[^a-z0-9_-]+", "-", folder.name.lower()).strip("-_")
    return name or "demo"


def scaffold(folder: Path) -> list[Path]:
    """Write site.toml and demo.py into `folder` (created); refuses a folder that is not empty."""
    if folder.exists() and not folder.is_dir():
        raise BuildError(f"{folder}: is a file; give the name of a new folder")
    if folder.is_dir() and any(folder.iterdir()):
        raise BuildError(f"{folder}: the folder is not empty; give the name of a new folder "
                         "(nothing was written)")
    folder.mkdir(parents=True, exist_ok=True)
    files = {"site.toml": site_toml(demo_name(folder)), "demo.py": DEMO_PY}
    written = []
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
        written.append(folder / name)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m builders.new", description=__doc__.splitlines()[0])
    parser.add_argument("folder", help="the new project's folder (created; must not exist or be empty)")
    args = parser.parse_args(argv)
    folder = Path(args.folder)
    try:
        scaffold(folder)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {folder}: cannot write the project ({exc.strerror})", file=sys.stderr)
        return 2
    print(f"created {folder}/site.toml and {folder}/demo.py\n"
          f"next: cd {folder} && python -m builders.build && python -m builders.serve")
    return 0


if __name__ == "__main__":
    sys.exit(main())
