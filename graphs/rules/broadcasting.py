"""Reducing cotangents back to the shape of a broadcast argument, and the converse."""

import numpy as np

from ..tape import Traced

_SCALARS = (float, np.float64, int)


def unbroadcast(g, x):
    """Sum ``g`` over the axes along which ``x`` was broadcast, giving ``x``'s shape."""
    # Fast paths: scalar against scalar, or arrays of one shape (np.shape costs ~0.5 us).
    tg, tx = g.__class__, x.__class__
    if tg in _SCALARS and tx in _SCALARS:
        return g
    if tg is np.ndarray and tx is np.ndarray and g.shape == x.shape:
        return g
    shape = np.shape(x)
    gshape = np.shape(g)
    if gshape == shape:
        return g
    if g.__class__ is not Traced and not on_gpu(g):  # cupy and traced arrays sum as they are
        g = np.asarray(g)
    extra = len(gshape) - len(shape)
    if extra > 0:
        g = g.sum(axis=tuple(range(extra)))
    kept = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if kept:
        g = g.sum(axis=kept, keepdims=True)
    return g.reshape(shape) if shape != g.shape else g


def broadcast_like(t, ans):
    """Broadcast a tangent to the shape of the result ``ans``."""
    shape = np.shape(ans)
    return t if np.shape(t) == shape else np.broadcast_to(t, shape)


def on_gpu(x):
    """Whether ``x`` is a cupy array (judged by its type's module: cupy is never imported).

    Examples
    --------
    >>> on_gpu(np.zeros(2)), on_gpu(1.0)
    (False, False)
    """
    return type(x).__module__.split(".", 1)[0] == "cupy"
