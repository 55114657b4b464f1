"""adjoint: derivatives as the Lagrangian says they should be computed.

A program is a constraint graph ``z_i = f_i(z_α(i))``. Its derivative is the solution of the
adjoint system ``(I - J_zz)ᵀ λ = ∇_z J`` for the Lagrange multipliers λ: back-substitution
where the graph is acyclic (reverse-mode AD), sparse direct and iterative solves where
constraints form cycles or define a fixed point.
"""

from graphs.constraint_graph import ConstraintGraph
from graphs.serialisation import load, save

from . import plot
from .block_pass import ConvergenceWarning
from .checks import TaylorResult, check_grads, taylor_test
from .coloured_jacobian import ColouredJacobian, sparse_jacobian
from .differentiate import grad, value_and_grad
from .errors import (
    AdjointError, ConvergenceError, GradientCheckError, GraphError, MissingRuleError,
    NonFiniteError, SingularSystemError, UnsupportedFunctionError,
)
from .fixed_point import fixed_point
from .hutchinson import FrobeniusEstimate, frobenius_estimate, jacobian_penalty
from .plan import Plan, compile  # noqa: A004 - adjoint.compile, as jax.jit: a namespaced name
from .solution import BlockReport, Solution
from .solve import solve
from .tangent import jacobian, jvp
from .tangent_pass import solve_tangent
from .tracing import trace

__all__ = [
    # derivatives of numpy code
    "grad", "value_and_grad", "jvp", "jacobian", "fixed_point", "compile", "Plan", "trace",
    # constraint graphs
    "ConstraintGraph", "solve", "solve_tangent", "sparse_jacobian", "ColouredJacobian",
    "Solution", "BlockReport", "save", "load",
    # checks and diagnostics
    "check_grads", "taylor_test", "TaylorResult", "frobenius_estimate", "FrobeniusEstimate",
    "jacobian_penalty", "plot",
    # errors and warnings
    "AdjointError", "ConvergenceError", "GradientCheckError", "GraphError", "MissingRuleError",
    "NonFiniteError", "SingularSystemError", "UnsupportedFunctionError", "ConvergenceWarning",
]
