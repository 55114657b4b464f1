"""numpy-style functions that trace: the body of ``adjoint.numpy``.

Each takes numpy's arguments and applies the primitive of ``graphs/rules``; on plain values
it is the numpy function itself. ``NUMPY_EQUIVALENTS`` maps numpy's own functions to these,
so that numpy code applied to traced values dispatches here through NumPy's protocols.
"""

import numpy as np

from .errors import UnsupportedFunctionError
from .primitive import PRIMITIVES, Primitive
from .rules import complex_numbers, fft, linalg, numpy_linalg, reductions, shapes, sorting, special
from .rules import elementwise as ew
from .tape import Traced, record_guard

# Elementwise functions are the primitives of rules/elementwise themselves, under their
# registered names, so that a primitive added there needs no entry here; where and clip
# have the functions below instead.
_ELEMENTWISE = {n: p for n, p in vars(ew).items() if isinstance(p, Primitive) and n not in ("where", "clip")}
globals().update(_ELEMENTWISE)
true_divide, abs = _ELEMENTWISE["divide"], _ELEMENTWISE["absolute"]  # noqa: A001 - numpy's aliases
matmul, outer, dot = linalg.matmul, linalg.outer, linalg.dot

__all__ = [
    *_ELEMENTWISE, "true_divide", "abs", "matmul", "outer", "dot", "where", "clip", "sum", "mean",
    "max", "min", "prod", "amax", "amin", "reshape", "ravel", "transpose", "expand_dims", "squeeze",
    "broadcast_to", "concatenate", "stack", "hstack", "vstack", "atleast_1d", "array", "asarray",
    "full", "sparse_matmul",
]


def where(condition, x=None, y=None):
    """``numpy.where(condition, x, y)``, differentiable in ``x`` and ``y``; ``where(condition)`` gives indices."""
    if isinstance(condition, Traced):  # a traced numeric condition is a guard of the trace
        condition = record_guard(np.not_equal, (condition, 0), {}, np.not_equal(condition.value, 0))
    if x is None and y is None:
        return np.nonzero(condition)
    return ew.where(condition, x, y)


def clip(a, a_min, a_max):
    """``numpy.clip``, differentiable in all three arguments."""
    return ew.clip(a, a_min, a_max)


def sum(a, axis=None, keepdims=False):  # noqa: A001
    """``numpy.sum``."""
    return reductions.sum(a, axis=_axis(axis), keepdims=keepdims)


def mean(a, axis=None, keepdims=False):
    """``numpy.mean``."""
    return reductions.mean(a, axis=_axis(axis), keepdims=keepdims)


def max(a, axis=None, keepdims=False):  # noqa: A001
    """``numpy.max``; ties share the derivative equally."""
    return reductions.max(a, axis=_axis(axis), keepdims=keepdims)


def min(a, axis=None, keepdims=False):  # noqa: A001
    """``numpy.min``; ties share the derivative equally."""
    return reductions.min(a, axis=_axis(axis), keepdims=keepdims)


def prod(a, axis=None, keepdims=False):
    """``numpy.prod``."""
    return reductions.prod(a, axis=_axis(axis), keepdims=keepdims)


amax, amin = max, min


def reshape(a, shape):
    """``numpy.reshape``."""
    return shapes.reshape(a, shape=tuple(shape) if isinstance(shape, (list, tuple)) else (shape,))


def ravel(a):
    """``numpy.ravel``."""
    return shapes.reshape(a, shape=(-1,))


def transpose(a, axes=None):
    """``numpy.transpose``."""
    return shapes.transpose(a, axes=None if axes is None else tuple(axes))


def expand_dims(a, axis):
    """``numpy.expand_dims``."""
    return shapes.expand_dims(a, axis=axis)


def squeeze(a, axis=None):
    """``numpy.squeeze``."""
    return shapes.squeeze(a, axis=axis)


def broadcast_to(a, shape):
    """``numpy.broadcast_to``."""
    return shapes.broadcast_to(a, shape=tuple(shape) if isinstance(shape, (list, tuple)) else (shape,))


def concatenate(arrays, axis=0):
    """``numpy.concatenate`` of a sequence of arrays."""
    return shapes.concatenate(*arrays, axis=axis)


def stack(arrays, axis=0):
    """``numpy.stack`` of a sequence of arrays."""
    return shapes.stack(*arrays, axis=axis)


def hstack(arrays):
    """``numpy.hstack``."""
    arrays = [atleast_1d(a) for a in arrays]
    return concatenate(arrays, axis=0 if np.ndim(_value(arrays[0])) == 1 else 1)


def vstack(arrays):
    """``numpy.vstack``."""
    return concatenate([a if np.ndim(_value(a)) >= 2 else reshape(a, (1, -1)) for a in arrays], axis=0)


def atleast_1d(a):
    """``numpy.atleast_1d``."""
    return reshape(a, (1,)) if np.ndim(_value(a)) == 0 else a


def array(obj, dtype=None):
    """``numpy.array``; a (nested) list holding traced values becomes a traced stack."""
    if isinstance(obj, (list, tuple)) and _holds_traced(obj):
        return stack([array(o) if isinstance(o, (list, tuple)) else o for o in obj])
    if isinstance(obj, Traced):
        return obj
    return np.array(obj, dtype=dtype)


def asarray(obj, dtype=None):
    """``numpy.asarray``; traced values pass through unchanged."""
    return array(obj, dtype) if isinstance(obj, (list, tuple, Traced)) else np.asarray(obj, dtype)


def full(shape, fill_value, dtype=None):
    """``numpy.full``; a traced ``fill_value`` is broadcast to ``shape`` (differentiably)."""
    if isinstance(fill_value, Traced):
        return broadcast_to(fill_value, shape)
    return np.full(shape, fill_value, dtype=dtype)


def sparse_matmul(A, x):
    """``A @ x`` for a constant ``scipy.sparse`` matrix ``A`` and a traced vector ``x``."""
    return linalg.sparse_matmul(A, x)


def _holds_traced(obj):
    return any(_holds_traced(o) if isinstance(o, (list, tuple)) else isinstance(o, Traced) for o in obj)


def _value(x):
    return x.value if isinstance(x, Traced) else x


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def _ufunc_equivalents():
    """Each ufunc that a primitive applies as its ``impl``, to that primitive.

    Read at import, when only the rule tables' primitives are registered: one registered
    later (a user's ``primitive(np.square, "my_square")``) does not take over numpy's dispatch.
    """
    table = {}
    for prim in PRIMITIVES.values():
        if isinstance(prim.impl, np.ufunc):
            if prim.impl in table:
                raise RuntimeError(f"numpy.{prim.impl.__name__} is the impl of two primitives")
            table[prim.impl] = prim
    return table


#: numpy functions (via ``__array_function__``) and ufuncs (via ``__array_ufunc__``) that
#: have a traced equivalent. Anything else applied to a traced value is an error.
NUMPY_EQUIVALENTS = {
    **_ufunc_equivalents(),
    np.reciprocal: ew.reciprocal,  # its impl is 1.0 / x, so that an integer gives a float
    np.sum: sum, np.mean: mean, np.max: max, np.min: min, np.prod: prod,
    np.amax: max, np.amin: min,
    np.reshape: reshape, np.ravel: ravel, np.transpose: transpose, np.expand_dims: expand_dims,
    np.squeeze: squeeze, np.broadcast_to: broadcast_to, np.concatenate: concatenate,
    np.stack: stack, np.hstack: hstack, np.vstack: vstack, np.atleast_1d: atleast_1d,
    np.where: where, np.clip: clip, np.dot: dot, np.outer: outer,
    np.shape: lambda a: np.shape(_value(a)), np.ndim: lambda a: np.ndim(_value(a)),
    np.size: lambda a: np.size(_value(a)), np.asarray: asarray, np.array: array,
}
#: The families of their own modules (linear algebra, fft, scipy.special, sorting, complex).
FAMILIES = (numpy_linalg, fft, special, sorting, complex_numbers)
for _family in FAMILIES:
    NUMPY_EQUIVALENTS.update(_family.EQUIVALENTS)
del _family

#: Piecewise-constant functions: a traced argument contributes a zero derivative, so they
#: are evaluated on plain values and their results are not traced.
PIECEWISE_CONSTANT = {
    np.sign, np.floor, np.ceil, np.round, np.rint, np.trunc, np.isfinite, np.isnan, np.isinf,
    np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
    np.logical_and, np.logical_or, np.logical_not, np.argmax, np.argmin, np.argsort,
    np.all, np.any, np.allclose, np.isclose, np.zeros_like, np.ones_like, np.empty_like,
    np.shape, np.ndim, np.size, np.sort, np.iscomplexobj, np.isrealobj, np.iscomplex, np.isreal,
}


def unsupported(func):
    """The error for a numpy function without derivative rules applied to a traced value."""
    name = getattr(func, "__name__", repr(func))
    owner = getattr(func, "__self__", None)
    if isinstance(owner, np.ufunc):  # a ufunc method: numpy.add.reduce, numpy.multiply.outer
        qualified = f"numpy.{owner.__name__}.{name}"
    else:  # numpy.cumsum, numpy.linalg.det, numpy.fft.fft
        module = getattr(func, "__module__", None) or "numpy"
        qualified = f"{module if module.startswith('numpy') else 'numpy'}.{name}"
    return UnsupportedFunctionError(
        f"{qualified} has no derivative rule, and it was applied to a traced value; "
        f"use the adjoint.numpy functions listed in adjoint.numpy.__all__, or register "
        f"'{name}' as a primitive with defvjp/defjvp"
    )
