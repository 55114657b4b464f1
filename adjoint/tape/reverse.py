"""Back-substitution on a tape: reverse-mode AD, derived from the Lagrangian.

A tape is a constraint graph in topological order, so ``I - J_zz`` is lower triangular and
the adjoint system ``(I - J_zz)ᵀ λ = ∇_z J`` is solved by back-substitution: in reverse
order, ``λ_j = seed_j + Σ_{i uses j} (∂f_i/∂z_j)ᵀ λ_i``, one VJP per edge.

This is the one reverse loop of the library: ``grad``, ``jacobian``, the linearised
constraints of a graph, a compiled plan's replay (which hands it the records of the replay,
see ``adjoint.plans.replay``) and a plan's retrace all call ``back_substitute``.
"""

import numpy as np

from graphs.tape import Tape


def back_substitute(tape, seeds, needed=None):
    """The multipliers of every record of ``tape``, given seeds ``{index: cotangent}``.

    Parameters
    ----------
    tape : graphs.tape.Tape or list
        A tape, or a list of records in its format ``(prim, values, params, parents, ans)``
        (a compiled plan's replay gives one).
    seeds : dict
        ``{record index: cotangent}``: the right-hand side ``∇_z J``.
    needed : sequence of bool, optional
        Per record, whether its multiplier is wanted (see ``depends_on``): VJPs into the
        others (data, targets: records no differentiated input flows into) are skipped.

    Returns
    -------
    list
        One entry per record: its multiplier λ, or ``None`` where the objective does not
        depend on the record (λ = 0).

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
    records = tape.records if tape.__class__ is Tape else tape
    lam = [None] * len(records)
    for index, g in seeds.items():
        lam[index] = g
    # The hot loop of grad: the sum with None meaning zero is written out, not called.
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


def gradient(tape, out, inputs, needed=None):
    """The multipliers of the records ``inputs`` for the scalar objective ``out``, seeded with 1.

    Parameters
    ----------
    tape : graphs.tape.Tape or list
        As for ``back_substitute``.
    out : int or None
        The objective's record; ``None`` when the objective is not a value of the tape (it
        does not depend on the inputs).
    inputs : sequence of int
    needed : sequence of bool, optional
        As for ``back_substitute``.

    Returns
    -------
    list
        Per input, its gradient, or ``None`` for zero.

    Examples
    --------
    >>> import numpy as np
    >>> from graphs import Tape
    >>> tape = Tape(); x = tape.input(np.float64(3.0)); c = tape.input(np.float64(1.0))
    >>> gradient(tape, (x * x).index, [x.index, c.index])
    [np.float64(6.0), None]
    """
    if out is None:
        return [None] * len(inputs)
    records = tape.records if tape.__class__ is Tape else tape
    lam = back_substitute(records, {out: np.ones_like(records[out][4], dtype=float)}, needed)
    return [lam[i] for i in inputs]


def made_here(multipliers, held):
    """Per multiplier, whether it is an array made for this call, which no one else holds.

    Such an array (a VJP's result) can be handed to the caller as its gradient without a
    copy; copying the gradient of an MLP's weights was a tenth of the time of ``grad``, as
    each fresh multi-MB array faults its pages in. It is not one when its memory (the array
    at the end of its chain of ``base``) is the memory of one of ``held`` (an input, a
    constant, a plan's buffer), or of an earlier multiplier: the VJP of ``x + y`` gives both
    the same array.

    Parameters
    ----------
    multipliers : list
        Arrays, scalars or ``None``.
    held : iterable
        What others hold: for a tape, ``recorded_values(tape)``.

    Returns
    -------
    list of bool

    Examples
    --------
    >>> import numpy as np
    >>> from graphs import Tape
    >>> tape = Tape(); x = tape.input(np.ones(3))
    >>> y = np.sum(np.sin(x) * x)
    >>> lam = back_substitute(tape, {y.index: 1.0})
    >>> made_here([lam[x.index], x.value, lam[x.index]], recorded_values(tape))
    [True, False, False]
    """
    candidates = [g.__class__ is np.ndarray and g.flags.writeable for g in multipliers]
    if not any(candidates):
        return candidates
    held = {id(array_memory(v)) for v in held}
    made = []
    for c, g in zip(candidates, multipliers):
        memory = array_memory(g) if c else None
        made.append(c and memory.__class__ is np.ndarray and id(memory) not in held)
        held.add(id(memory))
    return made


def recorded_values(records):
    """Every argument and value of the records (a tape, or a list with ``None`` entries skipped)."""
    for rec in records.records if records.__class__ is Tape else records:
        if rec is not None:
            yield rec[4]
            yield from rec[1]


def array_memory(x):
    """The object that owns the memory of array ``x`` (``x`` itself for anything else).

    Examples
    --------
    >>> import numpy as np
    >>> a = np.ones(4)
    >>> array_memory(a[::2].reshape(2, 1)) is a, array_memory(3.0)
    (True, 3.0)
    """
    while x.__class__ is np.ndarray and x.base is not None:
        x = x.base
    return x


def depends_on(records, sources, live=None):
    """Per record, whether it depends on one of ``sources``: ``back_substitute``'s ``needed``.

    Parameters
    ----------
    records : list
        A tape's records.
    sources : sequence of int
        The differentiated inputs.
    live : sequence of bool, optional
        Only these records are looked at (the others are ``False``).

    Examples
    --------
    >>> import numpy as np
    >>> from graphs import Tape
    >>> tape = Tape(); x, data = tape.input(2.0), tape.input(3.0)
    >>> y = np.sin(data) * x
    >>> depends_on(tape.records, [x.index])
    [True, False, False, True]
    """
    needed = [False] * len(records)
    for i in sources:
        needed[i] = True
    for i in range(min(sources, default=len(records)), len(records)):
        if needed[i] or (live is not None and not live[i]):
            continue
        for p in records[i][3]:
            if p >= 0 and needed[p]:
                needed[i] = True
                break
    return needed
