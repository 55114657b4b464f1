"""NumPy's dispatch protocols for traced values: unmodified numpy code traces.

``numpy.sin(z)`` or ``A @ z`` (``A`` an ndarray) on a traced ``z`` reaches
``Traced.__array_ufunc__`` / ``__array_function__``, which forward here.
"""

import numpy as np

from . import numpy_functions as nf
from .tape import Traced, record_guard

# Piecewise-constant functions whose result depends on shapes (and dtypes) only: a plan (whose shapes are
# fixed) never needs to re-check them, so they are not noted as guards.
_SHAPE_ONLY = {np.zeros_like, np.ones_like, np.empty_like, np.shape, np.ndim, np.size, np.iscomplexobj, np.isrealobj}


def _plain(x):
    if isinstance(x, Traced):
        return x.value
    if isinstance(x, (list, tuple)):
        return type(x)(_plain(v) for v in x)
    return x


# Ufunc keywords at their defaults change nothing, so a call spelling them out traces as without them.
_UFUNC_DEFAULTS = {"dtype": None, "where": True, "casting": "same_kind", "order": "K", "subok": True, "signature": None}

# What to do instead of each keyword a traced ufunc call refuses ("out" has its own message below).
_UFUNC_KEYWORD_FIX = {
    "dtype": "cast the argument with .astype(dtype) first, or the result after",
    "where": "compute it everywhere and select with adjoint.numpy.where(mask, result, fallback)",
}


def _ufunc_keywords(kwargs):
    """``kwargs`` less those at their default values (``where=True``, ``dtype=None``, ...)."""
    return {k: v for k, v in kwargs.items()
            if not (k in _UFUNC_DEFAULTS and (v is _UFUNC_DEFAULTS[k]
                                              or (isinstance(v, str) and v == _UFUNC_DEFAULTS[k])))}


def array_ufunc(ufunc, method, inputs, kwargs):
    if kwargs:
        kwargs = _ufunc_keywords(kwargs)
    if method == "__call__" and not kwargs:
        if ufunc in nf.PIECEWISE_CONSTANT:
            return record_guard(ufunc, inputs, {}, ufunc(*_plain(inputs)))
        fn = nf.NUMPY_EQUIVALENTS.get(ufunc)
        if fn is not None:
            return fn(*inputs)
    if kwargs.get("out") is not None:
        raise nf.UnsupportedFunctionError(
            f"numpy.{ufunc.__name__} with out= would write into an array in place; traced "
            f"values are immutable, so assign the result instead"
        )
    if method == "__call__" and (ufunc in nf.PIECEWISE_CONSTANT or ufunc in nf.NUMPY_EQUIVALENTS):
        # The ufunc itself is differentiable: the keyword is what the trace cannot follow.
        keyword = next(iter(kwargs))
        fix = _UFUNC_KEYWORD_FIX.get(keyword, f"call numpy.{ufunc.__name__} without it")
        raise nf.UnsupportedFunctionError(
            f"numpy.{ufunc.__name__}'s keyword {keyword}= is not supported on traced values; {fix}"
        )
    raise nf.unsupported(ufunc if method == "__call__" else getattr(ufunc, method))


def array_function(func, args, kwargs):
    if func in nf.PIECEWISE_CONSTANT:
        outcome = func(*_plain(args), **_plain(kwargs))
        return outcome if func in _SHAPE_ONLY else record_guard(func, args, kwargs, outcome)
    fn = nf.NUMPY_EQUIVALENTS.get(func)
    if fn is None:
        raise nf.unsupported(func)
    return fn(*args, **kwargs)
