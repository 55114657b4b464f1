"""Every exception and warning ``adjoint`` raises, named by what went wrong.

Each exception is an ``AdjointError`` and also the builtin of the same meaning
(``InvalidArgumentError`` is a ``ValueError``, ``ConvergenceError`` a ``RuntimeError``, ...).
The errors of graphs and tracing are defined in ``graphs.errors``, the lowest layer, and
re-exported here.
"""

import numpy as np

from graphs.errors import (
    AdjointError,
    GraphError,
    InvalidArgumentError,
    MissingDependencyError,
    MissingRuleError,
    UnsupportedFunctionError,
)

__all__ = [
    "AdjointError", "InvalidArgumentError", "GraphError", "MissingRuleError",
    "UnsupportedFunctionError", "MissingDependencyError", "ConvergenceError",
    "SingularSystemError", "NonFiniteError", "GradientCheckError", "ConvergenceWarning",
]


class ConvergenceError(AdjointError, RuntimeError):
    """A forward, adjoint or tangent solve of a cyclic block did not converge.

    Attributes
    ----------
    nodes : tuple
        The block's nodes.
    report : object
        The solver's report: ``residual``, ``iterations``, ``reason`` and ``code``.
    """

    def __init__(self, message, nodes=(), report=None):
        super().__init__(message)
        self.nodes = tuple(nodes)
        self.report = report


class SingularSystemError(AdjointError, np.linalg.LinAlgError):
    """``I - J_BB`` of a cyclic block is singular: its multipliers are not determined."""


class NonFiniteError(AdjointError, FloatingPointError):
    """A node's value or multiplier is NaN or infinite; the message names the first one."""


class GradientCheckError(AdjointError, AssertionError):
    """``check_grads`` found a gradient that disagrees with finite differences.

    The message is a table: per direction the analytic and numeric directional derivatives
    and their relative error. Being an ``AssertionError``, it fails a test like ``assert``.
    """


class ConvergenceWarning(RuntimeWarning):
    """A solve did not converge and ``throw=False`` asked to go on with the best iterate."""
