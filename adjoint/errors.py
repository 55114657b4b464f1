"""Errors raised by ``adjoint``; the base and the graph errors come from ``graphs``."""

import numpy as np

from graphs.errors import AdjointError, GraphError, MissingRuleError, UnsupportedFunctionError

__all__ = [
    "AdjointError", "GraphError", "MissingRuleError", "UnsupportedFunctionError",
    "ConvergenceError", "SingularSystemError", "NonFiniteError",
]


class ConvergenceError(AdjointError, RuntimeError):
    """A forward or adjoint solve of a cyclic block did not converge.

    Attributes
    ----------
    nodes : tuple
        The block's nodes.
    report : object
        The solver's report: ``residual``, ``iterations``, ``reason``.
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


__all__.append("GradientCheckError")
