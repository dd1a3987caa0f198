"""JAX -> TF.js graph-model converter (no TensorFlow needed).

    from builders.convert import convert_jax, verify
    convert_jax(prod, params, input_signatures=[((None, 2), "float32")],
                polymorphic_shapes=["(b, 2)"], model_dir="out/prod")
    verify("out/prod", prod, params, [np.ones((4, 2), np.float32)])
"""

from .converter import ConversionResult, convert_jax
from .errors import ConversionError, NodeRuntimeError, SignatureError, UnsupportedPrimitiveError, VerificationError
from .lowering import register, supported_primitives
from .verify import VerificationReport, VerifyCase, verify, verify_many

__all__ = [
    "ConversionError", "ConversionResult", "NodeRuntimeError", "SignatureError",
    "UnsupportedPrimitiveError", "VerificationError", "VerificationReport", "VerifyCase",
    "convert_jax", "register", "supported_primitives", "verify", "verify_many",
]
