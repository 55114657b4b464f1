"""Derivative rules of sorting and selection (sort, partition, median, percentile, quantile): permutation rules.

``sort`` and ``partition`` permute their argument along an axis, so their derivatives move
entries by the same permutation: the JVP gathers the tangent by it, the VJP gathers the
cotangent by its inverse. Both are fancy indexing (the ``index`` primitive, whose adjoint is
``scatter_add``), so the rules trace and can be differentiated again. The permutation is
recomputed from the argument inside the rules with ``numpy.argsort`` (a guard of the trace
when the argument is traced, since the permutation is piecewise constant).

``median``, ``percentile`` and ``quantile`` (and their ``nan`` versions) are not primitives:
each is a sort followed by a linear interpolation between two neighbouring order statistics,
whose positions and weights depend on the shape (and, with ``nan``, on where NaNs are) only.

EQUIVALENTS maps each numpy / scipy function of this family to its traced version, for
numpy's dispatch (merged into graphs.numpy_functions.NUMPY_EQUIVALENTS); __all__
lists the traced functions by their numpy names.
"""

import numpy as np

from ..errors import UnsupportedFunctionError
from ..primitive import defjvp, defpartial, defvjp, primitive
from ..tape import Traced, holds_traced, record_guard
from . import partials
from .shapes import reshape as _reshape
from .shapes import transpose as _transpose

__all__ = ["sort", "partition", "median", "percentile", "quantile", "nanmedian", "nanpercentile", "nanquantile"]


# --- permutations ------------------------------------------------------------------------

def _along(perm, axis):
    """The fancy index that gathers ``perm`` along ``axis`` (``numpy.take_along_axis`` as indexing)."""
    ndim = np.ndim(perm)
    axis %= ndim
    shape = np.shape(perm)
    return tuple(perm if d == axis else np.arange(n).reshape((1,) * d + (n,) + (1,) * (ndim - d - 1))
                 for d, n in enumerate(shape))


def _inverse(perm, axis):
    return np.argsort(perm, axis=axis)


def _sort_perm(ans, x, axis=-1, kind=None, stable=None):
    """The permutation ``p`` along ``axis`` with ``x[p] == ans`` (the one autograd's sort uses)."""
    return np.argsort(x, axis=axis, kind=kind, stable=stable)


def _partition_perm(ans, x, kth, axis=-1, kind="introselect"):
    """A permutation ``p`` along ``axis`` with ``x[p] == ans``.

    ``numpy.argpartition`` does not always arrange entries as ``numpy.partition`` does (with
    ties it may not), so the permutation is matched to ``ans`` instead: stable sorts of ``x``
    and of ``ans`` line up equal entries.
    """
    into_x = np.argsort(x, axis=axis, kind="stable")
    into_ans = np.argsort(ans, axis=axis, kind="stable")
    return np.take_along_axis(into_x, _inverse(into_ans, axis), axis=axis)


def _permutation_rules(prim, perm_of):
    def vjp(g, ans, x, axis=-1, **params):
        return g[_along(_inverse(perm_of(ans, x, axis=axis, **params), axis), axis)]

    def jvp(t, ans, x, axis=-1, **params):
        return t[_along(perm_of(ans, x, axis=axis, **params), axis)]

    def partial(ans, x, axis=-1, **params):
        perm = perm_of(ans, x, axis=axis, **params)
        return partials.gather(np.take_along_axis(partials.positions(x), perm, axis=axis), np.size(x))

    defvjp(prim, vjp)
    defjvp(prim, jvp)
    defpartial(prim, partial)


_sort = primitive(lambda x, axis=-1, kind=None, stable=None: np.sort(x, axis=axis, kind=kind, stable=stable), "sort")
_partition = primitive(lambda x, kth, axis=-1, kind="introselect": np.partition(x, kth, axis=axis, kind=kind),
                       "partition")
_permutation_rules(_sort, _sort_perm)
_permutation_rules(_partition, _partition_perm)


# --- helpers -----------------------------------------------------------------------------

def _traced(*xs):
    return any(x.__class__ is Traced for x in xs)


def _as_traced_array(a):
    """``a`` as a traced array if it is one, or a (nested) sequence holding traced values; else None."""
    if a.__class__ is Traced:
        return a
    if isinstance(a, (list, tuple)) and holds_traced(a):
        from ..numpy_functions import array  # numpy_functions imports this module

        return array(a)
    return None


def _refuse(name, argument, why):
    raise UnsupportedFunctionError(f"numpy.{name} of a traced value: {argument} {why}")


def _check_plain(name, **arguments):
    """Refuse a traced value where no derivative is taken (``q``, ``kth``, ``weights``)."""
    for argument, value in arguments.items():
        if value.__class__ is Traced or (isinstance(value, (list, tuple)) and holds_traced(value)):
            _refuse(name, argument, "is traced, and it is not differentiable here (it must be constant)")


# --- sort and partition ------------------------------------------------------------------

def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    """``numpy.sort``, differentiable: the derivative follows the sorting permutation.

    Examples
    --------
    >>> import adjoint, adjoint.numpy as anp
    >>> adjoint.grad(lambda x: anp.sum(anp.sort(x) * anp.array([1.0, 2.0, 3.0])))(anp.array([3.0, 1.0, 2.0]))
    array([3., 1., 2.])
    """
    x = _as_traced_array(a)
    if x is None:
        return np.sort(a, axis=axis, kind=kind, order=order, stable=stable)
    if order is not None:
        _refuse("sort", "order", "sorts structured arrays by fields, and traced values have none")
    if axis is None:
        x, axis = _reshape(x, shape=(-1,)), -1
    return _sort(x, axis=axis, kind=kind, stable=stable)


def partition(a, kth, axis=-1, kind="introselect", order=None):
    """``numpy.partition``, differentiable: the derivative follows the permutation it applies.

    Examples
    --------
    >>> import adjoint, adjoint.numpy as anp
    >>> adjoint.grad(lambda x: anp.partition(x, 1)[1])(anp.array([3.0, 1.0, 2.0]))
    array([0., 0., 1.])
    """
    x = _as_traced_array(a)
    if x is None:
        return np.partition(a, kth, axis=axis, kind=kind, order=order)
    _check_plain("partition", kth=kth)
    if order is not None:
        _refuse("partition", "order", "orders structured arrays by fields, and traced values have none")
    if axis is None:
        x, axis = _reshape(x, shape=(-1,)), -1
    kth = tuple(int(k) for k in kth) if isinstance(kth, (list, tuple, np.ndarray)) else kth
    return _partition(x, kth=kth, axis=axis, kind=kind)


# --- order statistics --------------------------------------------------------------------

def _order_statistic(where_of, x, q, axis, method, keepdims, skip_nan):
    """``percentile``/``quantile`` (``where_of`` is numpy's) of a traced ``x``: a sort and a lerp.

    Every method of numpy's gives an interpolation between two neighbouring order statistics
    (or one of them), so numpy's own function applied to the ranks ``0, 1, ..., n-1`` gives
    their position: its integer part is the lower neighbour, its fraction the weight of the upper.
    """
    shape = np.shape(x.value)
    ndim = len(shape)
    if axis is None:
        axes = tuple(range(ndim))
    else:
        axes = tuple(sorted({a % ndim for a in (axis if isinstance(axis, (tuple, list)) else (axis,))}))
    rest = tuple(d for d in range(ndim) if d not in axes)
    m = int(np.prod([shape[d] for d in rest]))
    n = int(np.prod([shape[d] for d in axes]))
    moved = x if rest + axes == tuple(range(ndim)) else _transpose(x, axes=rest + axes)
    rows = _reshape(moved, shape=(m, n))
    ranked = _sort(rows, axis=-1)
    q = np.asarray(q)
    missing = np.isnan(rows)  # a guard when traced: where the NaNs are decides the positions
    counts = n - np.sum(missing, axis=1) if skip_nan else np.full(m, n)
    low = np.zeros((m, q.size), dtype=int)
    weight = np.zeros((m, q.size))
    for count in np.unique(counts):
        at = np.flatnonzero(counts == count)
        if count == 0:  # an all-NaN slice: numpy's result is NaN, as is what position 0 holds
            continue
        spot = np.ravel(where_of(np.arange(count, dtype=float), q, method=method))
        lo = np.clip(np.floor(spot).astype(int), 0, count - 1)
        low[at], weight[at] = lo, np.clip(spot - lo, 0.0, 1.0)
    high = np.minimum(low + 1, np.maximum(counts - 1, 0)[:, None])
    picks = np.arange(m)[:, None]
    result = ranked[picks, low]
    if np.any(weight):
        result = result + (ranked[picks, high] - result) * weight
    if not skip_nan and np.any(missing):  # numpy's result is NaN for a slice holding one
        result = np.where(np.any(missing, axis=1)[:, None], np.nan, result)
    out_shape = tuple(1 if d in axes else shape[d] for d in range(ndim)) if keepdims else tuple(shape[d] for d in rest)
    return _reshape(_transpose(result), shape=q.shape + out_shape)


def _statistic(name, numpy_fn, where_of, a, q, axis, out, overwrite_input, method, keepdims, weights, skip_nan):
    x = _as_traced_array(a)
    if x is None:
        return numpy_fn(a, q, axis=axis, out=out, overwrite_input=overwrite_input, method=method, keepdims=keepdims,
                        weights=weights)
    _check_plain(name, q=q, weights=weights)
    if weights is not None:
        _refuse(name, "weights", "is not supported on traced values")
    if out is not None:
        _refuse(name, "out", "would write into an array in place; traced values are immutable, so assign the result")
    return _order_statistic(where_of, x, q, axis, method, keepdims, skip_nan)


def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, *,
               weights=None):
    """``numpy.percentile``, differentiable in ``a`` (``q`` is constant).

    Examples
    --------
    >>> import adjoint, adjoint.numpy as anp
    >>> adjoint.grad(lambda x: anp.percentile(x, 75.0))(anp.array([4.0, 1.0, 3.0, 2.0]))
    array([0.25, 0.  , 0.75, 0.  ])
    """
    return _statistic("percentile", np.percentile, np.percentile, a, q, axis, out, overwrite_input, method,
                      keepdims, weights, skip_nan=False)


def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, *,
             weights=None):
    """``numpy.quantile``, differentiable in ``a`` (``q`` is constant).

    Examples
    --------
    >>> import adjoint, adjoint.numpy as anp
    >>> adjoint.grad(lambda x: anp.quantile(x, 0.5))(anp.array([4.0, 1.0, 3.0, 2.0]))
    array([0. , 0. , 0.5, 0.5])
    """
    return _statistic("quantile", np.quantile, np.quantile, a, q, axis, out, overwrite_input, method,
                      keepdims, weights, skip_nan=False)


def nanpercentile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, *,
                  weights=None):
    """``numpy.nanpercentile``, differentiable in ``a``: NaNs are left out (and get a zero derivative).

    Examples
    --------
    >>> import adjoint, adjoint.numpy as anp
    >>> adjoint.grad(lambda x: anp.nanpercentile(x, 50.0))(anp.array([4.0, anp.nan, 1.0, 2.0]))
    array([0., 0., 0., 1.])
    """
    return _statistic("nanpercentile", np.nanpercentile, np.percentile, a, q, axis, out, overwrite_input, method,
                      keepdims, weights, skip_nan=True)


def nanquantile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, *,
                weights=None):
    """``numpy.nanquantile``, differentiable in ``a``: NaNs are left out (and get a zero derivative).

    Examples
    --------
    >>> import adjoint, adjoint.numpy as anp
    >>> adjoint.grad(lambda x: anp.nanquantile(x, 1.0))(anp.array([4.0, anp.nan, 1.0]))
    array([1., 0., 0.])
    """
    return _statistic("nanquantile", np.nanquantile, np.quantile, a, q, axis, out, overwrite_input, method,
                      keepdims, weights, skip_nan=True)


def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """``numpy.median``, differentiable: for an even count the two middle entries share it equally.

    Examples
    --------
    >>> import adjoint, adjoint.numpy as anp
    >>> adjoint.grad(lambda x: anp.median(x))(anp.array([4.0, 1.0, 3.0, 2.0]))
    array([0. , 0. , 0.5, 0.5])
    """
    x = _as_traced_array(a)
    if x is None:
        return np.median(a, axis=axis, out=out, overwrite_input=overwrite_input, keepdims=keepdims)
    return _statistic("median", None, np.percentile, x, 50.0, axis, out, False, "linear", keepdims, None,
                      skip_nan=False)


def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """``numpy.nanmedian``, differentiable: NaNs are left out (and get a zero derivative).

    Examples
    --------
    >>> import adjoint, adjoint.numpy as anp
    >>> adjoint.grad(lambda x: anp.nanmedian(x))(anp.array([4.0, anp.nan, 1.0, 3.0]))
    array([0., 0., 0., 1.])
    """
    x = _as_traced_array(a)
    if x is None:
        return np.nanmedian(a, axis=axis, out=out, overwrite_input=overwrite_input, keepdims=keepdims)
    return _statistic("nanmedian", None, np.percentile, x, 50.0, axis, out, False, "linear", keepdims, None,
                      skip_nan=True)


def argpartition(a, kth, axis=-1, kind="introselect", order=None):
    """``numpy.argpartition``: piecewise constant, so a traced ``a`` gives plain indices (noted as a guard)."""
    outcome = np.argpartition(a.value if a.__class__ is Traced else a, kth, axis=axis, kind=kind, order=order)
    return record_guard(np.argpartition, (a,), dict(kth=kth, axis=axis, kind=kind, order=order), outcome)


EQUIVALENTS = {
    np.sort: sort, np.partition: partition, np.median: median, np.percentile: percentile, np.quantile: quantile,
    np.nanmedian: nanmedian, np.nanpercentile: nanpercentile, np.nanquantile: nanquantile,
    np.argpartition: argpartition,
}
if hasattr(np, "msort"):  # numpy < 2.0: sort along the first axis
    EQUIVALENTS[np.msort] = lambda a: sort(a, axis=0)
