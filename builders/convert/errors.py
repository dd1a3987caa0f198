"""Typed exceptions raised by the converter. Only CLIs print them."""

from __future__ import annotations


class ConversionError(Exception):
    """The function or its inputs cannot be converted to a TF.js graph model."""


class SignatureError(ConversionError):
    """`input_signatures` / `polymorphic_shapes` are malformed or disagree."""


class UnsupportedPrimitiveError(ConversionError):
    """A JAX primitive has no TF.js lowering.

    Carries the primitive name, its input shapes and the user's source line so
    the message can point at the code that produced it.
    """

    def __init__(self, primitive: str, input_shapes: list[str], source_line: str, hint: str = ""):
        self.primitive = primitive
        self.input_shapes = input_shapes
        self.source_line = source_line
        shapes = ", ".join(input_shapes) or "no inputs"
        message = (
            f"JAX primitive '{primitive}' (inputs: {shapes}) at {source_line} "
            "has no TF.js lowering in this converter."
        )
        message += " " + (hint or (
            "Rewrite that line with supported operations (see the 'Supported primitives' "
            "page of the docs), or add a lowering with "
            "builders.convert.lowering.register('" + primitive + "')."
        ))
        super().__init__(message)


class VerificationError(ConversionError):
    """TF.js outputs disagree with JAX beyond the tolerance."""


class NodeRuntimeError(ConversionError):
    """Node.js or @tensorflow/tfjs could not be run to execute a model."""


class UnsupportedDtypeError(ConversionError, TypeError):
    """A value's dtype has no TF.js equivalent (complex numbers). Also a TypeError, for callers
    that treated it as one."""
