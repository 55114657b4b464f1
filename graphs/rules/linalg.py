"""Products (matmul / ``@``, dot, outer, and constant sparse matrices times traced vectors).

``matmul`` follows numpy's rules: 1-D operands are promoted to a row (left) or a column
(right) and batch dimensions broadcast; the cotangents undo both.
"""

import numpy as np

from ..errors import UnsupportedFunctionError
from ..primitive import defjvp, defvjp, primitive
from .broadcasting import unbroadcast

matmul = primitive(np.matmul, "matmul")
outer = primitive(np.outer, "outer")
sparse_matmul = primitive(lambda A, x: A @ x, "sparse_matmul")


def _dot_impl(a, b):
    if np.ndim(a) > 2 or np.ndim(b) > 2:
        raise UnsupportedFunctionError(
            f"dot of arrays with {np.ndim(a)} and {np.ndim(b)} dimensions is not supported on "
            f"traced values; use matmul (@) or tensordot-free reshapes"
        )
    return np.dot(a, b)


dot = primitive(_dot_impl, "dot")


def _promoted(a, b):
    a2 = a[None, :] if np.ndim(a) == 1 else a
    b2 = b[:, None] if np.ndim(b) == 1 else b
    return np.asarray(a2), np.asarray(b2)


def _g_promoted(g, a, b):
    # b's axis first: for 1-D @ 1-D the cotangent is 0-d, and needs both axes back.
    g = np.asarray(g)
    if np.ndim(b) == 1:
        g = np.expand_dims(g, -1)
    if np.ndim(a) == 1:
        g = np.expand_dims(g, -2)
    return g


def _matmul_vjp_a(g, ans, a, b):
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * b, a)
    a2, b2 = _promoted(a, b)
    ga = _g_promoted(g, a, b) @ np.swapaxes(b2, -1, -2)
    ga = unbroadcast(ga, a2)
    return ga.reshape(np.shape(a))


def _matmul_vjp_b(g, ans, a, b):
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * a, b)
    a2, b2 = _promoted(a, b)
    gb = np.swapaxes(a2, -1, -2) @ _g_promoted(g, a, b)
    gb = unbroadcast(gb, b2)
    return gb.reshape(np.shape(b))


def _outer_vjp_a(g, ans, a, b):
    return (np.asarray(g) @ np.ravel(b)).reshape(np.shape(a))


def _outer_vjp_b(g, ans, a, b):
    return (np.ravel(a) @ np.asarray(g)).reshape(np.shape(b))


defvjp(matmul, _matmul_vjp_a, _matmul_vjp_b)
defvjp(dot, _matmul_vjp_a, _matmul_vjp_b)
defvjp(outer, _outer_vjp_a, _outer_vjp_b)
defvjp(sparse_matmul, None, lambda g, ans, A, x: A.T @ g)

defjvp(matmul, lambda t, ans, a, b: np.matmul(t, b), lambda t, ans, a, b: np.matmul(a, t))
defjvp(dot, lambda t, ans, a, b: np.dot(t, b), lambda t, ans, a, b: np.dot(a, t))
defjvp(outer, lambda t, ans, a, b: np.outer(t, b), lambda t, ans, a, b: np.outer(a, t))
defjvp(sparse_matmul, None, lambda t, ans, A, x: A @ t)
