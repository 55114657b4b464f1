"""The exceptions raised while building, tracing, saving or loading a graph.

They live in the lowest layer so that errors raised while tracing are already the ones users
catch; ``adjoint.errors`` is the one public module of the whole hierarchy and re-exports them.
Each is also the builtin exception of the same meaning, so ``except ValueError`` still works.
"""


class AdjointError(Exception):
    """Base class of every error this library raises on purpose."""


class InvalidArgumentError(AdjointError, ValueError):
    """A setting or argument is not one the function accepts; the message names it."""


class GraphError(AdjointError, ValueError):
    """A constraint graph, a trace or a saved file is malformed; the message names the node."""


class MissingRuleError(AdjointError, NotImplementedError):
    """A primitive has no derivative rule for the argument a derivative flows into."""


class UnsupportedFunctionError(AdjointError, TypeError):
    """A numpy function without derivative rules was applied to a traced value."""


class MissingDependencyError(AdjointError, ImportError):
    """An optional extra (cupy, matplotlib, tqdm) is needed and not installed; says what to install."""
