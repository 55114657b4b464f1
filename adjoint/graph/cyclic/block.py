"""Solving one cyclic block forward or backward, with the errors that name it."""

import warnings

import numpy as np

from adjoint.graph.cyclic.linear_solve import solve_adjoint
from adjoint.graph.cyclic.forward import solve_forward
from adjoint.graph.cyclic.linear_solve_tangent import solve_tangent
from adjoint.errors import ConvergenceError, ConvergenceWarning, SingularSystemError
from adjoint.graph.settings import method_for


def forward_block(graph, block, values, settings):
    method = method_for(settings.forward, block, "forward")
    lins, report = solve_forward(graph, block, values, method, settings)
    if not report.converged:
        _fail(
            f"the forward solve of the cyclic component {_names(block)} by '{report.method}' did "
            f"not converge: {report.reason} (relative residual {report.residual:.3e} after "
            f"{report.iterations} iterations). Try "
            + ("forward='anderson', " if report.method.startswith("newton") else "forward='newton' (needs no contraction), ")
            + "forward_options={'damping': 0.5}, a better init, or a larger maxiter",
            block, report, settings,
        )
    return lins, report


def adjoint_block(block, lins, lam, settings, block_report):
    method = method_for(settings.adjoint, block, "adjoint")
    rhs = {n: lam.get(n) for n in block.nodes}
    try:
        lam_block, outer, report = solve_adjoint(block, lins, rhs, method, settings)
    except np.linalg.LinAlgError as e:
        raise SingularSystemError(
            f"I - J_BB of the cyclic component {_names(block)} is singular at the solution, so "
            f"its multipliers are not determined ({e}); the constraints do not fix these nodes "
            f"locally (some eigenvalue of ∂f/∂z equals 1)"
        ) from e
    block_report.adjoint = report
    lam.update(lam_block)
    for a, c in outer:
        lam[a] = c if lam.get(a) is None else lam[a] + c
    if not report.converged:
        _fail(
            f"the adjoint solve of the cyclic component {_names(block)} by '{report.method}' did "
            f"not converge: {report.reason} (KKT residual {report.residual:.3e} after "
            f"{report.iterations} iterations). Try adjoint='direct' for a small component, a "
            f"larger maxiter, or adjoint_options={{'restart': 100}} for GMRES",
            block, report, settings,
        )


def tangent_block(block, lins, outer, settings, block_report):
    """The tangents of a cyclic block, ``(I - J_BB) ż_B = rhs_B``; errors as for the adjoint."""
    method = method_for(settings.adjoint, block, "adjoint")
    try:
        dot, report = solve_tangent(block, lins, outer, method, settings)
    except np.linalg.LinAlgError as e:
        raise SingularSystemError(
            f"I - J_BB of the cyclic component {_names(block)} is singular at the solution, so "
            f"its tangents are not determined ({e}); some eigenvalue of ∂f/∂z equals 1"
        ) from e
    block_report.tangent = report
    if not report.converged:
        _fail(
            f"the tangent solve of the cyclic component {_names(block)} by '{report.method}' did "
            f"not converge: {report.reason} (residual {report.residual:.3e} after "
            f"{report.iterations} iterations). Try adjoint='direct' for a small component, a "
            f"larger maxiter, or adjoint_options={{'restart': 100}} for GMRES",
            block, report, settings,
        )
    return dot


def _fail(message, block, report, settings):
    if settings.throw:
        raise ConvergenceError(message, block.nodes, report)
    warnings.warn(message, ConvergenceWarning, stacklevel=4)


def _names(block):
    return "[" + ", ".join(map(repr, block.nodes[:8])) + (", …]" if len(block.nodes) > 8 else "]")
