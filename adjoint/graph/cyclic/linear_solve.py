"""The one linear solve of a cyclic block, used transposed (adjoint) and plain (tangent).

``(I - J_BB)ᵀ λ_B = rhs_B`` gives the block's multipliers, ``(I - J_BB) ż_B = rhs_B`` its
tangents. A method that needs an explicit matrix (``direct``) assembles ``J_BB`` over the
whole block. Every other method works on the reduced system of the iterates ``T``, the block
torn at them: substitution through the block with its feedback edges cut — back-substitution
when transposed, forward substitution when not — maps the iterates' unknowns to what flows
back into them, ``x_T ↦ K x_T`` with ``K = (∂F/∂T)ᵀ`` or ``∂F/∂T``, and the interior's
right-hand sides to ``b_T``; then ``(I - K) x_T = b_T`` is solved (GMRES, BiCGSTAB, LGMRES,
fixed-point iteration), truncated (Neumann-k) or skipped (JFB, Neumann-0: ``x_T = b_T``). The
interior's unknowns follow by one more substitution. Whatever the method, the residual of the
full block system is computed afterwards.
"""

import numpy as np
import scipy.sparse.linalg as spla

import solvers
from adjoint.diagnostics.progress import monitored
from adjoint.errors import AdjointError
from adjoint.graph.cyclic.state import BlockState, zeros_or
from adjoint.graph.cyclic.substitution import (
    accumulate,
    back_substitute_block,
    forward_substitute_block,
    plus,
)
from adjoint.graph.local_partials import assemble
from adjoint.graph.settings import resolve_linear_method


def solve_block_linear(block, lins, rhs, method, settings, transpose, assembled=None, contraction=None):
    """Solve ``(I - J_BB)ᵀ x = rhs`` (``transpose``) or ``(I - J_BB) x = rhs`` on a cyclic block.

    Parameters
    ----------
    block : graphs.structure.Block
    lins : dict
        Node name -> ``LinearisedConstraint`` at the block's solution.
    rhs : dict
        Node of the block -> right-hand side (missing or ``None``: zero).
    method : str
        A linear method of ``solvers`` or ``"auto"``.
    settings : adjoint.graph.settings.Settings
    transpose : bool
        True for the adjoint (multipliers), False for the tangent system.
    assembled : dict, optional
        Where the assembled ``J_BB`` of a matrix method is kept between solves on the same
        ``lins`` (a Jacobian takes one solve per row or column; assembling is the costly part).
    contraction : float, optional
        The forward Picard solve's observed rate, for ``"auto"`` (``resolve_linear_method``).

    Returns
    -------
    x : dict
        Node of the block -> its unknown.
    outer : list of (name, array)
        With ``transpose``, the contributions ``(∂f_i/∂z_a)ᵀ λ_i`` to arguments ``a`` outside
        the block (one entry per edge); empty otherwise.
    report : solvers.SolveReport
        Its ``residual`` is ``‖(I - J_BB)^(T) x - rhs‖ / ‖rhs‖`` over the whole block.

    Examples
    --------
    The cycle ``a = b / 2 + x``, ``b = a`` torn at ``a``; its multipliers for ``∇_a J = 1``:

    >>> import adjoint
    >>> from graphs.structure import strongly_connected_blocks
    >>> from adjoint.graph.linearisation import linearise
    >>> from adjoint.graph.settings import Settings
    >>> g = adjoint.ConstraintGraph()
    >>> g.add_input("x")
    >>> g.add_constraint("a", lambda b, x: b / 2 + x, ["b", "x"], init=0.0)
    >>> g.add_constraint("b", lambda a: a * 1.0, ["a"])
    >>> (block,) = strongly_connected_blocks(g)
    >>> lins = {"a": linearise(g, "a", [2.0, 1.0]), "b": linearise(g, "b", [2.0])}
    >>> lam, outer, report = solve_block_linear(block, lins, {"a": 1.0}, "gmres", Settings(), True)
    >>> lam["a"], lam["b"], outer, report.converged
    (array(2.), array(1.), [('x', array(2.))], True)
    """
    shapes = {n: lins[n].value.shape for n in block.nodes}
    rhs = {n: None if rhs.get(n) is None else np.broadcast_to(rhs[n], shapes[n]) for n in block.nodes}
    method = resolve_linear_method(method, sum(lins[n].value.size for n in block.nodes), contraction)
    solve = monitored(solvers.solve_linear, settings, block, "adjoint" if transpose else "tangent")
    options = {**settings.tolerances(), **settings.linear_options_for(method)}
    capabilities = solvers.capabilities(method, "linear")
    full = BlockState(block.nodes, shapes)
    J = None
    if capabilities.needs_matrix or capabilities.prefers_matrix:
        J = None if assembled is None else assembled.get("J")
        if J is None:
            try:
                J = assemble(block.nodes, block.nodes, lins, dict(zip(block.nodes, full.sizes)))
            except AdjointError:
                if capabilities.needs_matrix:
                    raise
                # a method that only prefers a matrix ("petsc") takes the matrix-free operator
        if assembled is not None and J is not None:
            assembled["J"] = J
    if J is not None:
        vec, report = solve(method, (J.T if transpose else J).tocsr(), full.pack(rhs), **options)
        x = full.unpack(vec)
    else:
        x, report = _reduced(block, lins, rhs, shapes, method, solve, options, transpose)
    # Torn at every node, the reduced system is the block's: a method that reports the true
    # residual of its answer has given the block's, and one more application of J_BB (a
    # matmul per node of a DEQ layer) is spared.
    certified = J is None and not block.interior and capabilities.true_residual
    inside, outer = apply_block(block, lins, x, transpose, outer_only=certified)
    if certified:
        return x, outer, report
    r2 = b2 = 0.0
    for n in block.nodes:
        r = x[n] - zeros_or(plus(rhs[n], inside.get(n)), shapes[n])
        r2 += float(np.sum(r * r))
        b2 += 0.0 if rhs[n] is None else float(np.sum(rhs[n] * rhs[n]))
    report.residual = np.sqrt(r2) / np.sqrt(b2) if b2 > 0 else np.sqrt(r2)
    return x, outer, report


def _reduced(block, lins, rhs, shapes, method, solve, options, transpose):
    substitute = back_substitute_block if transpose else forward_substitute_block
    state = BlockState(block.iterates, shapes)
    _, into = substitute(block, lins, {}, rhs)
    b = state.pack({t: plus(rhs[t], into.get(t)) for t in block.iterates})

    def K(v):  # what flows back into the iterates from their own unknowns v
        return state.pack(substitute(block, lins, state.unpack(np.asarray(v).ravel()), {})[1])

    op = spla.LinearOperator((b.size, b.size), matvec=K, dtype=np.float64)
    vec, report = solve(method, op, b, **options)
    x_T = state.unpack(vec)
    if not block.interior:
        return x_T, report
    interior, _ = substitute(block, lins, x_T, rhs)
    x = {n: np.array(zeros_or(interior.get(n), shapes[n])) for n in block.interior}
    x.update(x_T)
    return x, report


def apply_block(block, lins, x, transpose, outer_only=False):
    """``J_BBᵀ x`` (``transpose``) or ``J_BB x`` over the block, node by node.

    Returns ``(inside, outer)``: node of the block -> its entry (missing: zero), and, when
    transposed, the contributions ``(∂f_i/∂z_a)ᵀ x_i`` to arguments ``a`` outside the block.
    ``outer_only``: ``inside`` is not wanted (and left empty).
    """
    members = set(block.nodes)
    inside, outer = {}, []
    if outer_only and not transpose:
        return inside, outer
    for name in block.nodes:
        lin = lins[name]
        if transpose:
            positions = None
            if outer_only:
                positions = tuple(k for k, a in enumerate(lin.args) if a not in members)
            for a, c in zip(lin.args, lin.vjp(x[name], positions)):
                if c is None:
                    continue
                if a in members:
                    accumulate(inside, a, c)
                else:
                    outer.append((a, c))
        else:
            tangents = [x.get(a) if a in members else None for a in lin.args]
            if any(t is not None for t in tangents):
                inside[name] = lin.jvp(tangents)
    return inside, outer
