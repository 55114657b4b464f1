"""The backward pass recorded as primitives and replayed with the forward into kept buffers.

Derivative rules are written with functions that trace (so that they can be differentiated
again), so tracing ``value_and_grad`` of a function on an outer tape records the
back-substitution itself as primitives. Replaying that one tape gives the value and the
gradient with no rule calls, and every array result of a ufunc, forward or backward, lands
in a buffer kept from call to call: an MLP's backward pass then allocates little more than
the gradients it hands out. A fresh multi-MB array costs a page fault per 4 KB on its
first touch; how many a pass takes depends on the state of the allocator, and made a
replay whose backward pass calls the rules 0-25% slower than hand-written numpy on the MLP.
"""

import numpy as np

from adjoint.plans.replay import TapeProgram
from adjoint.pytree import split_per_argnum, tree_flatten
from adjoint.tape.grad import value_and_grad
from graphs.tape import Tape, Traced


class GradientReplay:
    """Value and gradient by replaying one tape of the forward and backward passes.

    Built by ``gradient_replay``; it has the interface of ``TapeProgram`` that the plan's
    tape engine uses: ``value_and_grad(inputs)`` and ``held()``.
    """

    def __init__(self, program, gradients):
        # Per gradient leaf, its record, or the constant it is (zero, say), read-only so
        # that it is copied, not handed out (``adjoint.tape.reverse.made_here``).
        self.program, self.gradients = program, gradients
        # What the program keeps from call to call: its constants and its buffers.
        self._kept = program.template[program.n:] + [params["out"] for _, _, _, params, _, _ in program.steps
                                                     if "out" in params]

    def value_and_grad(self, inputs):
        """``(objective value, [gradient of each differentiated input or None])``."""
        self._inputs = inputs
        vals = self.program.forward(inputs)
        return vals[self.program.out], [vals[g] if g.__class__ is int else g for g in self.gradients]

    def held(self):
        """The arrays the program holds: the last inputs, its constants and its buffers (its
        gradients are the records it does not write into buffers, made afresh at each call)."""
        return [*self._inputs, *self._kept]


def gradient_replay(fun, argnum, call, guards):
    """A ``GradientReplay`` of ``fun`` for the arguments ``call``, or ``None``.

    Parameters
    ----------
    fun : callable
    argnum : int or tuple of int
    call : adjoint.plans.arguments.CallArguments
        The call to trace at (its dynamic leaves become the inputs, the differentiated first).
    guards : int
        How many guards the forward trace noted. ``None`` is returned when the backward pass
        adds guards (a rule comparing traced values would retrace at each new mask), when a
        rule cannot be traced, or when the gradient leaves do not match the differentiated ones.

    Returns
    -------
    GradientReplay or None

    Examples
    --------
    >>> import numpy as np
    >>> from adjoint.plans.arguments import CallArguments
    >>> f = lambda w: np.sum(np.tanh(w) ** 2)
    >>> call = CallArguments((np.array([0.5, -1.0]),), (0,), True)
    >>> replay = gradient_replay(f, 0, call, guards=0)
    >>> value, (g,) = replay.value_and_grad([np.array([0.1, 0.2])])
    >>> t = np.tanh([0.1, 0.2]); bool(np.allclose(g, 2 * t * (1 - t * t)))
    True
    """
    tape = Tape()
    traced = [tape.input(v) for v in call.dynamic]
    n_diff = sum(call.n_differentiated)
    args = call.rebuild(traced[:n_diff], traced[n_diff:])
    try:
        value, grads = value_and_grad(fun, argnum)(*args, **call.traced_kwargs())
    except Exception:  # a rule that does not trace (plain numpy in a user's VJP, say): call the rules
        return None
    if value.__class__ is not Traced or value.tape is not tape or len(tape.guards) != guards:
        return None
    leaves = [leaf for g in split_per_argnum(argnum, grads) for leaf in tree_flatten(g)[0]]
    if len(leaves) != n_diff:
        return None
    gradients = [g.index if g.__class__ is Traced and g.tape is tape else _read_only(g) for g in leaves]
    outputs = [g for g in gradients if g.__class__ is int]
    program = TapeProgram(tape, [t.index for t in traced], [], value.index, outputs=outputs)
    program.records = None
    return GradientReplay(program, gradients)


def _read_only(x):
    """A read-only copy of the constant gradient ``x`` (one that does not depend on the inputs)."""
    x = np.array(x)
    x.flags.writeable = False
    return x
