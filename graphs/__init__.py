"""What a program is: constraint graphs, primitives with their rules, tracing, structure.

Imports numpy, scipy.sparse and networkx; never ``adjoint`` or ``solvers``.
"""

from .tape import Tape, Traced  # noqa: I001 - first: the rule tables import it back
from .errors import AdjointError, GraphError, MissingRuleError, UnsupportedFunctionError
from .primitive import PRIMITIVES, Primitive, defjvp, defpartial, defvjp, primitive
from .rules.elementwise_declaration import defelementwise

__all__ = [
    "Tape", "Traced", "AdjointError", "GraphError", "MissingRuleError", "UnsupportedFunctionError",
    "PRIMITIVES", "Primitive", "defjvp", "defpartial", "defvjp", "primitive", "defelementwise",
]
