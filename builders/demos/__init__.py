"""The demos a site can contain, in the order the index lists them."""

from __future__ import annotations

from types import ModuleType

from . import jax_example, lit, mnist, toxicity

DEMO_MODULES: list[ModuleType] = [
    jax_example,
    mnist,
    toxicity,
    lit,
]


def demo_registry() -> dict[str, ModuleType]:
    """Demo name -> module (each has NAME, Config and build_assets)."""
    return {m.NAME: m for m in DEMO_MODULES}
