"""The adjoint pass of a cyclic block: ``(I - J_BB)ᵀ λ_B = rhs_B``.

``direct`` assembles ``I - J_BB`` over the whole block and factors it (SuperLU). Every other
method works on the reduced system of the iterates ``T`` (design.md, "Tearing"): back-
substituting through the block with its feedback edges cut maps multipliers of the iterates
to what flows back into them, ``λ_T ↦ (∂F/∂T)ᵀ λ_T``, and the interior's right-hand sides to
``b_T``; then ``(I - (∂F/∂T)ᵀ) λ_T = b_T`` is solved (GMRES, BiCGSTAB, LGMRES, fixed-point
iteration), truncated (Neumann-k), or skipped (JFB: ``λ_T = b_T``, back-substitution with the
feedback edges cut). The interior's multipliers follow by one more back-substitution.
Whatever the method, the residual of the full block system is computed afterwards.
"""

import numpy as np

import solvers

from adjoint.graph.cyclic.substitution import accumulate, back_substitute_block
from adjoint.graph.cyclic.forward import BlockState
from adjoint.graph.local_partials import assemble
from adjoint.diagnostics.progress import monitored
from adjoint.graph.cyclic.reduced_system import solve_reduced
from adjoint.graph.settings import AUTO_DIRECT_MAX_SIZE


def solve_adjoint(block, lins, rhs, method, settings):
    """The multipliers of the block; returns ``(λ per node, contributions to outer args, report)``.

    ``rhs[n]`` is ``∇_{z_n} J`` plus what flowed back from users outside the block (``None``
    for zero). The report's ``residual`` is ``‖(I - J_BB)ᵀ λ - rhs‖ / ‖rhs‖`` over the block.
    """
    shapes = {n: lins[n].value.shape for n in block.nodes}
    rhs = {n: (None if rhs.get(n) is None else np.broadcast_to(rhs[n], shapes[n])) for n in block.nodes}
    if method == "auto":
        total = sum(lins[n].value.size for n in block.nodes)
        method = "direct" if total <= AUTO_DIRECT_MAX_SIZE else "gmres"
    options = dict(settings.adjoint_options)
    if method == "direct":
        lam, report = _direct(block, lins, rhs, shapes, settings, options)
    else:
        lam, report = _reduced(block, lins, rhs, shapes, method, settings, options)
    residual, outer = _kkt_residual(block, lins, rhs, lam, shapes)
    report.residual = residual
    return lam, outer, report


def _zeros_or(x, shape):
    return np.zeros(shape) if x is None else x


def _direct(block, lins, rhs, shapes, settings, options):
    full = BlockState(block.nodes, shapes)
    sizes = dict(zip(block.nodes, full.sizes))
    J = assemble(block.nodes, block.nodes, lins, sizes)
    b = full.pack({n: _zeros_or(rhs[n], shapes[n]) for n in block.nodes})
    solve = monitored(solvers.solve_linear, settings, block, "adjoint")
    x, report = solve("direct", J.T.tocsr(), b, **settings.tolerances(), **options)
    return full.unpack(x), report


def _reduced(block, lins, rhs, shapes, method, settings, options):
    state = BlockState(block.iterates, shapes)
    _, into = back_substitute_block(block, lins, {}, rhs)
    b = state.pack({t: _zeros_or(rhs[t], shapes[t]) + _zeros_or(into.get(t), shapes[t]) for t in block.iterates})

    def K(v):  # (∂F/∂T)ᵀ v: what flows back into the iterates from their multipliers v
        _, flows = back_substitute_block(block, lins, state.unpack(np.asarray(v).ravel()), {})
        return state.pack({t: _zeros_or(flows.get(t), shapes[t]) for t in block.iterates})

    x, report = solve_reduced(method, K, b, settings, block, "adjoint", options)
    lam_T = state.unpack(x)
    lam, _ = back_substitute_block(block, lins, lam_T, rhs)
    lam.update(lam_T)
    return {n: _zeros_or(lam.get(n), shapes[n]) for n in block.nodes}, report


def _kkt_residual(block, lins, rhs, lam, shapes):
    """``‖λ_B - rhs_B - J_BBᵀ λ_B‖ / ‖rhs_B‖``, and the contributions to arguments outside."""
    members = set(block.nodes)
    acc, outer = {}, []
    for name in block.nodes:
        for a, c in zip(lins[name].args, lins[name].vjp(lam[name])):
            if c is None:
                continue
            if a in members:
                accumulate(acc, a, c)
            else:
                outer.append((a, c))
    r2 = b2 = 0.0
    for n in block.nodes:
        r = lam[n] - _zeros_or(rhs[n], shapes[n]) - _zeros_or(acc.get(n), shapes[n])
        r2 += float(np.sum(r * r))
        b2 += 0.0 if rhs[n] is None else float(np.sum(rhs[n] * rhs[n]))
    residual = np.sqrt(r2) / np.sqrt(b2) if b2 > 0 else np.sqrt(r2)
    return residual, outer
