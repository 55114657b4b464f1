"""Forward substitution on a tape: tangent mode, the transposed story of ``back_substitute``.

The tangent system ``(I - J_zz) ż = J_zx ẋ`` is lower triangular in tape order and solved
by forward substitution: ``ż_i = Σ_{j ∈ α(i)} (∂f_i/∂z_j) ż_j``, one JVP per edge. This is
the one forward loop of the library: ``jvp``, ``jacobian`` and the linearised constraints
of a graph call it.
"""


def forward_substitute(tape, tangents):
    """The tangent of every record of ``tape`` given input tangents ``{index: tangent}``.

    Parameters
    ----------
    tape : graphs.tape.Tape
    tangents : dict
        ``{record index: tangent}``.

    Returns
    -------
    list
        One entry per record: its tangent, or ``None`` where it is zero.

    Examples
    --------
    The tangent of ``(x y, x + y)`` in the direction ``(ẋ, ẏ) = (1, 0)`` is ``(y, 1)``:

    >>> from graphs import Tape
    >>> tape = Tape(); x, y = tape.input(2.0), tape.input(3.0)
    >>> product, total = x * y, x + y
    >>> dot = forward_substitute(tape, {x.index: 1.0})
    >>> float(dot[product.index]), float(dot[total.index])
    (3.0, 1.0)
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
            dot[i] = None if all(t is None for t in ts) else joint(ts, ans, values)
            continue
        acc = None
        for k, p in enumerate(parents):
            if p < 0 or dot[p] is None:
                continue
            c = prim.jvp(k)(dot[p], ans, *values, **params)
            acc = c if acc is None else acc + c  # None is zero; inline, this runs per edge
        dot[i] = acc
    return dot
