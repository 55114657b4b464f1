"""Back-substitution on a tape: reverse-mode AD, derived from the Lagrangian.

A tape is a constraint graph in topological order, so ``I - J_zz`` is lower triangular and
the adjoint system ``(I - J_zz)ᵀ λ = ∇_z J`` is solved by back-substitution: in reverse
order, ``λ_j = seed_j + Σ_{i uses j} (∂f_i/∂z_j)ᵀ λ_i``, one VJP per edge.
"""


def back_substitute(tape, seeds):
    """The multipliers of every record of ``tape``, given seeds ``{index: cotangent}``.

    Returns a list with one entry per record: its multiplier λ, or ``None`` where the
    objective does not depend on the record (λ = 0).

    Examples
    --------
    >>> import numpy as np
    >>> from graphs import Tape
    >>> tape = Tape(); x = tape.input(2.0)
    >>> y = np.sin(x) * x
    >>> lam = back_substitute(tape, {y.index: 1.0})
    >>> bool(np.isclose(lam[x.index], np.cos(2.0) * 2.0 + np.sin(2.0)))
    True
    """
    records = tape.records
    lam = [None] * len(records)
    for index, g in seeds.items():
        lam[index] = g if lam[index] is None else lam[index] + g
    for i in range(max(seeds, default=-1), -1, -1):
        g = lam[i]
        if g is None:
            continue
        prim, values, params, parents, ans = records[i]
        if prim is None:
            continue
        for k, p in enumerate(parents):
            if p < 0:
                continue
            c = prim.vjp(k)(g, ans, *values, **params)
            lam[p] = c if lam[p] is None else lam[p] + c
    return lam


def forward_substitute(tape, tangents):
    """The tangent of every record of ``tape`` given input tangents ``{index: tangent}``.

    The transposed story of ``back_substitute``: ``ż_i = Σ_{j ∈ α(i)} (∂f_i/∂z_j) ż_j`` in
    topological order. Entries are ``None`` where the tangent is zero.

    Examples
    --------
    >>> import numpy as np
    >>> from graphs import Tape
    >>> tape = Tape(); x = tape.input(2.0)
    >>> y = np.sin(x) * x
    >>> dot = forward_substitute(tape, {x.index: 1.0})
    >>> bool(np.isclose(dot[y.index], np.cos(2.0) * 2.0 + np.sin(2.0)))
    True
    """
    records = tape.records
    dot = [None] * len(records)
    for index, t in tangents.items():
        dot[index] = t
    for i in range(min(tangents, default=len(records)), len(records)):
        prim, values, params, parents, ans = records[i]
        if prim is None:
            continue
        acc = None
        for k, p in enumerate(parents):
            if p < 0 or dot[p] is None:
                continue
            c = prim.jvp(k)(dot[p], ans, *values, **params)
            acc = c if acc is None else acc + c
        dot[i] = acc
    return dot
