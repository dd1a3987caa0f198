"""Graph-building helpers shared by the lowerings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ..graph import GraphBuilder, Sym, attr_bool, attr_int, attr_int_list, attr_type, dims_equal, is_static_dim


@dataclass
class LoweringContext:
    """State shared by all lowerings of one conversion."""

    graph: GraphBuilder
    # ref of a BroadcastTo output -> the tensor before broadcasting, so elementwise ops
    # can rely on TF's implicit broadcasting and skip materialising the big tensor.
    broadcast_sources: dict[str, Sym] = field(default_factory=dict)

    # ---- shape ops ---------------------------------------------------------------------------
    def reshape(self, x: Sym, shape: Sequence[Any], name: str = "Reshape") -> Sym:
        shape = tuple(shape)
        if len(shape) == x.rank and all(dims_equal(a, b) for a, b in zip(x.shape, shape)):
            return x
        shape_t = self.graph.shape_tensor(shape, allow_minus_one=True)
        return self.graph.op("Reshape", [x, shape_t], {"Tshape": attr_type(np.int32)},
                             shape=shape, dtype=x.dtype, name=name)

    def transpose(self, x: Sym, perm: Sequence[int]) -> Sym:
        perm = tuple(int(p) for p in perm)
        if perm == tuple(range(x.rank)):
            return x
        perm_t = self.graph.const_array(np.array(perm, np.int32), name="perm")
        return self.graph.op("Transpose", [x, perm_t], {"Tperm": attr_type(np.int32)},
                             shape=tuple(x.shape[p] for p in perm), dtype=x.dtype)

    def expand_dims(self, x: Sym, axis: int) -> Sym:
        axis_t = self.graph.const_array(np.int32(axis), name="axis")
        shape = list(x.shape)
        shape.insert(axis, 1)
        return self.graph.op("ExpandDims", [x, axis_t], {"Tdim": attr_type(np.int32)},
                             shape=shape, dtype=x.dtype)

    def broadcast_to(self, x: Sym, shape: Sequence[Any]) -> Sym:
        shape = tuple(shape)
        if x.rank == len(shape) and all(dims_equal(a, b) for a, b in zip(x.shape, shape)):
            return x
        shape_t = self.graph.shape_tensor(shape)
        out = self.graph.op("BroadcastTo", [x, shape_t], {"Tidx": attr_type(np.int32)},
                            shape=shape, dtype=x.dtype)
        self.broadcast_sources[out.ref] = x
        return out

    def cast(self, x: Sym, dtype) -> Sym:
        from ..dtypes import tfjs_dtype

        target = np.dtype(tfjs_dtype(dtype))
        if x.dtype == target:
            return x
        if target == np.bool_:
            zero = self.graph.const_array(np.zeros((), x.dtype))
            return self.graph.op("NotEqual", [x, zero], shape=x.shape, dtype=np.bool_)
        return self.graph.op("Cast", [x], {"SrcT": attr_type(x.dtype), "DstT": attr_type(target),
                                           "Truncate": attr_bool(False)},
                             shape=x.shape, dtype=target, typed=False)

    def scalar(self, value: Any, dtype) -> Sym:
        return self.graph.const_array(np.asarray(value, dtype=dtype))

    def reduce(self, op: str, x: Sym, axes: Sequence[int], keep_dims: bool = False) -> Sym:
        axes = tuple(int(a) for a in axes)
        if not axes:
            return x
        axes_t = self.graph.const_array(np.array(axes, np.int32), name="axes")
        shape = [1 if i in axes else d for i, d in enumerate(x.shape)] if keep_dims else \
            [d for i, d in enumerate(x.shape) if i not in axes]
        return self.graph.op(op, [x, axes_t], {"keep_dims": attr_bool(keep_dims),
                                                "Tidx": attr_type(np.int32)},
                             shape=shape, dtype=x.dtype)

    def strided_slice(self, x: Sym, begin: Sequence[int], end: Sequence[int],
                      strides: Sequence[int] | None = None, *, shape: Sequence[Any],
                      begin_mask: int = 0, end_mask: int = 0, shrink_axis_mask: int = 0) -> Sym:
        strides = strides or [1] * len(begin)
        g = self.graph
        return g.op("StridedSlice",
                    [x, g.const_array(np.array(begin, np.int32)), g.const_array(np.array(end, np.int32)),
                     g.const_array(np.array(strides, np.int32))],
                    {"begin_mask": attr_int(begin_mask), "end_mask": attr_int(end_mask),
                     "ellipsis_mask": attr_int(0), "new_axis_mask": attr_int(0),
                     "shrink_axis_mask": attr_int(shrink_axis_mask), "Index": attr_type(np.int32)},
                    shape=shape, dtype=x.dtype)

    def squeeze(self, x: Sym, axes: Sequence[int]) -> Sym:
        axes = sorted(int(a) % max(x.rank, 1) for a in axes)
        if not axes:
            return x
        shape = [d for i, d in enumerate(x.shape) if i not in axes]
        return self.graph.op("Squeeze", [x], {"squeeze_dims": attr_int_list(axes)},
                             shape=shape, dtype=x.dtype)


def out_aval(eqn, index: int = 0):
    """The abstract value (shape, dtype) of an equation output."""
    return eqn.outvars[index].aval


def static_shape(shape: Sequence[Any]) -> bool:
    return all(is_static_dim(d) for d in shape)
