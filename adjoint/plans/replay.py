"""Replaying a tape on new input values: the forward pass and back-substitution, no tracing.

A ``TapeProgram`` keeps what the objective needs of one trace: the live records (those the
objective or a guard depends on), in order, each as ``(primitive function, argument slots,
parameters)``. Replaying it fills a list of values slot by slot (constants were stored once,
after the records), checks the trace's guards where they were noted, and writes the records
of the replay in the tape's format: the tape the trace would have given at the new values.
Back-substitution is then ``adjoint.tape.reverse.back_substitute`` on those records,
skipping every argument that no differentiated input flows into (data, targets).
"""

import heapq
import operator

import numpy as np

from adjoint.tape.reverse import array_memory, depends_on, gradient, recorded_values
from graphs.guards import guard_holds
from graphs.rules import elementwise as ew
from graphs.tape import _FAST_SCALARS

# Arithmetic on numpy float64 scalars through Python operators, as ``graphs.tape`` traces it.
_OPERATORS = {
    ew.add: operator.add, ew.subtract: operator.sub, ew.multiply: operator.mul,
    ew.divide: operator.truediv, ew.power: operator.pow,
}


class GuardFailed(Exception):
    """A guard of the trace gives another outcome for these inputs: the trace is not valid."""


class TapeProgram:
    """The live part of a tape, replayable on new input values.

    Parameters
    ----------
    tape : graphs.tape.Tape
    inputs : list of int
        The input records, in the order their new values will be given.
    differentiated : list of int
        The input records whose gradients are wanted (a subset of ``inputs``).
    out : int
        The record of the scalar objective.
    outputs : sequence of int, optional
        Further records whose values are results (a gradient program's gradients): live, and
        never written into a kept buffer, nor are the records they are views of.

    Examples
    --------
    >>> import numpy as np
    >>> from graphs.tape import Tape
    >>> tape = Tape(); x = tape.input(np.float64(1.0))
    >>> y = np.sin(x) * x
    >>> program = TapeProgram(tape, [x.index], [x.index], y.index)
    >>> value, (g,) = program.value_and_grad([np.float64(2.0)])
    >>> bool(np.isclose(g, np.cos(2.0) * 2.0 + np.sin(2.0)))
    True
    """

    def __init__(self, tape, inputs, differentiated, out, outputs=()):
        records = tape.records
        n = len(records)
        self.n, self.out = n, out
        self.inputs, self.differentiated = list(inputs), list(differentiated)
        self.live = _live(records, [out, *outputs], tape.guards)
        unbuffered = _viewed_by(records, outputs)
        buffered = []  # (record, the parameters its buffer goes into)
        self.needed = depends_on(records, self.differentiated, self.live)
        self.steps, consts = [], []
        replayed = [None] * n  # dead records stay None: back-substitution never reaches them
        for i in self.inputs:
            replayed[i] = [None, (), None, (), None]
        live, operators, fast_pair = self.live, _OPERATORS, _fast_pair
        for i in range(n):
            if not live[i]:
                continue
            prim, values, params, parents, ans = records[i]
            if prim is None:
                continue
            if -1 in parents:
                slots = []
                for p, v in zip(parents, values):
                    if p >= 0:
                        slots.append(p)
                    else:
                        slots.append(n + len(consts))
                        consts.append(v)
                slots = tuple(slots)
            else:
                slots = parents
            fn = prim.impl
            if len(slots) == 2 and not params and prim in operators and fast_pair(*values):
                fn = operators[prim]  # the same result as the ufunc, ~10x faster on scalars
            forward_params = params
            if (not params and fn.__class__ is np.ufunc and ans.__class__ is np.ndarray and ans.ndim
                    and i not in unbuffered):
                # An array result of a ufunc (arithmetic, matmul, ...) is written into a buffer
                # kept from call to call: fresh arrays of a few MB cost page faults each time.
                # (So a program is not re-entrant; the gradients it hands out are never buffers.)
                forward_params = {"out": None}
                buffered.append((i, forward_params))
            # The record this step replays, in the tape's format: its values are filled in by
            # each replay. A list, kept from call to call, so that a replay allocates nothing
            # for it (a fresh tuple per record was a tenth of the time of a scalar chain).
            replayed[i] = [prim, (), params, parents, None]
            self.steps.append((i, fn, slots, forward_params, len(slots), replayed[i]))
        self.template = [None] * n + consts
        if self.differentiated:  # back-substitution reads every value of the replay
            for i, forward_params in buffered:
                forward_params["out"] = np.empty_like(records[i][4])
        else:
            _share_buffers(records, buffered, self.steps, [out, *outputs], tape.guards)
        self.replayed = replayed
        self.records = records  # kept for the scalar engine's analysis; dropped by the plan
        self.guards = sorted(tape.guards, key=lambda g: g[0])
        self._segments = _segments(self.steps, self.guards)

    # --- forward -----------------------------------------------------------------------
    def forward(self, inputs, replay=False):
        """All live values for new ``inputs``; raises ``GuardFailed`` if the trace is not valid.

        Parameters
        ----------
        inputs : list
            New values of the input records, in the order of ``self.inputs``.
        replay : bool
            Also fill ``self.replayed``, the records of this replay in the tape's format
            ``(prim, values, params, parents, ans)``, for ``back_substitute``. They hold the
            values of the last replay until the next one.

        Returns
        -------
        list
            The value of every live record (and the constants after the records).
        """
        vals = self.template.copy()
        for i, v in zip(self.inputs, inputs):
            vals[i] = v
        if replay:
            replayed = self.replayed
            for i, v in zip(self.inputs, inputs):
                replayed[i][4] = v
        for steps, guards in self._segments:
            for i, fn, slots, params, arity, record in steps:
                # The common arities get direct calls, and the record's tuple of arguments is
                # made only when asked for: this runs once per record.
                if arity == 2 and not params:
                    a, b = vals[slots[0]], vals[slots[1]]
                    vals[i] = ans = fn(a, b)
                    if replay:
                        record[1], record[4] = (a, b), ans
                elif arity == 1:
                    a = vals[slots[0]]
                    vals[i] = ans = fn(a, **params) if params else fn(a)
                    if replay:
                        record[1], record[4] = (a,), ans
                else:
                    args = tuple([vals[s] for s in slots])
                    vals[i] = ans = fn(*args, **params)
                    if replay:
                        record[1], record[4] = args, ans
            check_guards(guards, vals.__getitem__)
        return vals

    def value_and_grad(self, inputs):
        """``(objective value, [multiplier of each differentiated input or None])``."""
        vals = self.forward(inputs, replay=True)
        return vals[self.out], gradient(self.replayed, self.out, self.differentiated, self.needed)

    def held(self):
        """The arrays the program holds after a replay: every value of its records."""
        return recorded_values(self.replayed)


def check_guards(guards, value_of):
    """Raise ``GuardFailed`` at the first of ``guards`` whose outcome differs.

    The tape engine checks each guard where the trace met it, the scalar engine after the
    level group of its deepest operand: both through this function.

    Parameters
    ----------
    guards : list
        Guards of a tape, ``(position, fn, values, kwargs, parents, outcome)`` each.
    value_of : callable
        ``value_of(record)``: a record's value at the inputs being checked.

    Raises
    ------
    GuardFailed

    Examples
    --------
    >>> import numpy as np
    >>> from graphs.tape import Tape
    >>> tape = Tape(); x = tape.input(np.float64(1.0))
    >>> _ = bool(x > 0.5)  # the trace took the branch x > 0.5
    >>> check_guards(tape.guards, {x.index: np.float64(2.0)}.__getitem__)
    >>> check_guards(tape.guards, {x.index: np.float64(0.0)}.__getitem__)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    adjoint.plans.replay.GuardFailed: ...
    """
    for guard in guards:
        if not guard_holds(guard, value_of):
            raise GuardFailed(guard)


def _fast_pair(a, b):
    """Whether Python's operator on ``a`` and ``b`` gives what the ufunc gives (as in tracing)."""
    ta, tb = a.__class__, b.__class__
    return (ta is np.float64 and tb in _FAST_SCALARS) or (tb is np.float64 and ta in _FAST_SCALARS)


def _live(records, outs, guards):
    """Records the results ``outs`` or a guard depend on."""
    live = [False] * len(records)
    for out in outs:
        live[out] = True
    for g in guards:
        for p in g[4] or ():
            if p >= 0:
                live[p] = True
    for i in range(len(records) - 1, -1, -1):
        if live[i]:
            for p in records[i][3]:
                if p >= 0:
                    live[p] = True
    return live


def _share_buffers(records, buffered, steps, outputs, guards):
    """Give the ``buffered`` records buffers, one record's reused once its value is dead.

    A program that is only replayed (no back-substitution reads its values afterwards) needs
    a value until its last use: the last record taking it or a view of it as an argument, or
    the last guard reading it. Reusing dead buffers, as an allocator reuses freed memory,
    keeps the working set in cache; a buffer per record made the MLP's gradient program 8%
    slower than hand-written numpy.
    """
    memory_of = _memory_owner(records)
    last = {}
    for i, _, slots, _, _, _ in steps:
        for p in slots:
            if p < len(records):  # (the others are constants)
                m = memory_of(p)
                last[m] = max(last.get(m, -1), i)
    for position, _, _, _, parents, _ in guards:
        for p in parents or ():
            if p >= 0:
                m = memory_of(p)
                last[m] = max(last.get(m, -1), position)
    for i in outputs:
        last[memory_of(i)] = len(records)
    free, busy = {}, []  # free: (shape, dtype) -> buffers; busy: a heap of (last use, record, buffer)
    for i, forward_params in buffered:
        while busy and busy[0][0] < i:
            buffer = heapq.heappop(busy)[2]
            free.setdefault((buffer.shape, buffer.dtype), []).append(buffer)
        ans = records[i][4]
        pool = free.get((ans.shape, ans.dtype))
        forward_params["out"] = buffer = pool.pop() if pool else np.empty_like(ans)
        heapq.heappush(busy, (last.get(i, i), i, buffer))


def _viewed_by(records, outputs):
    """The records ``outputs`` and those whose memory they are views of."""
    memory_of = _memory_owner(records)
    return set(outputs) | {memory_of(i) for i in outputs}


def _memory_owner(records):
    """``memory_of(i)``: the record whose array owns the memory of record ``i``'s value (``i``
    itself where no record does: a view of a constant)."""
    owner = {id(rec[4]): i for i, rec in enumerate(records) if rec[4].__class__ is np.ndarray}
    return lambda i: owner.get(id(array_memory(records[i][4])), i)


def _segments(steps, guards):
    """Steps split where guards were noted: ``[(steps, guards checked after them)]``."""
    segments, start, k = [], 0, 0
    for position in sorted({g[0] for g in guards}):
        end = start
        while end < len(steps) and steps[end][0] < position:
            end += 1
        here = []
        while k < len(guards) and guards[k][0] == position:
            here.append(guards[k])
            k += 1
        segments.append((steps[start:end], here))
        start = end
    segments.append((steps[start:], []))
    return segments
