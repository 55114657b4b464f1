"""Substitution through a torn cyclic block, with its feedback edges cut.

Cutting the edges that leave the iterates ``T`` makes a cyclic block acyclic, so both
directions become one pass in the block's order: forward substitution maps tangents of the
iterates (and right-hand sides of the interior) to the tangents the block produces, ``(∂F/∂T) ż_T + b_T``;
back-substitution maps multipliers of the iterates (and right-hand sides of the interior) to
what flows back into the iterates, ``(∂F/∂T)ᵀ λ_T + b_T``. The reduced systems of the adjoint,
the tangent and the Newton–Krylov methods, and the spectral estimate, are built from these.
"""


def forward_substitute_block(block, lins, seeds, rhs):
    """Forward-substitute tangents through the block with its feedback edges cut.

    The transpose of ``back_substitute_block``: each interior node takes
    ``ż_i = rhs_i + Σ_j (∂f_i/∂z_j) ż_j`` over its arguments in the block, reading the
    iterates' tangents from ``seeds``.

    Parameters
    ----------
    block : graphs.structure.Block
        A cyclic block.
    lins : dict
        Node name -> ``LinearisedConstraint`` at the block's solution.
    seeds : dict
        Tangents of the iterates as the block reads them (missing: zero).
    rhs : dict
        Right-hand sides of the interior nodes (missing: zero).

    Returns
    -------
    interior : dict
        Tangents of the interior nodes (missing: zero).
    into_iterates : dict
        ``(∂F/∂T) ż_T`` plus what the interior's right-hand sides cause: what flows into
        the iterates (missing: zero).

    Examples
    --------
    One Picard step's tangent through ``z = z / 2 + x``:

    >>> import adjoint
    >>> from graphs.structure import strongly_connected_blocks
    >>> from adjoint.graph.linearisation import linearise
    >>> g = adjoint.ConstraintGraph()
    >>> g.add_input("x")
    >>> g.add_constraint("z", lambda z, x: z / 2 + x, ["z", "x"], init=0.0)
    >>> (block,) = strongly_connected_blocks(g)
    >>> lins = {"z": linearise(g, "z", [2.0, 1.0])}
    >>> forward_substitute_block(block, lins, {"z": 1.0}, {})[1]["z"]
    array(0.5)
    """
    is_iterate = set(block.iterates)
    members = set(block.nodes)
    interior, into_iterates = {}, {}
    for name in block.nodes:
        lin = lins[name]
        tangents = [
            (seeds.get(a) if a in is_iterate else interior.get(a)) if a in members else None
            for a in lin.args
        ]
        flow = None if all(t is None for t in tangents) else lin.jvp(tangents)
        if name in is_iterate:
            if flow is not None:
                into_iterates[name] = flow
        else:
            value = plus(rhs.get(name), flow)
            if value is not None:
                interior[name] = value
    return interior, into_iterates


def plus(a, b):
    """``a + b``, where ``None`` stands for zero."""
    return b if a is None else (a if b is None else a + b)


def accumulate(acc, name, c):
    """``acc[name] += c``, where a missing entry is zero."""
    acc[name] = c if acc.get(name) is None else acc[name] + c


def back_substitute_block(block, lins, seeds, rhs):
    """Back-substitute multipliers through the block with its feedback edges cut.

    Each interior node takes ``λ_j = rhs_j + Σ_i (∂f_i/∂z_j)ᵀ λ_i`` over its users in the
    block, reading the iterates' multipliers from ``seeds`` (missing: zero). Returns
    ``(λ of the interior, what flows back into the iterates)``, as
    ``forward_substitute_block`` does for tangents.
    """
    is_iterate = set(block.iterates)
    members = set(block.nodes)
    lam, into_iterates = {}, {}
    for name in reversed(block.nodes):
        if name in is_iterate:
            g = seeds.get(name)
        else:  # its users come later in the block's order: their contributions are all in
            g = lam[name] = plus(rhs.get(name), lam.get(name))
        if g is None:
            continue
        # only the arguments inside the block: the outer ones' VJPs (a parameter's) are not used here
        lin = lins[name]
        if lin.block_positions is None:  # once per node, not once per iteration
            lin.block_positions = tuple(k for k, a in enumerate(lin.args) if a in members)
        for a, c in zip(lin.args, lin.vjp(g, lin.block_positions)):
            if c is None or a not in members:
                continue
            accumulate(into_iterates if a in is_iterate else lam, a, c)
    return lam, into_iterates
