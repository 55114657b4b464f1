"""``grad`` and ``value_and_grad``: trace numpy code, then back-substitute its multipliers."""

import numpy as np

from graphs.errors import GraphError
from graphs.tape import Tape, Traced

from adjoint.tape.reverse_forward import back_substitute
from adjoint.pytree import as_float, flatten, like
from adjoint.tape.gc_pause import paused_gc


def trace(fun, args, argnum, kwargs=None):
    """Run ``fun`` with the arguments ``argnum`` traced.

    Returns ``(tape, output, leaves, rebuilds)``: the tape, the (possibly traced) output,
    per differentiated argument its input records, and the function rebuilding its shape.
    """
    argnums = (argnum,) if isinstance(argnum, int) else tuple(argnum)
    for a in argnums:
        if not -len(args) <= a < len(args):
            raise GraphError(f"argnum {a} is out of range for a call with {len(args)} arguments")
    tape = Tape()
    args = list(args)
    leaves, rebuilds = [], []
    for a in argnums:
        values, rebuild = flatten(args[a], f"argument {a}")
        traced = [tape.input(as_float(v)) for v in values]
        args[a] = rebuild(traced)
        leaves.append((values, traced))
        rebuilds.append(rebuild)
    out = fun(*args, **(kwargs or {}))
    return tape, out, leaves, rebuilds


def value_and_grad(fun, argnum=0):
    """A function returning ``(fun(*args), gradient of fun with respect to args[argnum])``.

    The call convention of ``autograd.value_and_grad``. ``fun`` must return a scalar;
    ``argnum`` is an int or a tuple of ints (then the gradient is a tuple). Differentiated
    arguments may be floats, ndarrays, or nested lists / tuples / dicts of them; the
    gradient has the same structure.

    Examples
    --------
    >>> import adjoint
    >>> import adjoint.numpy as anp
    >>> value, g = adjoint.value_and_grad(lambda x: anp.sum(anp.sin(x) ** 2))(anp.array([0.5, 1.0]))
    >>> bool(anp.allclose(g, anp.sin(2 * anp.array([0.5, 1.0]))))
    True
    """

    def value_and_grad_fun(*args, **kwargs):
        with paused_gc():  # the tape is alive throughout: see adjoint.gc_pause
            tape, out, leaves, rebuilds = trace(fun, args, argnum, kwargs)
            value = out.value if isinstance(out, Traced) else out
            if np.ndim(value) != 0:
                raise GraphError(
                    f"grad needs a scalar-valued function, but it returned shape {np.shape(value)}; "
                    f"reduce it to a scalar, or use adjoint.solve with a (node, cotangent) objective"
                )
            if isinstance(out, Traced) and out.tape is tape:
                lam = back_substitute(tape, {out.index: np.ones_like(value, dtype=float)})
            else:
                lam = [None] * len(tape.records)  # the output does not depend on the inputs
        grads = [
            rebuild([like(lam[t.index], v) for v, t in zip(values, traced)])
            for (values, traced), rebuild in zip(leaves, rebuilds)
        ]
        return value, (grads[0] if isinstance(argnum, int) else tuple(grads))

    return value_and_grad_fun


def grad(fun, argnum=0):
    """The gradient of scalar-valued ``fun`` with respect to argument ``argnum``.

    Same call convention as ``autograd.grad``; see ``value_and_grad``.

    Examples
    --------
    >>> import adjoint
    >>> import adjoint.numpy as anp
    >>> adjoint.grad(lambda x, y: x * anp.sin(y), argnum=(0, 1))(2.0, 0.0)
    (0.0, 2.0)
    """
    vg = value_and_grad(fun, argnum)

    def grad_fun(*args, **kwargs):
        return vg(*args, **kwargs)[1]

    return grad_fun
