"""Scatters in any XLA form, rewritten (in JAX, traced by the interpreter) as element scatters.

`lower_scatter` (indexing.py) maps the common form straight to TF.js' ScatterNd: every indexed
axis takes one element and the update windows cover the other axes whole. XLA's scatter is more
general: windows may be partial (`x.at[i, :2].set(...)`), run along an indexed axis
(`update_window_dims` over a dimension that `scatter_dims_to_operand_dims` also names), and
operand and indices may share batch dimensions (`vmap` of a scatter). Any of them is the same
as scattering each update element on its own at its full operand index: start index (from
`indices`, from the batch position, or 0) plus its offset inside the window. `element_scatter`
computes those indices with `jax.numpy` and emits the simple form, which `lower_scatter` then
converts with the same combiner.

Out-of-bounds windows follow the mode as XLA applies it: `FILL_OR_DROP` drops a window that does
not fit whole (its elements get an index past the end, which the simple form drops), `CLIP` and
`PROMISE_IN_BOUNDS` clamp the start so that the window fits.
"""

from __future__ import annotations

import jax.numpy as jnp
from jax import lax

SCATTERS = {"scatter": lax.scatter, "scatter-add": lax.scatter_add, "scatter_add": lax.scatter_add,
            "scatter-sub": lax.scatter_sub, "scatter_sub": lax.scatter_sub,
            "scatter-mul": lax.scatter_mul, "scatter_mul": lax.scatter_mul,
            "scatter-min": lax.scatter_min, "scatter_min": lax.scatter_min,
            "scatter-max": lax.scatter_max, "scatter_max": lax.scatter_max}


def is_simple(eqn) -> bool:
    """Whether `lower_scatter` takes this scatter directly (the form ScatterNd expresses)."""
    dn = eqn.params["dimension_numbers"]
    operand, _, updates = (v.aval for v in eqn.invars)
    inserted, index_map = list(dn.inserted_window_dims), list(dn.scatter_dims_to_operand_dims)
    if tuple(dn.operand_batching_dims) or sorted(inserted) != sorted(index_map):
        return False
    rest = [d for d in range(operand.ndim) if d not in index_map]
    window_dims = list(dn.update_window_dims)
    return len(window_dims) == len(rest) and all(
        updates.shape[w] == operand.shape[d] for w, d in zip(window_dims, rest))


def element_scatter(name: str):
    """The traced implementation of scatter primitive `name` in its general form."""
    scatter = SCATTERS[name]

    def impl(operand, indices, updates, *, dimension_numbers, mode, indices_are_sorted=False,
             unique_indices=False, update_jaxpr=None, update_consts=()):
        if name == "scatter" and update_jaxpr is not None:
            raise NotImplementedError("scatter with a custom combiner")
        dn = dimension_numbers
        rank, shape = operand.ndim, updates.shape
        window_dims = list(dn.update_window_dims)
        scatter_axes = [a for a in range(updates.ndim) if a not in window_dims]
        windowed = [d for d in range(rank) if d not in dn.inserted_window_dims and d not in dn.operand_batching_dims]
        if indices.dtype != jnp.int32:
            indices = indices.astype(jnp.int32)

        def spread(values):
            """indices' batch layout (the update's scatter axes, in order) broadcast to the update."""
            return jnp.broadcast_to(jnp.expand_dims(values, window_dims), shape)

        full = []
        for d in range(rank):
            size = shape[window_dims[windowed.index(d)]] if d in windowed else 1
            if d in dn.scatter_dims_to_operand_dims:
                start = spread(indices[..., list(dn.scatter_dims_to_operand_dims).index(d)])
            elif d in dn.operand_batching_dims:
                batch_axis = dn.scatter_indices_batching_dims[list(dn.operand_batching_dims).index(d)]
                start = lax.broadcasted_iota(jnp.int32, shape, scatter_axes[batch_axis])
            else:
                start = jnp.zeros(shape, jnp.int32)
            fits = (start >= 0) & (start <= operand.shape[d] - size)
            if mode != lax.GatherScatterMode.FILL_OR_DROP:
                start, fits = jnp.clip(start, 0, operand.shape[d] - size), None
            offset = lax.broadcasted_iota(jnp.int32, shape, window_dims[windowed.index(d)]) if d in windowed else 0
            full.append((start + offset, fits))
        if mode == lax.GatherScatterMode.FILL_OR_DROP:
            whole = jnp.all(jnp.stack([fits for _, fits in full]), axis=0)
            # a window that does not fit is dropped whole: all its elements go past the end
            full = [(jnp.where(whole, index, operand.shape[d]), None) for d, (index, _) in enumerate(full)]
        element_indices = jnp.stack([index for index, _ in full], axis=-1).reshape(-1, rank)
        numbers = lax.ScatterDimensionNumbers(update_window_dims=(), inserted_window_dims=tuple(range(rank)),
                                              scatter_dims_to_operand_dims=tuple(range(rank)))
        return scatter(operand, element_indices, updates.reshape(-1), numbers,
                       mode=lax.GatherScatterMode.FILL_OR_DROP)

    return impl
