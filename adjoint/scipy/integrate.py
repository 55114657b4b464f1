"""``adjoint.scipy.integrate``: ``odeint`` (scipy's), differentiable in ``y0``, ``t`` and ``args``.

The cotangents come from the adjoint ODE, integrated backwards from each output time to the
one before with scipy's own integrator (Froehlich, Loos and Hasenauer 2017, sec. 2.4.2, as
autograd does): the state is augmented with the adjoint ``λ`` of ``y``, the cotangent of the
starting time and that of the flattened ``args``, whose dynamics are ``-λᵀ ∂f/∂(y, t, args)``,
VJPs of ``func`` traced at each step. The backward solve is ``odeint`` again, so it traces
when the arguments of the rule do (reverse over reverse).

Examples
--------
>>> import numpy as np
>>> import adjoint
>>> t = np.array([0.0, 1.0])
>>> decay = lambda y, t, k: -k * y
>>> g = adjoint.grad(lambda k: odeint(decay, np.array([1.0]), t, (k,))[-1, 0])(0.5)
>>> bool(np.isclose(g, -np.exp(-0.5), rtol=1e-6))
True
"""

import numpy as np
import scipy.integrate

from adjoint.pytree import tree_flatten, tree_unflatten
from adjoint.tape.vjp import make_vjp
from graphs.errors import MissingRuleError, UnsupportedFunctionError
from graphs.primitive import def_variadic, primitive
from graphs.tape import holds_traced, plain_value

__all__ = ["odeint"]


def _odeint_impl(y0, t, *leaves, func, treedef, options):
    return scipy.integrate.odeint(func, y0, t, args=tuple(tree_unflatten(treedef, list(leaves))), **options)


_odeint = primitive(_odeint_impl, "integrate_odeint")


def _ravel_all(xs):
    return np.concatenate([np.ravel(x) for x in xs]) if xs else np.zeros(0)


def _split(flat, shapes):
    pieces, start = [], 0
    for shape in shapes:
        n = int(np.prod(shape, dtype=int))
        pieces.append(np.reshape(flat[start:start + n], shape))
        start += n
    return pieces


def _cotangents(g, ans, y0, t, leaves, func, treedef, options):
    """The cotangents of ``y0``, ``t`` and each leaf of ``args``, given that of the solution."""
    T, D = np.shape(plain_value(ans))
    shapes = [np.shape(plain_value(x)) for x in leaves]
    args = tuple(tree_unflatten(treedef, list(leaves)))

    def flat_func(y, s, flat_args):
        return func(y, s, *tree_unflatten(treedef, _split(flat_args, shapes)))

    def augmented(state, s, flat_args):
        y, lam = state[:D], state[D:2 * D]
        vjp, dy = make_vjp(flat_func, argnum=(0, 1, 2))(y, s, flat_args)
        vy, vt, va = vjp(-lam)
        return np.concatenate([dy, vy, np.reshape(vt, (1,)), va])

    flat_args = _ravel_all(leaves)
    lam = g[-1]
    lam_t0 = 0.0
    lam_args = np.zeros(np.size(plain_value(flat_args)))
    time_cotangents = []
    for i in range(T - 1, 0, -1):
        # Moving an output time moves its value along the trajectory.
        here = np.sum(func(ans[i], t[i], *args) * g[i])
        time_cotangents.append(here)
        lam_t0 = lam_t0 - here
        start = np.concatenate([ans[i], lam, np.reshape(lam_t0, (1,)), lam_args])
        back = _odeint(start, np.stack([t[i], t[i - 1]]), flat_args, func=augmented,
                       treedef=tree_flatten((0,))[1], options=options)[1]
        lam, lam_t0, lam_args = back[D:2 * D] + g[i - 1], back[2 * D], back[2 * D + 1:]
    time_cotangents.append(lam_t0)
    return [lam, np.stack(time_cotangents[::-1]), *_split(lam_args, shapes)]


class _LastCotangents:
    """The VJP rules of one application share one backward solve: the last one, kept by identity."""

    key, value = None, None


def _odeint_vjp(argnum, g, ans, y0, t, *leaves, func, treedef, options):
    key = (g, ans, y0, t, *leaves)
    last = _LastCotangents
    if last.key is None or len(last.key) != len(key) or any(a is not b for a, b in zip(last.key, key)):
        last.key, last.value = key, _cotangents(g, ans, y0, t, list(leaves), func, treedef, options)
    return last.value[argnum]


def _odeint_jvp(argnum, t, ans, *args, **params):
    raise MissingRuleError("primitive 'integrate_odeint' has no JVP rule (forward sensitivities): "
                           "differentiate odeint in reverse mode")


def_variadic(_odeint, _odeint_vjp, _odeint_jvp)


def odeint(func, y0, t, args=(), **kwargs):
    """``scipy.integrate.odeint``; differentiable in ``y0``, ``t`` and the arrays of ``args``.

    ``func(y, t, *args)`` must be written with numpy functions that trace.
    """
    if not isinstance(args, tuple):
        args = (args,)
    leaves, treedef = tree_flatten(args)
    if not holds_traced((y0, t, *leaves)):
        return scipy.integrate.odeint(func, y0, t, args=args, **kwargs)
    if kwargs.get("full_output"):
        raise UnsupportedFunctionError("scipy.integrate.odeint: full_output=True cannot be traced")
    return _odeint(y0, t, *leaves, func=func, treedef=treedef, options=kwargs)
