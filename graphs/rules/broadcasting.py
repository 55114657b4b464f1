"""Reducing cotangents back to the shape of a broadcast argument, and the converse.

Both also match the complex kind, as autograd's ``unbroadcast`` / ``match_complex`` do: the
cotangent of a real argument (and the tangent of a real result) is the real part of a
complex one.
"""

import numpy as np

from ..tape import Traced

_SCALARS = (float, np.float64, int)
_REAL_SCALARS = frozenset({float, np.float64, int, bool, np.float32, np.int64, np.bool_})


def is_complex(x):
    """Whether ``x`` (plain or traced, at any depth) holds complex numbers.

    Examples
    --------
    >>> is_complex(1.0), is_complex(np.array([1j])), is_complex(2j)
    (False, True, True)
    """
    while x.__class__ is Traced:
        x = x.value
    c = x.__class__
    if c in _REAL_SCALARS:
        return False
    if c is np.ndarray:
        return x.dtype.kind == "c"
    return np.iscomplexobj(x)


def match_complex(g, x):
    """``g`` as a cotangent of ``x``: its real part if ``g`` is complex and ``x`` is not.

    Examples
    --------
    >>> match_complex(np.array([1 + 2j]), 3.0), match_complex(1 + 2j, 1j)
    (array([1.]), (1+2j))
    """
    if is_complex(g) and not is_complex(x):
        return np.real(g)  # a traced g dispatches to the traced real
    return g


def unbroadcast(g, x):
    """Sum ``g`` over the axes along which ``x`` was broadcast, giving ``x``'s shape."""
    # Fast paths: scalar against scalar, or arrays of one shape (np.shape costs ~0.5 us).
    tg, tx = g.__class__, x.__class__
    if tg in _SCALARS and tx in _SCALARS:
        return g
    if tg is np.ndarray and tx is np.ndarray and g.shape == x.shape:
        return g if g.dtype.kind != "c" or x.dtype.kind == "c" else g.real
    shape = np.shape(x)
    gshape = np.shape(g)
    if gshape == shape:
        return match_complex(g, x)
    if g.__class__ is not Traced and not on_gpu(g):  # cupy and traced arrays sum as they are
        g = np.asarray(g)
    extra = len(gshape) - len(shape)
    if extra > 0:
        g = g.sum(axis=tuple(range(extra)))
    kept = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if kept:
        g = g.sum(axis=kept, keepdims=True)
    g = g.reshape(shape) if shape != g.shape else g
    return match_complex(g, x)


def broadcast_like(t, ans):
    """Broadcast a tangent to the shape of the result ``ans`` (its real part if ``ans`` is real)."""
    tt, ta = t.__class__, ans.__class__
    if tt in _SCALARS and ta in _SCALARS:
        return t
    if tt is np.ndarray and ta is np.ndarray and t.shape == ans.shape:
        return t if t.dtype.kind != "c" or ans.dtype.kind == "c" else t.real
    t = match_complex(t, ans)
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
