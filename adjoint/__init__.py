"""adjoint: derivatives as the Lagrangian says they should be computed.

A program is a constraint graph ``z_i = f_i(z_α(i))``. Its derivative is the solution of the
adjoint system ``(I - J_zz)ᵀ λ = ∇_z J`` for the Lagrange multipliers λ: back-substitution
where the graph is acyclic (reverse-mode AD), sparse direct and iterative solves where
constraints form cycles or define a fixed point.
"""

from adjoint.diagnostics import plot
from adjoint.diagnostics.checks import TaylorResult, check_grads, taylor_test
from adjoint.diagnostics.hutchinson import FrobeniusEstimate, frobenius_estimate, jacobian_penalty
from adjoint.errors import (
    AdjointError,
    ConvergenceError,
    ConvergenceWarning,
    GradientCheckError,
    GraphError,
    InvalidArgumentError,
    MissingDependencyError,
    MissingRuleError,
    NonFiniteError,
    SingularSystemError,
    UnsupportedFunctionError,
)
from adjoint.graph.solution import BlockReport, Solution
from adjoint.graph.solve import solve
from adjoint.graph.solve_tangent import solve_tangent
from adjoint.implicit.argmin import ArgminReport, argmin
from adjoint.implicit.fixed_point import fixed_point
from adjoint.implicit.root import root
from adjoint.plans.plan import Plan, compile  # noqa: A004 - adjoint.compile, as jax.jit: a namespaced name
from adjoint.sparse_jacobians.coloured_jacobian import ColouredJacobian, sparse_jacobian
from adjoint.tape.grad import grad, value_and_grad
from adjoint.tape.jvp import jacobian, jvp, make_jvp
from adjoint.tape.operators import (
    checkpoint,
    deriv,
    elementwise_grad,
    grad_and_aux,
    grad_named,
    hessian,
    hessian_tensor_product,
    hessian_vector_product,
    holomorphic_grad,
    make_ggnvp,
    make_hvp,
    multigrad_dict,
    tensor_jacobian_product,
    vector_jacobian_product,
)
from adjoint.tape.trace import trace
from adjoint.tape.vjp import make_vjp
from graphs.constraint_graph import ConstraintGraph
from graphs.serialisation import Limits, load, save

__all__ = [
    # derivatives of numpy code
    "grad", "value_and_grad", "jvp", "jacobian", "compile", "Plan", "trace",
    # implicit constraints
    "fixed_point", "root", "argmin", "ArgminReport",
    # autograd's differential operators, same names and signatures
    "make_vjp", "make_jvp", "grad_and_aux", "elementwise_grad", "deriv", "hessian", "make_hvp",
    "hessian_tensor_product", "hessian_vector_product", "tensor_jacobian_product", "vector_jacobian_product",
    "make_ggnvp", "holomorphic_grad", "grad_named", "multigrad_dict", "checkpoint",
    # constraint graphs
    "ConstraintGraph", "solve", "solve_tangent", "sparse_jacobian", "ColouredJacobian",
    "Solution", "BlockReport", "save", "load", "Limits",
    # checks and diagnostics
    "check_grads", "taylor_test", "TaylorResult", "frobenius_estimate", "FrobeniusEstimate",
    "jacobian_penalty", "plot",
    # errors and warnings
    "AdjointError", "InvalidArgumentError", "GraphError", "MissingRuleError", "UnsupportedFunctionError",
    "MissingDependencyError", "ConvergenceError", "SingularSystemError", "NonFiniteError", "GradientCheckError",
    "ConvergenceWarning",
]
