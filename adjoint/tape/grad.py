"""``grad`` and ``value_and_grad``: trace numpy code, then back-substitute its multipliers."""

import numbers

import numpy as np

from adjoint.errors import InvalidArgumentError, UnsupportedFunctionError
from adjoint.pytree import argnums, as_float, flatten, like, per_argnum
from adjoint.tape.reverse import back_substitute, made_here, recorded_values
from graphs.gc_pause import paused_gc
from graphs.tape import Tape, Traced, plain_value


def trace(fun, args, argnum, kwargs=None):
    """Run ``fun`` with the arguments ``argnum`` traced.

    Parameters
    ----------
    fun : callable
    args : tuple
    argnum : int or tuple of int
    kwargs : dict, optional

    Returns
    -------
    tape : graphs.tape.Tape
    out : object
        ``fun``'s result, traced where it depends on the traced arguments.
    leaves : list
        Per differentiated argument, ``(plain leaves, their traced inputs)``.
    rebuilds : list
        Per differentiated argument, the function rebuilding its structure from leaves.

    Examples
    --------
    >>> tape, out, leaves, _ = trace(lambda x, y: x * y, (2.0, 3.0), 1)
    >>> float(out.value), [t.index for t in leaves[0][1]]
    (6.0, [0])
    """
    tape = Tape()
    args = list(args)
    leaves, rebuilds = [], []
    for a in argnums(argnum, len(args)):
        values, rebuild = flatten(args[a], f"argument {a}")
        traced = [tape.input(as_float(v)) for v in values]
        args[a] = rebuild(traced)
        leaves.append((values, traced))
        rebuilds.append(rebuild)
    out = fun(*args, **(kwargs or {}))
    return tape, out, leaves, rebuilds


def index_on(x, tape):
    """The record of ``x`` on ``tape``, or ``None`` where ``x`` is not one of its values.

    Examples
    --------
    >>> tape = Tape(); x = tape.input(1.0)
    >>> index_on(x * 2.0, tape), index_on(2.0, tape), index_on(x, Tape())
    (1, None, None)
    """
    return x.index if x.__class__ is Traced and x.tape is tape else None


def seed(value):
    """The seed 1 of a scalar objective's back-substitution, in ``value``'s dtype (float64 for an integer).

    Examples
    --------
    >>> seed(np.float32(2.0)).dtype, seed(3).dtype, seed(1j)
    (dtype('float32'), dtype('float64'), array(1.+0.j))
    """
    dtype = np.result_type(plain_value(value))
    return np.ones(np.shape(plain_value(value)), dtype=dtype if dtype.kind in "fc" else np.float64)


_NUMBERS = (numbers.Number, np.ndarray, np.generic, Traced)


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
        """``(fun(*args, **kwargs), its gradient with respect to args[argnum])``."""
        with paused_gc():  # the tape is alive throughout: see graphs.gc_pause
            tape, out, leaves, rebuilds = trace(fun, args, argnum, kwargs)
            value = out.value if index_on(out, tape) is not None else out
            if not isinstance(value, _NUMBERS) or isinstance(value, (bool, np.bool_)):
                raise UnsupportedFunctionError(
                    f"grad needs a scalar-valued function, but it returned {type(value).__name__} "
                    f"{value!r:.60}; return the scalar to differentiate"
                )
            if np.size(value) != 1:  # a one-entry array, (1, 1) say, is a scalar too (as in autograd)
                raise InvalidArgumentError(
                    f"grad needs a scalar-valued function, but it returned shape {np.shape(value)}; "
                    f"reduce it to a scalar, or use adjoint.jacobian / adjoint.make_vjp"
                )
            if np.iscomplexobj(value):
                raise UnsupportedFunctionError(
                    "grad needs a real scalar-valued function, but it returned a complex value; "
                    "differentiate its real part (or use adjoint.holomorphic_grad)"
                )
            index = index_on(out, tape)
            inputs = [t.index for _, traced in leaves for t in traced]
            if index is None:
                lam = [None] * len(inputs)
            else:  # seeded in the result's dtype, so that float32 code differentiates in float32 (as autograd)
                multipliers = back_substitute(tape, {index: seed(value)})
                lam = [multipliers[i] for i in inputs]
            fresh = iter(made_here(lam, recorded_values(tape)))
        lam = iter(lam)
        grads = [rebuild([like(next(lam), v, next(fresh)) for v in values])
                 for (values, _), rebuild in zip(leaves, rebuilds)]
        return value, per_argnum(argnum, grads)

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
        """The gradient of ``fun(*args, **kwargs)`` with respect to ``args[argnum]``."""
        return vg(*args, **kwargs)[1]

    return grad_fun
