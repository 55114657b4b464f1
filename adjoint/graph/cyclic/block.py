"""One cyclic block solved forward, backward (adjoint) or forward-linearised (tangent).

The errors name the block, the solve that failed, its residual and iterations, and the
settings to change.
"""

import warnings

import numpy as np

import solvers
from adjoint.errors import ConvergenceError, ConvergenceWarning, SingularSystemError
from adjoint.graph.cyclic.forward import solve_forward
from adjoint.graph.cyclic.linear_solve import solve_block_linear
from adjoint.graph.cyclic.substitution import accumulate
from adjoint.graph.settings import method_for


def forward_block(graph, block, values, settings):
    """Solve the block's constraints; ``(linearisations at the solution, report)``."""
    method = method_for(settings.forward, block, "forward")
    lins, report = solve_forward(graph, block, values, method, settings)
    if not report.converged:
        _fail(
            f"the forward solve of the cyclic component {_names(block)} by '{report.method}' did "
            f"not converge: {report.reason} (relative residual {report.residual:.3e} after "
            f"{report.iterations} iterations). Try {_other_forward(report.method)}, "
            f"forward_options={{'damping': 0.5}}, a better init, or a larger maxiter",
            block, report, settings,
        )
    return lins, report


def adjoint_block(block, lins, lam, settings, block_report):
    """The block's multipliers from ``lam`` (node -> λ so far), added to ``lam`` in place.

    Solves ``(I - J_BB)ᵀ λ_B = rhs_B`` and passes ``(∂f_i/∂z_a)ᵀ λ_i`` on to the arguments
    outside the block.
    """
    lam_block, outer = _linear_block(block, lins, {n: lam.get(n) for n in block.nodes}, settings,
                                     block_report, transpose=True)
    lam.update(lam_block)
    for a, c in outer:
        accumulate(lam, a, c)


def tangent_block(block, lins, outer, settings, block_report):
    """The tangents of the block's nodes from the tangents ``outer`` of its outside arguments.

    Solves ``(I - J_BB) ż_B = rhs_B`` with ``rhs_i = Σ_{a ∉ B} (∂f_i/∂z_a) ż_a``.
    """
    members = set(block.nodes)
    rhs = {}
    for n in block.nodes:
        ts = [None if a in members else outer.get(a) for a in lins[n].args]
        if any(t is not None for t in ts):
            rhs[n] = lins[n].jvp(ts)
    return _linear_block(block, lins, rhs, settings, block_report, transpose=False)[0]


def _linear_block(block, lins, rhs, settings, block_report, transpose):
    phase, unknowns = ("adjoint", "multipliers") if transpose else ("tangent", "tangents")
    method = method_for(settings.adjoint, block, settings.linear_kind)
    try:
        x, outer, report = solve_block_linear(block, lins, rhs, method, settings, transpose)
    except np.linalg.LinAlgError as e:
        raise SingularSystemError(
            f"I - J_BB of the cyclic component {_names(block)} is singular at the solution, so "
            f"its {unknowns} are not determined ({e}); the constraints do not fix these nodes "
            f"locally (some eigenvalue of ∂f/∂z equals 1)"
        ) from e
    setattr(block_report, phase, report)
    if not report.converged:
        kind = settings.linear_kind
        _fail(
            f"the {phase} solve of the cyclic component {_names(block)} by '{report.method}' did "
            f"not converge: {report.reason} (residual {report.residual:.3e} after "
            f"{report.iterations} iterations). Try {kind}='direct' for a small component, a "
            f"larger maxiter, or {kind}_options={{'restart': 100}} for GMRES",
            block, report, settings,
        )
    return x, outer


def _other_forward(method):
    if solvers.capabilities(method, "nonlinear").derivative_free:
        return "forward='newton' (needs no contraction)"
    return "forward='anderson'"


def _fail(message, block, report, settings):
    if settings.throw:
        raise ConvergenceError(message, block.nodes, report)
    warnings.warn(message, ConvergenceWarning, stacklevel=5)


def _names(block):
    return "[" + ", ".join(map(repr, block.nodes[:8])) + (", …]" if len(block.nodes) > 8 else "]")
