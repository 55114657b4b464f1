"""One cyclic block solved forward, backward (adjoint) or forward-linearised (tangent).

The errors name the block, the solve that failed, its residual and iterations, and the
settings to change.
"""

import warnings

import numpy as np

import solvers
from adjoint.errors import ConvergenceError, ConvergenceWarning, InvalidArgumentError, SingularSystemError
from adjoint.graph.cyclic.forward import observed_contraction, solve_forward, sweep
from adjoint.graph.cyclic.linear_solve import solve_block_linear
from adjoint.graph.cyclic.spectral import reduced_jacobian
from adjoint.graph.cyclic.state import BlockState
from adjoint.graph.cyclic.substitution import accumulate
from adjoint.graph.settings import method_for, resolve_linear_method
from adjoint.graph.solution import BlockReport

#: A linear solve that amplifies its right-hand side by more than ``1 / (FOLD_FACTOR √ε)``,
#: ε the forward solve's relative tolerance, triggers the test for a singular point (a
#: fold): there a solve to residual ε stops about √ε from the singular solution, where
#: ``σ_min(I - J) ~ √ε``.
FOLD_FACTOR = 10.0
#: A Newton step from a regular solution cuts its residual quadratically; at a fold, by
#: about 4 (the error halves). A step that keeps more than this fraction of the residual
#: means the linearisation does not determine the solution: ``SingularSystemError``.
FOLD_RATIO = 0.1


def solve_block(graph, block, values, settings):
    """Solve the block's constraints; ``(linearisations at the solution, BlockReport)``.

    The report carries what the block's later linear solves need: ``∂F/∂T`` (for the
    spectral radius), the block's residual nodes (``add_residual``), and a Newton step from
    the solution for the singular-point test of ``adjoint_block`` and ``tangent_block``.
    """
    lins, report = forward_block(graph, block, values, settings)
    block_report = BlockReport(block.nodes, block.iterates, report)
    block_report.reduced_jacobian = reduced_jacobian(block, lins)
    block_report.residuals = residual_nodes(graph, block)
    block_report.newton_step_ratio = lambda: _newton_step_ratio(graph, block, values, lins, settings)
    return lins, block_report


def residual_nodes(graph, block):
    """The block's nodes defined by residual constraints (``add_residual``)."""
    return tuple(n for n in block.nodes if graph.nodes[n].get("residual") is not None)


def forward_block(graph, block, values, settings):
    """Solve the block's constraints; ``(linearisations at the solution, report)``."""
    method = method_for(settings.forward, block, "forward")
    residual = bool(residual_nodes(graph, block))
    lins, report = solve_forward(graph, block, values, method, settings, residual)
    if not report.converged:
        form = (" The solvers see a residual constraint F = 0 as the fixed point z = z - F(z): their "
                "'F(z) - z' is -F, 'I - J_F' is ∂F/∂z, and a singular one means no root near z0, or "
                "not an isolated one." if residual else "")
        _fail(
            f"the forward solve of the cyclic component {_names(block)} by '{report.method}' did "
            f"not converge: {report.reason} (relative residual {report.residual:.3e} after "
            f"{report.iterations} iterations). Try "
            f"{'a z0 (init) nearer a root' if residual else _other_forward(report.method)}, "
            f"forward_options={{'damping': 0.5}}, a better init, or a larger maxiter.{form}",
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
    residuals = block_report.residuals
    if residuals and solvers.capabilities(resolve_linear_method(method, 0), "linear").needs_contraction:
        raise InvalidArgumentError(
            f"{settings.linear_kind}={method!r} iterates x <- b + Kᵀx, which needs a contraction, but the "
            f"cyclic component {_names(block)} holds the residual constraint(s) {list(residuals)[:8]}, "
            f"whose Jacobian I - ∂F/∂z gives none; use {settings.linear_kind}='direct' or 'gmres' "
            f"(or 'auto')"
        )
    try:
        x, outer, report = solve_block_linear(block, lins, rhs, method, settings, transpose,
                                              block_report.assembled,
                                              observed_contraction(block_report.forward))
    except np.linalg.LinAlgError as e:
        raise SingularSystemError(
            f"I - J_BB of the cyclic component {_names(block)} is singular at the solution, so "
            f"its {unknowns} are not determined ({e}); the constraints do not fix these nodes "
            f"locally (some eigenvalue of ∂f/∂z equals 1)"
        ) from e
    setattr(block_report, phase, report)
    if report.converged:
        _refuse_singular_point(block, lins, rhs, x, report, settings, block_report, unknowns)
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


def _refuse_singular_point(block, lins, rhs, x, report, settings, block_report, unknowns):
    """Raise ``SingularSystemError`` where the block's solution sits at a singular point.

    At a fold (``z = z²/4 + x`` at ``x = 1``) the forward solve stops about √ε from the
    singular solution and reports convergence; the linear solve then succeeds too, and
    returns derivatives of order 1/√ε that depend on the method. Two signs, both needed:
    the solve amplifies its right-hand side by more than ``1 / (FOLD_FACTOR √ε)`` (or an
    iteration contracts more slowly than ``1 - FOLD_FACTOR √ε``), and one Newton step from
    the solution keeps more than ``FOLD_RATIO`` of its residual (linear, not quadratic,
    convergence). A regular but ill-conditioned solution passes the second test.
    """
    test = block_report.newton_step_ratio
    if test is None:
        return
    tolerance = solvers.Tolerance.nonlinear(**settings.tolerances())
    scale = np.sqrt(sum(float(np.sum(np.square(lins[t].value))) for t in block.iterates))
    eps = tolerance.rtol + tolerance.atol / max(scale, 1e-300)
    limit = 1.0 / (FOLD_FACTOR * np.sqrt(max(eps, np.finfo(float).eps)))
    b = np.sqrt(sum(float(np.sum(np.square(v))) for v in rhs.values() if v is not None))
    a = np.sqrt(sum(float(np.sum(np.square(v))) for v in x.values() if v is not None)) / b if b > 0 else 0.0
    history = [r for r in report.residuals if r > 0]
    contracting = solvers.capabilities(report.method, "linear").needs_contraction
    rate = history[-1] / history[-2] if contracting and len(history) >= 2 else 0.0
    if a <= limit and rate <= 1.0 - 1.0 / limit:
        return
    ratio, residual = test()
    if ratio is None or ratio <= FOLD_RATIO:
        return
    raise SingularSystemError(
        f"I - J_BB of the cyclic component {_names(block)} is singular at the solution to the forward "
        f"tolerance (rtol={tolerance.rtol:g}, atol={tolerance.atol:g}): the {unknowns} are amplified "
        f"{a:.3g}-fold, and a Newton step from the solution keeps {ratio:.2g} of its residual "
        f"{residual:.3g} (a regular solution loses nearly all of it). The solution is at or past a fold "
        f"(a turning point, where two solutions meet), or is not isolated: its derivatives are not "
        f"determined. Move the parameters away from the fold, or tighten rtol if the point is regular "
        f"but ill-conditioned"
    )


def _newton_step_ratio(graph, block, values, lins, settings):
    """``(‖r(T + δ)‖ / ‖r(T)‖, ‖r(T)‖)`` for the Newton step δ from the block's solution T.

    ``r(T) = F(T) - T`` on the iterates; ``δ`` solves ``(I - J_BB) δ = r`` by sparse LU on
    the assembled block (or GMRES where ``adjoint`` says so for a large block). ``(None, ‖r‖)``
    where ``r`` is far below the tolerance, so that no fold can have stopped the solve there.
    """
    iterates = {t: lins[t].value for t in block.iterates}
    state = BlockState(block.iterates, {t: np.shape(v) for t, v in iterates.items()})
    new, _, _ = sweep(graph, block, values, iterates, False)
    r = state.pack(new) - state.pack(iterates)
    r_norm = float(np.linalg.norm(r))
    tolerance = solvers.Tolerance.nonlinear(**settings.tolerances())
    if r_norm <= 1e-3 * (tolerance.rtol * float(np.linalg.norm(state.pack(iterates))) + tolerance.atol):
        return None, r_norm
    linear = resolve_linear_method(method_for(settings.adjoint, block, settings.linear_kind),
                                   sum(lins[n].value.size for n in block.nodes))
    if not solvers.capabilities(linear, "linear").exact or solvers.capabilities(linear, "linear").needs_contraction:
        linear = "gmres"
    try:
        step, _, _ = solve_block_linear(block, lins, state.unpack(r), linear, settings, transpose=False)
        trial = {t: iterates[t] + step[t] for t in block.iterates}
        new, _, _ = sweep(graph, block, values, trial, False)
    except (ArithmeticError, ValueError, np.linalg.LinAlgError):
        return None, r_norm  # the step left the constraints' domain: no evidence either way
    r_new = float(np.linalg.norm(state.pack(new) - state.pack(trial)))
    return (r_new / r_norm if np.isfinite(r_new) else np.inf), r_norm


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
