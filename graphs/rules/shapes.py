"""Shape primitives (reshape, transpose, expand/squeeze, broadcast, join, index) and rules.

Their derivatives move entries without changing them; the adjoint of indexing is the
primitive ``scatter_add`` (``numpy.add.at`` into zeros), so repeated integer indices
accumulate, and whose own adjoint is indexing again: every rule here is made of these
primitives, so it traces and can be differentiated again. Their sparse partials
are selection matrices: the primitive applied to the array of its argument's flat positions.
"""

import numpy as np

from ..primitive import def_variadic, def_variadic_partial, defjvp, defpartial, defvjp, primitive
from . import partials
from .broadcasting import unbroadcast

reshape = primitive(lambda x, shape: np.reshape(x, shape), "reshape")
transpose = primitive(lambda x, axes=None: np.transpose(x, axes), "transpose")
expand_dims = primitive(lambda x, axis: np.expand_dims(x, axis), "expand_dims")
squeeze = primitive(lambda x, axis=None: np.squeeze(x, axis), "squeeze")
broadcast_to = primitive(lambda x, shape: np.broadcast_to(x, shape), "broadcast_to")
index = _index = primitive(lambda x, index: np.asarray(x)[index], "index")  # _index: rules' params shadow it
concatenate = primitive(lambda *xs, axis=0: np.concatenate(xs, axis=axis), "concatenate")
stack = primitive(lambda *xs, axis=0: np.stack(xs, axis=axis), "stack")


def _scatter_add_impl(g, shape, index):
    out = np.zeros(shape, dtype=np.result_type(g, float))
    np.add.at(out, index, g)
    return out


scatter_add = primitive(_scatter_add_impl, "scatter_add")


def _transpose_back(g, axes, ndim):
    return np.transpose(g, None if axes is None else np.argsort([a % ndim for a in axes]))


def _pieces(axis, xs):
    """The bounds of each argument along the joined axis."""
    ndim = np.ndim(xs[0])
    axis = axis % ndim
    bounds = np.cumsum([0] + [np.shape(x)[axis] for x in xs])
    return axis, bounds


def _concatenate_vjp(argnum, g, ans, *xs, axis=0):
    axis, bounds = _pieces(axis, xs)
    sl = [slice(None)] * np.ndim(g)
    sl[axis] = slice(bounds[argnum], bounds[argnum + 1])
    return g[tuple(sl)]


def _zeros_but(argnum, t, xs):
    """The arguments' tangents: ``t`` for argument ``argnum``, zeros for the others."""
    return [t if k == argnum else np.zeros(np.shape(x)) for k, x in enumerate(xs)]


def _concatenate_jvp(argnum, t, ans, *xs, axis=0):
    return concatenate(*_zeros_but(argnum, t, xs), axis=axis)


def _stack_vjp(argnum, g, ans, *xs, axis=0):
    return g[(slice(None),) * (axis % np.ndim(ans)) + (argnum,)]


def _stack_jvp(argnum, t, ans, *xs, axis=0):
    return stack(*_zeros_but(argnum, t, xs), axis=axis)


defvjp(reshape, lambda g, ans, x, shape: np.reshape(g, np.shape(x)))
defvjp(transpose, lambda g, ans, x, axes=None: _transpose_back(g, axes, np.ndim(x)))
defvjp(expand_dims, lambda g, ans, x, axis: np.reshape(g, np.shape(x)))
defvjp(squeeze, lambda g, ans, x, axis=None: np.reshape(g, np.shape(x)))
defvjp(broadcast_to, lambda g, ans, x, shape: unbroadcast(g, x))
defvjp(index, lambda g, ans, x, index: scatter_add(g, shape=np.shape(x), index=index))
defvjp(scatter_add, lambda g, ans, x, shape, index: _index(g, index=index))
def_variadic(concatenate, _concatenate_vjp, _concatenate_jvp)
def_variadic(stack, _stack_vjp, _stack_jvp)

defjvp(reshape, lambda t, ans, x, shape: np.reshape(t, np.shape(ans)))
defjvp(transpose, lambda t, ans, x, axes=None: np.transpose(t, axes))
defjvp(expand_dims, lambda t, ans, x, axis: np.reshape(t, np.shape(ans)))
defjvp(squeeze, lambda t, ans, x, axis=None: np.reshape(t, np.shape(ans)))
defjvp(broadcast_to, lambda t, ans, x, shape: np.broadcast_to(t, shape))
defjvp(index, lambda t, ans, x, index: _index(t, index=index))
defjvp(scatter_add, lambda t, ans, x, shape, index: scatter_add(t, shape=shape, index=index))

# --- Sparse partial table --------------------------------------------------------------
for _prim in (reshape, transpose, expand_dims, squeeze, broadcast_to, index):
    defpartial(_prim, partials.moved(_prim.impl))
del _prim
def_variadic_partial(concatenate, partials.joined(np.concatenate))
def_variadic_partial(stack, partials.joined(np.stack))
