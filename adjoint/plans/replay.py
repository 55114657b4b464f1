"""Replaying a tape on new input values: the forward pass and back-substitution, no tracing.

A ``TapeProgram`` keeps what the objective needs of one trace: the live records (those the
objective or a guard depends on), in order, each as ``(primitive function, argument slots,
parameters)``. Replaying it fills a list of values slot by slot (constants were stored once,
after the records) and checks the trace's guards where they were noted; back-substitution
then runs the VJP rules over the same slots, skipping every argument that no differentiated
input flows into (data, targets).
"""

import operator

import numpy as np

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

    def __init__(self, tape, inputs, differentiated, out):
        records = tape.records
        n = len(records)
        self.n, self.out = n, out
        self.inputs, self.differentiated = list(inputs), list(differentiated)
        self.live = _live(records, out, tape.guards)
        self.needed = _needed(records, self.differentiated, self.live)
        self.steps, consts, sources = [], [], []
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
            if not params and fn.__class__ is np.ufunc and ans.__class__ is np.ndarray and ans.ndim:
                # An array result of a ufunc (arithmetic, matmul, ...) is written into a buffer
                # kept from call to call: fresh arrays of a few MB cost page faults each time.
                # (So a program is not re-entrant; gradients handed out are always copies.)
                forward_params = {"out": np.empty_like(ans)}
            self.steps.append((i, fn, slots, forward_params, len(slots)))
            sources.append((prim, parents, params))
        self._backward_steps = None
        self.template = [None] * n + consts
        # what the VJPs need of each step, without keeping the tape's values alive
        self._sources = sources
        self.records = records  # kept for the scalar engine's analysis; dropped by the plan
        self.guards = sorted(tape.guards, key=lambda g: g[0])
        self._segments = _segments(self.steps, self.guards)

    # --- forward -----------------------------------------------------------------------
    def forward(self, inputs):
        """All live values for new ``inputs``; raises ``GuardFailed`` if the trace is not valid."""
        vals = self.template.copy()
        for i, v in zip(self.inputs, inputs):
            vals[i] = v
        for steps, guards in self._segments:
            for i, fn, slots, params, arity in steps:
                if arity == 2 and not params:
                    vals[i] = fn(vals[slots[0]], vals[slots[1]])
                elif arity == 1:
                    vals[i] = fn(vals[slots[0]], **params) if params else fn(vals[slots[0]])
                else:
                    vals[i] = fn(*[vals[s] for s in slots], **params)
            for guard in guards:
                if not guard_holds(guard, vals.__getitem__):
                    raise GuardFailed(guard)
        return vals

    # --- backward ----------------------------------------------------------------------
    @property
    def backward_steps(self):
        """Per record with a multiplier to pass on: ``(i, slots, params, ((parent, VJP), ...))``.

        Built on first use: the scalar engine never needs them.
        """
        if self._backward_steps is None:
            needed, out = self.needed, []
            for (i, fn, slots, _, arity), (prim, parents, params) in zip(self.steps, self._sources):
                if not needed[i]:
                    continue
                edges = tuple((p, _rule(prim, k)) for k, p in enumerate(parents) if p >= 0 and needed[p])
                if edges:
                    out.append((i, slots, params, edges))
            self._backward_steps = out
        return self._backward_steps

    def multipliers(self, vals, seed):
        """The multipliers of every record, the objective seeded with ``seed``."""
        lam = [None] * self.n
        lam[self.out] = seed
        for i, slots, params, edges in reversed(self.backward_steps):
            g = lam[i]
            if g is None:
                continue
            ans = vals[i]
            args = [vals[s] for s in slots]
            for p, rule in edges:
                c = rule(g, ans, *args, **params) if params else rule(g, ans, *args)
                old = lam[p]
                lam[p] = c if old is None else old + c
        return lam

    def value_and_grad(self, inputs):
        """``(objective value, [multiplier of each differentiated input or None])``."""
        vals = self.forward(inputs)
        value = vals[self.out]
        lam = self.multipliers(vals, np.ones_like(value, dtype=float))
        return value, [lam[i] for i in self.differentiated]


def _fast_pair(a, b):
    ta, tb = a.__class__, b.__class__
    return (ta is np.float64 and tb in _FAST_SCALARS) or (tb is np.float64 and ta in _FAST_SCALARS)


def _rule(prim, k):
    rule = prim.vjps.get(k)
    if rule is not None:
        return rule

    def missing(*args, **kwargs):  # raise only if a derivative really flows there, as grad does
        return prim.vjp(k)

    return missing


def _live(records, out, guards):
    """Records the objective or a guard depends on."""
    live = [False] * len(records)
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


def _needed(records, differentiated, live):
    """Live records that a differentiated input flows into."""
    needed = [False] * len(records)
    for i in differentiated:
        needed[i] = True
    for i in range(len(records)):
        if live[i] and not needed[i]:
            for p in records[i][3]:
                if p >= 0 and needed[p]:
                    needed[i] = True
                    break
    return needed


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
