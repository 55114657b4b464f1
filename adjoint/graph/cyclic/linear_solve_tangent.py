"""The tangent system of a cyclic block: ``(I - J_BB) ż_B = rhs_B``, non-transposed.

The transposed story of ``cyclic_adjoint``. ``rhs_B`` is what the tangents of the block's
arguments outside it cause: ``rhs_i = Σ_{j ∉ B} (∂f_i/∂z_j) ż_j``. ``direct`` assembles
``I - J_BB`` and factors it; every other method works on the iterates ``T``: forward-
substituting through the block with its feedback edges cut maps the iterates' tangents to
their new tangents, ``ż_T ↦ (∂F/∂T) ż_T``, and the outer tangents alone to ``b_T``; then
``(I - ∂F/∂T) ż_T = b_T`` is solved by the same linear solvers as the adjoint (GMRES,
BiCGSTAB, LGMRES, fixed-point iteration), truncated (Neumann-k), or skipped (JFB:
``ż_T = b_T``). The interior's tangents follow by one more forward substitution, and the
residual of the full block system is computed afterwards, whatever the method.
"""

import numpy as np

import solvers

from adjoint.graph.cyclic.substitution import forward_substitute_block
from adjoint.graph.cyclic.forward import BlockState
from adjoint.graph.local_partials import assemble
from adjoint.diagnostics.progress import monitored
from adjoint.graph.cyclic.reduced_system import solve_reduced
from adjoint.graph.settings import AUTO_DIRECT_MAX_SIZE


def solve_tangent(block, lins, outer, method, settings):
    """The tangents of the block's nodes; returns ``(ż per node, report)``.

    ``outer`` holds the tangents of the block's arguments outside it. The report's
    ``residual`` is ``‖(I - J_BB) ż_B - rhs_B‖ / ‖rhs_B‖`` over the whole block.
    """
    shapes = {n: lins[n].value.shape for n in block.nodes}
    if method == "auto":
        total = sum(lins[n].value.size for n in block.nodes)
        method = "direct" if total <= AUTO_DIRECT_MAX_SIZE else "gmres"
    options = dict(settings.adjoint_options)
    if method == "direct":
        dot, report = _direct(block, lins, outer, shapes, settings, options)
    else:
        dot, report = _reduced(block, lins, outer, shapes, method, settings, options)
    report.residual = _tangent_residual(block, lins, outer, dot)
    return dot, report


def _zeros_or(x, shape):
    return np.zeros(shape) if x is None else np.broadcast_to(x, shape)


def _outer_only(block, lin, outer):
    members = set(block.nodes)
    return [None if a in members else outer.get(a) for a in lin.args]


def _direct(block, lins, outer, shapes, settings, options):
    full = BlockState(block.nodes, shapes)
    J = assemble(block.nodes, block.nodes, lins, dict(zip(block.nodes, full.sizes)))
    b = full.pack({n: lins[n].jvp(_outer_only(block, lins[n], outer)) for n in block.nodes})
    solve = monitored(solvers.solve_linear, settings, block, "tangent")
    x, report = solve("direct", J.tocsr(), b, **settings.tolerances(), **options)
    return full.unpack(x), report


def _reduced(block, lins, outer, shapes, method, settings, options):
    state = BlockState(block.iterates, shapes)
    _, into = forward_substitute_block(block, lins, {}, outer)
    b = state.pack({t: _zeros_or(into.get(t), shapes[t]) for t in block.iterates})

    def K(v):  # (∂F/∂T) v: the iterates' new tangents caused by their tangents v
        _, new = forward_substitute_block(block, lins, state.unpack(np.asarray(v).ravel()), {})
        return state.pack({t: _zeros_or(new.get(t), shapes[t]) for t in block.iterates})

    x, report = solve_reduced(method, K, b, settings, block, "tangent", options)
    dot_T = state.unpack(x)
    interior, _ = forward_substitute_block(block, lins, dot_T, outer)
    dot = {n: _zeros_or(interior.get(n), shapes[n]) for n in block.interior}
    dot.update(dot_T)
    return dot, report


def _tangent_residual(block, lins, outer, dot):
    """``‖ż_B - J_BB ż_B - rhs_B‖ / ‖rhs_B‖``: one JVP per node with and without ż_B."""
    members = set(block.nodes)
    r2 = b2 = 0.0
    for name in block.nodes:
        lin = lins[name]
        full = [dot.get(a) if a in members else outer.get(a) for a in lin.args]
        r = dot[name] - lin.jvp(full)
        rhs = lin.jvp(_outer_only(block, lin, outer))
        r2 += float(np.sum(r * r))
        b2 += float(np.sum(rhs * rhs))
    return np.sqrt(r2) / np.sqrt(b2) if b2 > 0 else np.sqrt(r2)
