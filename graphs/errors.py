"""The library's exception hierarchy.

It lives in the lowest layer so that errors raised while building or tracing a graph are
already the ones users catch; ``adjoint`` re-exports them and adds ``ConvergenceError``.
"""


class AdjointError(Exception):
    """Base class of every error this library raises on purpose."""


class GraphError(AdjointError, ValueError):
    """A constraint graph, a trace or a saved file is malformed; the message names the node."""


class MissingRuleError(AdjointError, NotImplementedError):
    """A primitive has no derivative rule for the argument a derivative flows into."""


class UnsupportedFunctionError(AdjointError, TypeError):
    """A numpy function without derivative rules was applied to a traced value."""
