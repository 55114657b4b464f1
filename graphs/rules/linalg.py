"""Products (matmul / ``@``, dot, outer, and constant sparse matrices times traced vectors).

``matmul`` follows numpy's rules: 1-D operands are promoted to a row (left) or a column
(right) and batch dimensions broadcast; the cotangents undo both. Sparse partials are the constant
factor itself, repeated by a Kronecker product over the other operand's free axis; batched
(more than 2-D) products have none, and fall back to VJPs.
"""

import numpy as np
import scipy.sparse as sp

from ..errors import UnsupportedFunctionError
from ..primitive import defjvp, defpartial, defvjp, primitive
from ..tape import Traced
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
    return _array(a2), _array(b2)


def _array(x):
    return x if x.__class__ is Traced else np.asarray(x)


def _swap_last(x):
    """``x`` with its last two axes swapped (a transpose record where ``x`` is traced)."""
    if x.__class__ is not Traced:
        return np.swapaxes(x, -1, -2)
    n = np.ndim(x)
    return np.transpose(x, (*range(n - 2), n - 1, n - 2))


def _g_promoted(g, a, b):
    # b's axis first: for 1-D @ 1-D the cotangent is 0-d, and needs both axes back.
    g = _array(g)
    if np.ndim(b) == 1:
        g = np.expand_dims(g, -1)
    if np.ndim(a) == 1:
        g = np.expand_dims(g, -2)
    return g


def _matmul_vjp_a(g, ans, a, b):
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * b, a)
    a2, b2 = _promoted(a, b)
    ga = _g_promoted(g, a, b) @ _swap_last(b2)
    ga = unbroadcast(ga, a2)
    return ga.reshape(np.shape(a))


def _matmul_vjp_b(g, ans, a, b):
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * a, b)
    a2, b2 = _promoted(a, b)
    gb = _swap_last(a2) @ _g_promoted(g, a, b)
    gb = unbroadcast(gb, b2)
    return gb.reshape(np.shape(b))


def _outer_vjp_a(g, ans, a, b):
    return (_array(g) @ np.ravel(b)).reshape(np.shape(a))


def _outer_vjp_b(g, ans, a, b):
    return (np.ravel(a) @ _array(g)).reshape(np.shape(b))


defvjp(matmul, _matmul_vjp_a, _matmul_vjp_b)
defvjp(dot, _matmul_vjp_a, _matmul_vjp_b)
defvjp(outer, _outer_vjp_a, _outer_vjp_b)
defvjp(sparse_matmul, None, lambda g, ans, A, x: sparse_matmul(A.T, g))

defjvp(matmul, lambda t, ans, a, b: np.matmul(t, b), lambda t, ans, a, b: np.matmul(a, t))
defjvp(dot, lambda t, ans, a, b: np.dot(t, b), lambda t, ans, a, b: np.dot(a, t))
defjvp(outer, lambda t, ans, a, b: np.outer(t, b), lambda t, ans, a, b: np.outer(a, t))
defjvp(sparse_matmul, None, lambda t, ans, A, x: sparse_matmul(A, t))


# --- Sparse partial table --------------------------------------------------------------
# With a (m × n) and b (n × k), flattened in C order: ∂(a b)/∂b = a ⊗ I_k and
# ∂(a b)/∂a = I_m ⊗ bᵀ. A 1-D a is a row (m = 1), a 1-D b a column (k = 1).
def _product_partial_a(ans, a, b):
    if np.ndim(a) > 2 or np.ndim(b) > 2:
        return None
    if np.ndim(b) == 0:
        return float(b) * sp.eye(np.size(a), format="csr")
    if np.ndim(a) == 0:
        return sp.csr_matrix(np.reshape(b, (-1, 1)))
    b2 = np.reshape(b, (np.shape(b)[0], -1))
    m = np.shape(a)[0] if np.ndim(a) == 2 else 1
    return sp.kron(sp.eye(m), sp.csr_matrix(b2.T), format="csr")


def _product_partial_b(ans, a, b):
    if np.ndim(a) > 2 or np.ndim(b) > 2:
        return None
    if np.ndim(a) == 0:
        return float(a) * sp.eye(np.size(b), format="csr")
    if np.ndim(b) == 0:
        return sp.csr_matrix(np.reshape(a, (-1, 1)))
    k = np.shape(b)[1] if np.ndim(b) == 2 else 1
    return sp.kron(sp.csr_matrix(np.atleast_2d(a)), sp.eye(k), format="csr")


def _sparse_matmul_partial(ans, A, x):
    k = np.shape(x)[1] if np.ndim(x) == 2 else 1
    A = sp.csr_matrix(A)
    return A if k == 1 else sp.kron(A, sp.eye(k), format="csr")


defpartial(matmul, _product_partial_a, _product_partial_b)
defpartial(dot, _product_partial_a, _product_partial_b)
defpartial(
    outer,
    lambda ans, a, b: sp.kron(sp.eye(np.size(a)), sp.csr_matrix(np.reshape(b, (-1, 1))), format="csr"),
    lambda ans, a, b: sp.kron(sp.csr_matrix(np.reshape(a, (-1, 1))), sp.eye(np.size(b)), format="csr"),
)
defpartial(sparse_matmul, None, _sparse_matmul_partial)
