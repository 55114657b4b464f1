"""Substitution through a torn cyclic block, with its feedback edges cut.

Cutting the edges that leave the iterates ``T`` makes a cyclic block acyclic, so both
directions become one pass in the block's order: forward substitution maps tangents of the
iterates (and of outside arguments) to the tangents the block produces, ``(∂F/∂T) ż_T + b_T``;
back-substitution maps multipliers of the iterates (and right-hand sides of the interior) to
what flows back into the iterates, ``(∂F/∂T)ᵀ λ_T + b_T``. The reduced systems of the adjoint,
the tangent and the Newton–Krylov methods, and the spectral estimate, are built from these.
"""


def forward_substitute_block(block, lins, seeds, outer):
    """Forward-substitute tangents through the block with its feedback edges cut.

    Parameters
    ----------
    block : graphs.structure.Block
        A cyclic block.
    lins : dict
        Node name -> ``LinearisedConstraint`` at the block's solution.
    seeds : dict
        Tangents of the iterates as the block reads them (missing: zero).
    outer : dict
        Tangents of arguments outside the block (missing: zero).

    Returns
    -------
    interior : dict
        Tangents of the interior nodes (missing: zero).
    iterates : dict
        ``(∂F/∂T) ż_T + b_T`` restricted to what is non-zero: the iterates' new tangents.

    Examples
    --------
    >>> import adjoint
    >>> from graphs.structure import strongly_connected_blocks
    >>> from adjoint.graph.linearisation import linearise
    >>> g = adjoint.ConstraintGraph()
    >>> g.add_input("x")
    >>> g.add_constraint("z", lambda z, x: z / 2 + x, ["z", "x"], init=0.0)
    >>> (block,) = strongly_connected_blocks(g)
    >>> lins = {"z": linearise(g, "z", [2.0, 1.0])}
    >>> forward_substitute_block(block, lins, {"z": 1.0}, {"x": 1.0})[1]["z"]
    array(1.5)
    """
    is_iterate = set(block.iterates)
    members = set(block.nodes)
    interior, iterates = {}, {}
    for name in block.nodes:
        lin = lins[name]
        tangents = [
            (seeds.get(a) if a in is_iterate else interior.get(a)) if a in members else outer.get(a)
            for a in lin.args
        ]
        if all(t is None for t in tangents):
            continue
        (iterates if name in is_iterate else interior)[name] = lin.jvp(tangents)
    return interior, iterates


def _plus(a, b):
    return b if a is None else (a if b is None else a + b)


def accumulate(acc, name, c):
    """``acc[name] += c``, where a missing entry is zero."""
    acc[name] = c if acc.get(name) is None else acc[name] + c


def back_substitute_block(block, lins, seeds, rhs):
    """Back-substitute through the block with its feedback edges cut.

    ``seeds`` are the multipliers of the iterates; ``rhs`` the right-hand sides of the
    interior. Returns ``(λ of the interior, contributions flowing into the iterates)``.
    """
    is_iterate = set(block.iterates)
    members = set(block.nodes)
    lam, into_iterates = {}, {}
    for name in reversed(block.nodes):
        if name in is_iterate:
            g = seeds.get(name)
        else:  # its users come later in the block's order: their contributions are all in
            g = lam[name] = _plus(rhs.get(name), lam.get(name))
        if g is None:
            continue
        for a, c in zip(lins[name].args, lins[name].vjp(g)):
            if c is None or a not in members:
                continue
            accumulate(into_iterates if a in is_iterate else lam, a, c)
    return lam, into_iterates
