"""numpy-style functions that trace: the body of ``adjoint.numpy``.

Each takes numpy's arguments and applies the primitive of ``graphs/rules``; on plain values
it is the numpy function itself. ``NUMPY_EQUIVALENTS`` maps numpy's own functions to these,
so that numpy code applied to traced values dispatches here through NumPy's protocols.
"""

import builtins
import functools
import inspect

import numpy as np

from .errors import UnsupportedFunctionError
from .primitive import PRIMITIVES, Primitive
from .rules import complex_numbers, fft, linalg, numpy_linalg, partials, reductions, shapes, sorting, special
from .rules import elementwise as ew
from .tape import Traced, holds_traced, plain_value, record_guard

# Elementwise functions are the primitives of rules/elementwise themselves, under their
# registered names, so that a primitive added there needs no entry here; where and clip
# have the functions below instead.
_ELEMENTWISE = {n: p for n, p in vars(ew).items() if isinstance(p, Primitive) and n not in ("where", "clip")}
globals().update(_ELEMENTWISE)
true_divide, abs = _ELEMENTWISE["divide"], _ELEMENTWISE["absolute"]  # noqa: A001 - numpy's aliases
mod = _ELEMENTWISE["remainder"]
matmul, outer = linalg.matmul, linalg.outer

__all__ = [
    *_ELEMENTWISE, "true_divide", "abs", "matmul", "outer", "dot", "where", "clip", "sum", "mean",
    "max", "min", "prod", "amax", "amin", "reshape", "ravel", "transpose", "expand_dims", "squeeze",
    "broadcast_to", "concatenate", "stack", "hstack", "vstack", "atleast_1d", "array", "asarray",
    "full", "sparse_matmul", "mod", "dot", "tensordot", "einsum", "inner", "kron", "cross", "var", "std",
    "cumsum", "diff", "repeat", "tile", "roll", "flip", "fliplr", "flipud", "rot90", "swapaxes", "moveaxis",
    "rollaxis", "diagonal", "trace", "diag", "make_diagonal", "triu", "tril", "take", "take_along_axis",
    "pad", "split", "array_split", "hsplit", "vsplit", "dsplit", "append", "column_stack", "row_stack",
    "dstack", "atleast_2d", "atleast_3d", "full_like", "nan_to_num", "select", "average", "linspace",
    "gradient", "r_", "c_",
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
    return reductions.sum(asarray(a), axis=_axis(axis), keepdims=keepdims)


def mean(a, axis=None, keepdims=False):
    """``numpy.mean``."""
    return reductions.mean(asarray(a), axis=_axis(axis), keepdims=keepdims)


def max(a, axis=None, keepdims=False):  # noqa: A001
    """``numpy.max``; ties share the derivative equally."""
    return reductions.max(asarray(a), axis=_axis(axis), keepdims=keepdims)


def min(a, axis=None, keepdims=False):  # noqa: A001
    """``numpy.min``; ties share the derivative equally."""
    return reductions.min(asarray(a), axis=_axis(axis), keepdims=keepdims)


def prod(a, axis=None, keepdims=False):
    """``numpy.prod``."""
    return reductions.prod(asarray(a), axis=_axis(axis), keepdims=keepdims)


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
    """``numpy.concatenate`` of a sequence of arrays; ``axis=None`` flattens each first, as numpy does.

    Examples
    --------
    >>> concatenate([np.ones((2, 2)), np.zeros(1)], axis=None)
    array([1., 1., 1., 1., 0.])
    """
    if axis is None:
        return shapes.concatenate(*[ravel(a) for a in arrays], axis=0)
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


row_stack = vstack


def atleast_1d(a):
    """``numpy.atleast_1d``."""
    return reshape(a, (1,)) if np.ndim(_value(a)) == 0 else a


def array(obj, dtype=None):
    """``numpy.array``; a (nested) list holding traced values becomes a traced stack."""
    if isinstance(obj, (list, tuple)) and holds_traced(obj):
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


# --- numpy's other differentiable functions ----------------------------------------------
# Each is numpy itself where no argument is traced (``numpy_when_plain``); on traced values it
# is made of primitives. Functions that only move entries (flip, roll, repeat, diagonal,
# pad, split, ...) apply numpy's own function to the array of the argument's flat positions
# and gather with the result (``_moved``): one ``index`` record, whose adjoint is ``scatter_add``.

def numpy_when_plain(np_func, name=None):
    """Decorate a traced function: ``np_func`` itself (all of numpy's arguments) where nothing is traced.

    ``name`` is the function's public name, for messages (default ``adjoint.numpy.<name>``).

    With a traced argument the traced function runs, and a keyword it does not take is an
    error naming the function and the keyword (not a ``TypeError`` from deep inside, nor a
    silent drop). ``adjoint.numpy`` applies it to every traced function it exports.

    Examples
    --------
    >>> import adjoint
    >>> total = numpy_when_plain(np.sum)(sum)
    >>> int(total(np.arange(4), initial=10))                 # numpy's own, with numpy's arguments
    16
    >>> float(adjoint.grad(lambda x: total(x ** 2))(3.0))      # traced
    6.0
    >>> adjoint.grad(lambda x: total(x, initial=1.0))(3.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    graphs.errors.UnsupportedFunctionError: adjoint.numpy.sum does not take initial= on traced values; ...
    """

    def wrap(traced_impl):
        accepted = _keywords(traced_impl)
        label = name or f"adjoint.numpy.{np_func.__name__}"

        @functools.wraps(traced_impl)
        def function(*args, **kwargs):
            if not (holds_traced(args) or holds_traced(kwargs)):
                return np_func(*args, **kwargs)
            if accepted is not None:
                for key in kwargs:
                    if key not in accepted:
                        raise UnsupportedFunctionError(
                            f"{label} does not take {key}= on traced values; its traced "
                            f"version takes {', '.join(sorted(accepted)) or 'no keyword arguments'}: drop "
                            f"{key}= or apply it after differentiating"
                        )
            return traced_impl(*args, **kwargs)

        function.numpy_function = np_func
        return function

    return wrap


def _keywords(fun):
    """The keyword names ``fun`` accepts, or ``None`` when it takes ``**kwargs``."""
    try:
        parameters = inspect.signature(fun).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    return {p.name for p in parameters if p.kind is not inspect.Parameter.VAR_POSITIONAL}


def _refuse(np_func, argument):
    raise UnsupportedFunctionError(
        f"numpy.{np_func.__name__} with a traced value does not support its argument '{argument}'"
    )


def _moved(x, select, zeros=False):
    """``select`` (a numpy function moving entries) applied to ``x``, as one gather of its entries.

    With ``zeros``, ``select`` may also fill in zeros (diag, triu, pad): it is applied to
    positions counted from 1, and 0 then picks an appended zero.
    """
    x = asarray(x)
    flat = reshape(x, (-1,))
    where_from = select(partials.positions(_value_all(x)) + (1 if zeros else 0))
    if zeros:
        where_from = np.asarray(where_from) - 1
        flat = concatenate([flat, np.zeros(1)])
        where_from = np.where(where_from < 0, np.size(_value_all(x)), where_from)
    return shapes.index(flat, index=np.asarray(where_from, dtype=np.intp))


def _value_all(x):
    return plain_value(x)


@numpy_when_plain(np.var)
def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    """``numpy.var``, with ``ddof``, ``axis`` and ``keepdims``.

    Examples
    --------
    >>> import adjoint
    >>> float(adjoint.grad(lambda x: var(x))(np.array([1.0, 3.0]))[1])
    1.0
    """
    if dtype is not None or out is not None:
        _refuse(np.var, "dtype/out")
    a = asarray(a)
    axis = _axis(axis)
    d = a - reductions.mean(a, axis=axis, keepdims=True)
    squares = ew.absolute(d) ** 2 if np.iscomplexobj(_value_all(a)) else d * d
    count = np.size(_value_all(a)) // np.size(_value_all(reductions.sum(squares, axis=axis, keepdims=True)))
    return reductions.sum(squares, axis=axis, keepdims=keepdims) / (count - ddof)


@numpy_when_plain(np.std)
def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    """``numpy.std``: the square root of ``var``; over one entry its derivative is 0, as autograd takes it."""
    a = asarray(a)
    plain = plain_value(a)
    if np.size(plain) <= np.size(np.sum(plain, axis=_axis(axis))):  # one entry per result: std is 0
        return np.std(plain, axis=_axis(axis), dtype=dtype, ddof=ddof, keepdims=keepdims)
    return ew.sqrt(var(a, axis, dtype, out, ddof, keepdims))


@numpy_when_plain(np.cumsum)
def cumsum(a, axis=None, dtype=None, out=None):
    """``numpy.cumsum``."""
    if dtype is not None or out is not None:
        _refuse(np.cumsum, "dtype/out")
    a = asarray(a)
    if axis is None:
        a, axis = reshape(a, (-1,)), 0
    return reductions.cumsum(a, axis=axis % np.ndim(_value_all(a)))


@numpy_when_plain(np.diff)
def diff(a, n=1, axis=-1, prepend=np._NoValue, append=np._NoValue):
    """``numpy.diff``, with ``prepend`` and ``append``."""
    a = asarray(a)
    axis = axis % np.ndim(_value_all(a))
    pieces = [a]
    for extra, first in ((prepend, True), (append, False)):
        if extra is not np._NoValue:
            shape = list(np.shape(_value_all(a)))
            shape[axis] = 1
            extra = broadcast_to(asarray(extra), tuple(shape)) if np.ndim(_value_all(extra)) == 0 else extra
            pieces.insert(0 if first else len(pieces), extra)
    a = concatenate(pieces, axis=axis) if len(pieces) > 1 else a
    head = (slice(None),) * axis
    for _ in range(n):
        a = a[head + (slice(1, None),)] - a[head + (slice(None, -1),)]
    return a


@numpy_when_plain(np.repeat)
def repeat(a, repeats, axis=None):
    """``numpy.repeat``."""
    return _moved(a, lambda p: np.repeat(p, repeats, axis))


@numpy_when_plain(np.tile)
def tile(A, reps):
    """``numpy.tile``."""
    return _moved(A, lambda p: np.tile(p, reps))


@numpy_when_plain(np.roll)
def roll(a, shift, axis=None):
    """``numpy.roll``."""
    return _moved(a, lambda p: np.roll(p, shift, axis))


@numpy_when_plain(np.flip)
def flip(m, axis=None):
    """``numpy.flip``."""
    return _moved(m, lambda p: np.flip(p, axis))


@numpy_when_plain(np.fliplr)
def fliplr(m):
    """``numpy.fliplr``."""
    return _moved(m, np.fliplr)


@numpy_when_plain(np.flipud)
def flipud(m):
    """``numpy.flipud``."""
    return _moved(m, np.flipud)


@numpy_when_plain(np.rot90)
def rot90(m, k=1, axes=(0, 1)):
    """``numpy.rot90``."""
    return _moved(m, lambda p: np.rot90(p, k, axes))


def _permuted(a, moved):
    """``a`` transposed as ``moved`` (numpy's swapaxes, moveaxis, ...) transposes axes."""
    a = asarray(a)
    # Axis k of the probe has length k + 2: the moved probe's shape names the permutation.
    probe = np.broadcast_to(0.0, tuple(range(2, np.ndim(_value_all(a)) + 2)))
    return transpose(a, tuple(n - 2 for n in moved(probe).shape))


@numpy_when_plain(np.swapaxes)
def swapaxes(a, axis1, axis2):
    """``numpy.swapaxes``."""
    return _permuted(a, lambda p: np.swapaxes(p, axis1, axis2))


@numpy_when_plain(np.moveaxis)
def moveaxis(a, source, destination):
    """``numpy.moveaxis``."""
    return _permuted(a, lambda p: np.moveaxis(p, source, destination))


@numpy_when_plain(np.rollaxis)
def rollaxis(a, axis, start=0):
    """``numpy.rollaxis``."""
    return _permuted(a, lambda p: np.rollaxis(p, axis, start))


@numpy_when_plain(np.diagonal)
def diagonal(a, offset=0, axis1=0, axis2=1):
    """``numpy.diagonal``."""
    return _moved(a, lambda p: np.diagonal(p, offset, axis1, axis2))


@numpy_when_plain(np.trace)
def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    """``numpy.trace``."""
    if dtype is not None or out is not None:
        _refuse(np.trace, "dtype/out")
    return reductions.sum(diagonal(a, offset, axis1, axis2), axis=-1, keepdims=False)


@numpy_when_plain(np.diag)
def diag(v, k=0):
    """``numpy.diag``: the diagonal of a matrix, or a matrix of a vector."""
    return _moved(v, lambda p: np.diag(p, k), zeros=True)


def make_diagonal(D, offset=0, axis1=-1, axis2=-2):
    """Arrays whose diagonals (along ``axis1``, ``axis2``) are the last axis of ``D`` (autograd's).

    Examples
    --------
    >>> make_diagonal(np.array([1.0, 2.0]))
    array([[1., 0.],
           [0., 2.]])
    """
    if offset != 0:
        raise UnsupportedFunctionError("make_diagonal supports offset=0 only")
    n = np.shape(_value_all(D))[-1]
    out = ew.multiply(expand_dims(D, -1), np.eye(n))
    ndim = np.ndim(_value_all(out))
    if sorted((axis1 % ndim, axis2 % ndim)) == [ndim - 2, ndim - 1]:
        return out
    return moveaxis(out, (-2, -1), (axis1, axis2))


@numpy_when_plain(np.triu)
def triu(m, k=0):
    """``numpy.triu``."""
    return _moved(m, lambda p: np.triu(p, k), zeros=True)


@numpy_when_plain(np.tril)
def tril(m, k=0):
    """``numpy.tril``."""
    return _moved(m, lambda p: np.tril(p, k), zeros=True)


@numpy_when_plain(np.take)
def take(a, indices, axis=None, out=None, mode="raise"):
    """``numpy.take``."""
    if out is not None:
        _refuse(np.take, "out")
    return _moved(a, lambda p: np.take(p, indices, axis=axis, mode=mode))


@numpy_when_plain(np.take_along_axis)
def take_along_axis(arr, indices, axis=-1):
    """``numpy.take_along_axis``."""
    return _moved(arr, lambda p: np.take_along_axis(p, indices, axis))


_PAD_MOVES = {"edge", "reflect", "symmetric", "wrap"}


@numpy_when_plain(np.pad)
def pad(array, pad_width, mode="constant", **kwargs):
    """``numpy.pad`` in the modes that copy entries (constant, edge, reflect, symmetric, wrap)."""
    if mode == "constant":
        values = kwargs.pop("constant_values", 0)
        if holds_traced(values) or kwargs:
            _refuse(np.pad, "constant_values (traced)" if holds_traced(values) else next(iter(kwargs)))
        out = _moved(array, lambda p: np.pad(p, pad_width), zeros=True)
        if np.any(np.asarray(values) != 0):
            out = out + np.pad(np.zeros(np.shape(_value_all(array))), pad_width, constant_values=values)
        return out
    if mode in _PAD_MOVES and kwargs.get("reflect_type", "even") == "even":
        return _moved(array, lambda p: np.pad(p, pad_width, mode, **kwargs))
    _refuse(np.pad, f"mode={mode!r}")


def _splitter(np_func):
    def split_(ary, *args, **kwargs):
        ary = asarray(ary)
        flat = reshape(ary, (-1,))
        pieces = np_func(partials.positions(_value_all(ary)), *args, **kwargs)
        return [shapes.index(flat, index=piece) for piece in pieces]

    split_.__doc__ = f"``numpy.{np_func.__name__}``: a list of traced pieces."
    split_.__name__ = split_.__qualname__ = np_func.__name__
    return numpy_when_plain(np_func)(split_)


split, array_split, hsplit = _splitter(np.split), _splitter(np.array_split), _splitter(np.hsplit)
vsplit, dsplit = _splitter(np.vsplit), _splitter(np.dsplit)


@numpy_when_plain(np.append)
def append(arr, values, axis=None):
    """``numpy.append``."""
    if axis is None:
        return concatenate([ravel(asarray(arr)), ravel(asarray(values))])
    return concatenate([asarray(arr), asarray(values)], axis=axis)


@numpy_when_plain(np.column_stack)
def column_stack(tup):
    """``numpy.column_stack``."""
    return concatenate([reshape(a, (-1, 1)) if np.ndim(_value_all(a)) < 2 else a for a in map(asarray, tup)], axis=1)


@numpy_when_plain(np.dstack)
def dstack(tup):
    """``numpy.dstack``."""
    return concatenate([atleast_3d(a) for a in tup], axis=2)


@numpy_when_plain(np.atleast_2d)
def atleast_2d(*arys):
    """``numpy.atleast_2d``."""
    out = [reshape(a, (1,) * (2 - np.ndim(_value_all(a))) + np.shape(_value_all(a)))
           if np.ndim(_value_all(a)) < 2 else a for a in map(asarray, arys)]
    return out[0] if len(out) == 1 else tuple(out)


@numpy_when_plain(np.atleast_3d)
def atleast_3d(*arys):
    """``numpy.atleast_3d``."""
    def three(a):
        shape = np.shape(_value_all(a))
        if len(shape) >= 3:
            return a
        return reshape(a, {0: (1, 1, 1), 1: (1, *shape, 1), 2: (*shape, 1)}[len(shape)])
    out = [three(asarray(a)) for a in arys]
    return out[0] if len(out) == 1 else tuple(out)


@numpy_when_plain(np.full_like)
def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None, **kwargs):
    """``numpy.full_like``; a traced ``fill_value`` is broadcast (differentiably), ``a`` gives only the shape."""
    shape = np.shape(plain_value(a)) if shape is None else shape
    if not holds_traced(fill_value):
        return np.full_like(plain_value(a), fill_value, dtype, order, subok, shape)
    return broadcast_to(asarray(fill_value), tuple(np.atleast_1d(shape)) if np.ndim(shape) else (shape,))


@numpy_when_plain(np.nan_to_num)
def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """``numpy.nan_to_num``: derivative 1 where ``x`` is finite, 0 where it is replaced."""
    plain = plain_value(x)
    return ew.where(np.isfinite(plain), x, np.nan_to_num(plain, nan=nan, posinf=posinf, neginf=neginf))


@numpy_when_plain(np.select)
def select(condlist, choicelist, default=0):
    """``numpy.select``: the first choice whose condition holds."""
    out = default
    for cond, choice in reversed(list(zip(condlist, choicelist))):
        out = where(plain_value(cond), choice, out)
    return out


@numpy_when_plain(np.average)
def average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    """``numpy.average``, with ``weights`` and ``returned``."""
    a = asarray(a)
    axis = _axis(axis)
    if weights is None:
        avg = reductions.mean(a, axis=axis, keepdims=keepdims)
        total = np.size(_value_all(a)) / np.size(_value_all(avg))
        total = np.broadcast_to(total, np.shape(_value_all(avg)))
    else:
        w = asarray(weights)
        ndim = np.ndim(_value_all(a))
        if np.ndim(_value_all(w)) != ndim:  # 1-D weights along ``axis``
            w = reshape(w, tuple(-1 if k == axis % ndim else 1 for k in range(ndim)))
        total = reductions.sum(w * np.ones(np.shape(_value_all(a))), axis=axis, keepdims=keepdims)
        avg = reductions.sum(a * w, axis=axis, keepdims=keepdims) / total
    return (avg, total) if returned else avg


@numpy_when_plain(np.linspace)
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``numpy.linspace``, differentiable in ``start`` and ``stop``."""
    start, stop = asarray(start), asarray(stop)
    delta = stop - start
    div = (num - 1) if endpoint else num
    ndim = np.ndim(_value_all(delta))
    steps = np.arange(num, dtype=float).reshape((-1,) + (1,) * ndim)
    step = delta / div if div > 0 else delta * np.nan
    y = steps * step + start if div > 0 else steps * delta + start
    if endpoint and num > 1:  # numpy makes the last entry exactly stop
        y = concatenate([y[:-1], expand_dims(broadcast_to(stop, np.shape(_value_all(delta))), 0)])
    if axis != 0:
        y = moveaxis(y, 0, axis)
    return (y, step) if retstep else y


@numpy_when_plain(np.gradient)
def gradient(f, *varargs, axis=None, edge_order=1):
    """``numpy.gradient`` with uniform (scalar) spacings."""
    f = asarray(f)
    ndim = np.ndim(_value_all(f))
    axes = tuple(range(ndim)) if axis is None else tuple(a % ndim for a in np.atleast_1d(axis))
    spacing = list(varargs) if len(varargs) > 1 else list(varargs) * len(axes) if varargs else [1.0] * len(axes)
    if any(np.ndim(plain_value(h)) != 0 for h in spacing):
        _refuse(np.gradient, "varargs (coordinate arrays)")
    out = []
    for ax, h in zip(axes, spacing):
        def at(sl, ax=ax):
            return f[(slice(None),) * ax + (sl,)]
        interior = (at(slice(2, None)) - at(slice(None, -2))) / (2.0 * h)
        if edge_order == 1:
            first = (at(slice(1, 2)) - at(slice(0, 1))) / h
            last = (at(slice(-1, None)) - at(slice(-2, -1))) / h
        else:
            first = (-1.5 * at(slice(0, 1)) + 2.0 * at(slice(1, 2)) - 0.5 * at(slice(2, 3))) / h
            last = (0.5 * at(slice(-3, -2)) - 2.0 * at(slice(-2, -1)) + 1.5 * at(slice(-1, None))) / h
        out.append(concatenate([first, interior, last], axis=ax))
    return out[0] if len(out) == 1 else tuple(out) if axis is not None or ndim > 1 else out


@numpy_when_plain(np.dot)
def dot(a, b, out=None):
    """``numpy.dot`` of arrays of any dimensions."""
    if out is not None:
        _refuse(np.dot, "out")
    return linalg.dot(asarray(a), asarray(b))


@numpy_when_plain(np.tensordot)
def tensordot(a, b, axes=2):
    """``numpy.tensordot``, with every form of ``axes``."""
    return linalg.tensordot(asarray(a), asarray(b), axes)


@numpy_when_plain(np.einsum)
def einsum(*operands, out=None, optimize=False, **kwargs):
    """``numpy.einsum`` in both forms (subscripts, or operands and sublists), with ellipses and broadcasting."""
    if out is not None or kwargs:
        _refuse(np.einsum, "out" if out is not None else next(iter(kwargs)))
    subscripts, ops = linalg.einsum_subscripts(operands)
    return linalg.einsum(*map(asarray, ops), subscripts=subscripts)


@numpy_when_plain(np.inner)
def inner(a, b):
    """``numpy.inner``."""
    a, b = asarray(a), asarray(b)
    if np.ndim(_value_all(a)) == 0 or np.ndim(_value_all(b)) == 0:
        return a * b
    return linalg.tensordot(a, b, ([-1], [-1]))


@numpy_when_plain(np.kron)
def kron(a, b):
    """``numpy.kron``: an outer product whose axes are interleaved."""
    a, b = asarray(a), asarray(b)
    sa, sb = np.shape(_value_all(a)), np.shape(_value_all(b))
    nd = builtins.max(len(sa), len(sb))
    sa, sb = (1,) * (nd - len(sa)) + sa, (1,) * (nd - len(sb)) + sb
    wide_a = reshape(a, tuple(n for k in sa for n in (k, 1)))
    wide_b = reshape(b, tuple(n for k in sb for n in (1, k)))
    return reshape(wide_a * wide_b, tuple(i * j for i, j in zip(sa, sb)))


@numpy_when_plain(np.cross)
def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """``numpy.cross`` of 2- and 3-vectors."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = moveaxis(asarray(a), axisa, -1), moveaxis(asarray(b), axisb, -1)
    na, nb = np.shape(_value_all(a))[-1], np.shape(_value_all(b))[-1]

    def part(x, n, k):
        return x[..., k] if k < n else 0.0

    z = part(a, na, 0) * part(b, nb, 1) - part(a, na, 1) * part(b, nb, 0)
    if na == 2 and nb == 2:
        return z
    x = part(a, na, 1) * part(b, nb, 2) - part(a, na, 2) * part(b, nb, 1)
    y = part(a, na, 2) * part(b, nb, 0) - part(a, na, 0) * part(b, nb, 2)
    shape = np.broadcast_shapes(*(np.shape(_value_all(c)) for c in (x, y, z)))
    out = stack([broadcast_to(asarray(c), shape) for c in (x, y, z)], axis=-1)
    return moveaxis(out, -1, axisc)


class _Joiner:
    """``numpy.r_`` / ``numpy.c_``: on traced entries, a concatenation of them and the constants."""

    def __init__(self, np_joiner, columns):
        self._np, self._columns = np_joiner, columns

    def __getitem__(self, key):
        items = key if isinstance(key, tuple) else (key,)
        if not holds_traced(items):
            return self._np[key]
        pieces = []
        for item in items:
            if isinstance(item, str):
                raise UnsupportedFunctionError("numpy.r_/c_ directives (strings) are not supported on traced values")
            if isinstance(item, slice):
                item = np.r_[item]
            item = asarray(item)
            if self._columns:
                item = reshape(item, (-1, 1)) if np.ndim(_value_all(item)) < 2 else item
            pieces.append(atleast_1d(item))
        return concatenate(pieces, axis=-1 if self._columns else 0)

    def __len__(self):
        return 0


r_, c_ = _Joiner(np.r_, False), _Joiner(np.c_, True)


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
    np.where: where, np.clip: clip, np.dot: dot, np.outer: outer, np.sinc: ew.sinc,
    np.var: var, np.std: std, np.cumsum: cumsum, np.diff: diff, np.repeat: repeat, np.tile: tile,
    np.roll: roll, np.flip: flip, np.fliplr: fliplr, np.flipud: flipud, np.rot90: rot90,
    np.swapaxes: swapaxes, np.moveaxis: moveaxis, np.rollaxis: rollaxis, np.diagonal: diagonal,
    np.trace: trace, np.diag: diag, np.triu: triu, np.tril: tril, np.take: take,
    np.take_along_axis: take_along_axis, np.pad: pad, np.split: split, np.array_split: array_split,
    np.hsplit: hsplit, np.vsplit: vsplit, np.dsplit: dsplit, np.append: append,
    np.column_stack: column_stack, np.dstack: dstack, np.atleast_2d: atleast_2d,
    np.atleast_3d: atleast_3d, np.full_like: full_like, np.nan_to_num: nan_to_num, np.select: select,
    np.average: average, np.linspace: linspace, np.gradient: gradient, np.tensordot: tensordot,
    np.einsum: einsum, np.inner: inner, np.kron: kron, np.cross: cross,
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
    np.shape, np.ndim, np.size, np.iscomplexobj, np.isrealobj, np.iscomplex, np.isreal,
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
