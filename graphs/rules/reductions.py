"""Reductions (sum, mean, max, min, prod with ``axis`` and ``keepdims``) and their rules.

Every argument entry feeds one result entry: a sparse partial has one entry per column, the
weight the VJP rule gives it (``partials.reduction``).
"""

import numpy as np

from ..primitive import defjvp, defpartial, defvjp, primitive
from ..tape import Traced
from . import partials
from .shapes import stack

sum = primitive(np.sum, "sum")  # noqa: A001 - the numpy name is the interface
mean = primitive(np.mean, "mean")
max = primitive(np.max, "max")  # noqa: A001
min = primitive(np.min, "min")  # noqa: A001
prod = primitive(np.prod, "prod")


def _axes(x, axis):
    ndim = np.ndim(x)
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(sorted(a % ndim for a in axes))


def _restore(g, x, axis, keepdims):
    """Put back the reduced axes of ``g`` so it broadcasts against ``x``."""
    if keepdims or np.ndim(x) == 0:
        return g
    return np.expand_dims(g, _axes(x, axis))


def _count(x, axis):
    shape = np.shape(x)
    return int(np.prod([shape[a] for a in _axes(x, axis)]))


def _chooser(ans, x, axis, keepdims):
    """The mask of extremal entries, ties sharing equally (as autograd does)."""
    hit = x == _restore(ans, x, axis, keepdims)
    return hit / hit.sum(axis=_axes(x, axis), keepdims=True)


def _sum_vjp(g, ans, x, axis=None, keepdims=False, **_):
    return np.broadcast_to(_restore(g, x, axis, keepdims), np.shape(x))


def _mean_vjp(g, ans, x, axis=None, keepdims=False, **_):
    return _sum_vjp(g, ans, x, axis, keepdims) / _count(x, axis)


def _extremum_vjp(g, ans, x, axis=None, keepdims=False, **_):
    return _restore(g, x, axis, keepdims) * _chooser(ans, x, axis, keepdims)


def _prod_vjp(g, ans, x, axis=None, keepdims=False, **_):
    # d prod / d x_k = the product of the others, computed without dividing by x (zeros are fine).
    return _restore(g, x, axis, keepdims) * _product_of_others(x, _axes(x, axis))


def _product_of_others(x, axes):
    """Each entry of ``x`` replaced by the product of the other entries along ``axes``."""
    perm = list(axes) + [a for a in range(np.ndim(x)) if a not in axes]
    back = tuple(np.argsort(perm))
    moved = np.transpose(x if x.__class__ is Traced else np.asarray(x, dtype=np.result_type(x, float)), perm)
    shape = np.shape(moved)
    flat = np.reshape(moved, (-1,) + shape[len(axes):])
    n = len(flat)
    if x.__class__ is Traced and n > 0:
        # Traced (a second derivative): prefix and suffix products as records of the tape.
        before, after = [np.ones(np.shape(flat)[1:])], [np.ones(np.shape(flat)[1:])]
        for k in range(1, n):
            before.append(before[-1] * flat[k - 1])
            after.append(after[-1] * flat[n - k])
        others = stack(*[b * a for b, a in zip(before, after[::-1])])
    else:
        ones = np.ones_like(flat[:1])
        before = np.cumprod(np.concatenate([ones, flat[:-1]]), axis=0)
        after = np.cumprod(np.concatenate([ones, flat[::-1][:-1]]), axis=0)[::-1]
        others = before * after
    return np.transpose(np.reshape(others, shape), back)


defvjp(sum, _sum_vjp)
defvjp(mean, _mean_vjp)
defvjp(max, _extremum_vjp)
defvjp(min, _extremum_vjp)
defvjp(prod, _prod_vjp)

defjvp(sum, lambda t, ans, x, axis=None, keepdims=False, **_: np.sum(t, axis=axis, keepdims=keepdims))
defjvp(mean, lambda t, ans, x, axis=None, keepdims=False, **_: np.mean(t, axis=axis, keepdims=keepdims))
defjvp(
    max,
    lambda t, ans, x, axis=None, keepdims=False, **_: np.sum(
        t * _chooser(ans, x, axis, keepdims), axis=axis, keepdims=keepdims
    ),
)
defjvp(
    min,
    lambda t, ans, x, axis=None, keepdims=False, **_: np.sum(
        t * _chooser(ans, x, axis, keepdims), axis=axis, keepdims=keepdims
    ),
)
defjvp(
    prod,
    lambda t, ans, x, axis=None, keepdims=False, **_: np.sum(
        t * _prod_vjp(np.ones_like(ans), ans, x, axis, keepdims), axis=axis, keepdims=keepdims
    ),
)

# --- Sparse partial table --------------------------------------------------------------
defpartial(sum, partials.reduction(_sum_vjp, _restore))
defpartial(mean, partials.reduction(_mean_vjp, _restore))
defpartial(max, partials.reduction(_extremum_vjp, _restore))
defpartial(min, partials.reduction(_extremum_vjp, _restore))
defpartial(prod, partials.reduction(_prod_vjp, _restore))


# --- Cumulative sums ---------------------------------------------------------------------
# ``axis`` is always an int here (numpy_functions.cumsum flattens for axis=None).
cumsum = primitive(lambda x, axis: np.cumsum(x, axis=axis), "cumsum")


def _reversed(g, axis):
    """``g`` reversed along ``axis`` (an index record where ``g`` is traced)."""
    return g[(slice(None),) * (axis % np.ndim(g)) + (slice(None, None, -1),)]


# The adjoint of a running sum is the running sum from the other end.
defvjp(cumsum, lambda g, ans, x, axis: _reversed(cumsum(_reversed(g, axis), axis=axis), axis))
defjvp(cumsum, lambda t, ans, x, axis: cumsum(t, axis=axis))
