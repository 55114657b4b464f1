"""Guards: the control flow a trace took, as outcomes that can be re-checked on new values.

Tracing records a program as it ran for one set of inputs. Where the program branched on a
traced value (``if x > 0``, ``np.sign(x)``, ``argmax``, a traced ``where`` condition) the
tape notes a guard ``(position, fn, values, kwargs, parents, outcome)``: ``fn`` applied to
the arguments (record ``parents[k]``'s value, or the constant ``values[k]`` where
``parents[k] < 0``) gave ``outcome`` once the first ``position`` records existed. Replaying
the tape on new inputs is valid only while every guard gives its outcome again.
"""

import numpy as np


def guard_holds(guard, value_of):
    """Whether ``guard`` gives its recorded outcome when record ``i`` has value ``value_of(i)``.

    Returns ``False`` for a guard that cannot be re-evaluated (traced values inside a
    container or keyword argument: ``parents is None``).

    Examples
    --------
    >>> import numpy as np
    >>> from graphs.tape import Tape
    >>> tape = Tape(); x = tape.input(np.float64(2.0))
    >>> _ = x > 1.0
    >>> (guard,) = tape.guards
    >>> guard_holds(guard, {0: 3.0}.__getitem__), guard_holds(guard, {0: 0.5}.__getitem__)
    (True, False)
    """
    _, fn, values, kwargs, parents, outcome = guard
    if parents is None:
        return False
    args = [value_of(p) if p >= 0 else v for p, v in zip(parents, values)]
    return same_outcome(fn(*args, **kwargs), outcome)


def same_outcome(a, b):
    """``a`` and ``b`` are the same outcome: equal bools, or arrays equal entry by entry.

    NaN equals NaN here: a guard whose outcome was NaN (``sign(nan)``) still holds.

    Examples
    --------
    >>> import numpy as np
    >>> same_outcome(True, np.True_), same_outcome(np.array([1, 2]), np.array([1, 3]))
    (True, False)
    >>> same_outcome(np.float64("nan"), np.nan)
    True
    """
    if isinstance(a, (bool, np.bool_)) and isinstance(b, (bool, np.bool_)):
        return bool(a) == bool(b)
    a, b = np.asarray(_host(a)), np.asarray(_host(b))
    if a.shape != b.shape:
        return False
    try:
        return bool(np.array_equal(a, b, equal_nan=True))
    except TypeError:  # equal_nan is for numbers only
        return bool(np.array_equal(a, b))


def _host(x):
    # a guard on GPU values is compared on the host (one small transfer)
    return x.get() if type(x).__module__.split(".", 1)[0] == "cupy" else x


def replayable_guards(guards):
    """Whether every guard can be re-evaluated on new values (none has ``parents is None``)."""
    return all(g[4] is not None for g in guards)
