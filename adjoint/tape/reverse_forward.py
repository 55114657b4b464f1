"""Back-substitution on a tape: reverse-mode AD, derived from the Lagrangian.

A tape is a constraint graph in topological order, so ``I - J_zz`` is lower triangular and
the adjoint system ``(I - J_zz)ᵀ λ = ∇_z J`` is solved by back-substitution: in reverse
order, ``λ_j = seed_j + Σ_{i uses j} (∂f_i/∂z_j)ᵀ λ_i``, one VJP per edge.
"""


def back_substitute(tape, seeds, needed=None):
    """The multipliers of every record of ``tape``, given seeds ``{index: cotangent}``.

    Returns a list with one entry per record: its multiplier λ, or ``None`` where the
    objective does not depend on the record (λ = 0). ``needed`` (optional, a sequence of
    bools per record) restricts the VJPs to arguments whose multiplier is wanted: records
    that no differentiated input flows into need none (a compiled plan passes it).

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
        vjps = prim.vjps
        k = -1
        for p in parents:
            k += 1
            if p < 0 or (needed is not None and not needed[p]):
                continue
            rule = vjps.get(k) or prim.vjp(k)  # prim.vjp raises the missing-rule error
            c = rule(g, ans, *values, **params) if params else rule(g, ans, *values)
            old = lam[p]
            lam[p] = c if old is None else old + c
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
        joint = getattr(prim, "joint_jvp", None)
        if joint is not None:  # an implicit primitive: one tangent solve for all its arguments
            ts = [None if p < 0 else dot[p] for p in parents]
            dot[i] = None if all(t is None for t in ts) else joint(ts)
            continue
        acc = None
        for k, p in enumerate(parents):
            if p < 0 or dot[p] is None:
                continue
            c = prim.jvp(k)(dot[p], ans, *values, **params)
            acc = c if acc is None else acc + c
        dot[i] = acc
    return dot
