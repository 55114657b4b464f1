"""adjoint: derivatives as the Lagrangian says they should be computed.

A program is a constraint graph ``z_i = f_i(z_α(i))``. Its derivative is the solution of the
adjoint system ``(I - J_zz)ᵀ λ = ∇_z J`` for the Lagrange multipliers λ: back-substitution
where the graph is acyclic (reverse-mode AD), sparse direct and iterative solves where
constraints form cycles or define a fixed point.
"""

from graphs.constraint_graph import ConstraintGraph

from .differentiate import grad, value_and_grad
from .fixed_point import fixed_point
from .solution import BlockReport, Solution
from .block_pass import ConvergenceWarning
from .solve import solve
from .errors import (
    AdjointError, ConvergenceError, GraphError, MissingRuleError, NonFiniteError,
    SingularSystemError, UnsupportedFunctionError,
)

__all__ = [
    "grad", "value_and_grad", "fixed_point", "solve", "Solution", "BlockReport", "ConstraintGraph",
    "ConvergenceWarning",
    "AdjointError", "ConvergenceError", "GraphError", "MissingRuleError", "NonFiniteError",
    "SingularSystemError", "UnsupportedFunctionError",
]

# Verification and files (issue 4)
from .checks import TaylorResult, check_grads, taylor_test
from .errors import GradientCheckError
from .tracing import trace
from graphs.serialisation import load, save

__all__ += ["check_grads", "taylor_test", "TaylorResult", "GradientCheckError", "trace", "save", "load"]

# Research workflows: tangent mode, Jacobians, diagnostics, pictures, progress (issue 6)
from . import plot
from .hutchinson import FrobeniusEstimate, frobenius_estimate, jacobian_penalty
from .coloured_jacobian import ColouredJacobian, sparse_jacobian
from .tangent import jacobian, jvp
from .tangent_pass import solve_tangent

__all__ += ["jvp", "jacobian", "solve_tangent", "sparse_jacobian", "ColouredJacobian",
            "frobenius_estimate", "FrobeniusEstimate", "jacobian_penalty", "plot"]

# Performance: compiled, reusable plans (issue 5)
from .plan import Plan, compile  # noqa: A004 - adjoint.compile, as jax.jit: a namespaced name

__all__ += ["compile", "Plan"]
