"""Elementwise derivatives declared once, as local partials; every rule is derived from them.

An elementwise primitive ``ans = f(x_0, …, x_{n-1})`` (broadcasting allowed) has, entry by
entry, the local partials ``d_k = ∂ans/∂x_k``. They are its whole derivative:

* VJP: ``g * d_k`` summed back to the shape of ``x_k`` (``unbroadcast``);
* JVP: ``t * d_k`` broadcast to the shape of ``ans``;
* sparse partial: ``diag(d_k) B_k``, ``B_k`` the broadcast matrix of ``x_k``.

A partial is ``d_k(ans, x_0, …, x_{n-1})`` written with numpy functions, so that on traced
values it records itself and the derived rules can be differentiated again; or a number,
for a constant partial (``1`` for ``add``), which spares the product; or ``None``.
"""

import inspect

import numpy as np

from ..primitive import defjvp, defpartial, defvjp
from . import partials as sparse
from .broadcasting import broadcast_like, unbroadcast


def defelementwise(prim, *partials):
    """Declare the local partials ``∂ans/∂x_k`` of ``prim``; its VJP, JVP and sparse partial follow.

    Parameters
    ----------
    prim : Primitive
        An elementwise primitive (broadcasting its arguments like a numpy ufunc).
    *partials : callable, number or None
        One per argument: ``partial(ans, *args)`` giving ``∂ans/∂x_k`` entry by entry (it may
        be a scalar or broadcast against ``ans``), a number for a constant partial, or
        ``None`` for an argument without a derivative.

    Examples
    --------
    >>> import numpy as np
    >>> from graphs.primitive import primitive
    >>> hypot = primitive(np.hypot, "example_hypot")
    >>> defelementwise(hypot, lambda ans, x, y: x / ans, lambda ans, x, y: y / ans)
    >>> x, y = np.array([3.0, 0.0]), np.array(4.0)
    >>> ans = hypot.impl(x, y)
    >>> hypot.vjp(1)(np.ones(2), ans, x, y)  # summed back to y's shape ()
    np.float64(1.8)
    >>> hypot.jvp(0)(np.ones(2), ans, x, y)
    array([0.6, 0. ])
    >>> hypot.partials[1](ans, x, y).toarray()
    array([[0.8],
           [1. ]])
    """
    arity = len(partials)
    nin = getattr(prim.impl, "nin", arity)  # a ufunc knows its number of arguments
    if nin != arity:
        raise ValueError(f"'{prim.name}' takes {nin} arguments; {arity} partials were declared")
    defvjp(prim, *(None if d is None else _vjp(d, k, arity) for k, d in enumerate(partials)))
    defjvp(prim, *(None if d is None else _jvp(d, arity) for d in partials))
    defpartial(prim, *(None if d is None else sparse.elementwise(_entries(d), k) for k, d in enumerate(partials)))


# The rules take ``*args`` and carry an exact ``__signature__``: ``check_application``
# validates a primitive node's number of arguments by its rules' signatures.
def _vjp(partial, argnum, arity):
    if callable(partial):
        if arity == 1:  # unary: the cotangent already has the argument's shape
            def rule(g, ans, *args):
                return g * partial(ans, *args)
        else:
            def rule(g, ans, *args):
                return unbroadcast(g * partial(ans, *args), args[argnum])
    else:
        def rule(g, ans, *args):
            return unbroadcast(_times_constant(g, partial), args[argnum])
    return _signed(rule, "g", arity)


def _jvp(partial, arity):
    if callable(partial):
        def rule(t, ans, *args):
            return broadcast_like(t * partial(ans, *args), ans)
    else:
        def rule(t, ans, *args):
            return broadcast_like(_times_constant(t, partial), ans)
    return _signed(rule, "t", arity)


def _times_constant(v, c):
    # 1 and -1 (add, subtract, negative) spare the product.
    return v if c == 1 else (-v if c == -1 else v * c)


def _signed(rule, seed, arity):
    names = [seed, "ans", *(f"x{k}" for k in range(arity))]
    rule.__signature__ = inspect.Signature(
        [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in names]
    )
    return rule


def _entries(partial):
    if callable(partial):
        return partial
    return lambda ans, *args: np.full(np.shape(ans), float(partial))
