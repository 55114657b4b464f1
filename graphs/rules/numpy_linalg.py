"""Derivative rules of numpy.linalg and scipy.linalg, batched as numpy allows.

EQUIVALENTS maps each numpy / scipy function of this family to its traced version, for
numpy's dispatch (merged into graphs.numpy_functions.NUMPY_EQUIVALENTS); __all__
lists the traced functions by their numpy names.

Conventions are autograd's (``autograd/numpy/linalg.py``, ``autograd/scipy/linalg.py``):
cotangents of complex arguments are those of holomorphic functions (no conjugation of the
partial), the derivative of ``cholesky`` and ``eigh`` is that of the symmetric (Hermitian)
matrix the factorisation reads. A decomposition with several results (``eigh``, ``eig``,
``svd``, ``qr``) is one primitive per result: a record holds one array, and a function of
the eigenvalues alone never reaches the rule of the eigenvectors (whose coefficients
``1 / (w_j - w_i)`` are infinite at repeated eigenvalues). Every rule is made of these
primitives, ``matmul`` and shape primitives, so it traces and can be differentiated again.
"""

import functools

import numpy as np
import scipy.linalg as sla

from ..errors import UnsupportedFunctionError
from ..primitive import defjvp, defvjp, primitive
from ..tape import holds_traced, plain_value
from . import shapes
from .broadcasting import is_complex, unbroadcast
from .linalg import matmul

__all__ = [
    "solve", "inv", "det", "slogdet", "cholesky", "eigh", "eigvalsh", "eig", "eigvals", "svd", "svdvals",
    "norm", "vector_norm", "matrix_norm", "pinv", "qr", "matrix_power", "multi_dot", "matrix_transpose",
]

#: scipy.linalg's functions that trace (``adjoint.scipy.linalg``).
SCIPY_ALL = ["solve_triangular", "cho_factor", "cho_solve", "sqrtm", "solve_sylvester", "solve_banded"]


# --- helpers ------------------------------------------------------------------------------

def _T(x):
    """``x`` with its last two axes swapped."""
    n = np.ndim(x)
    return shapes.transpose(x, axes=(*range(n - 2), n - 1, n - 2))


def _conj(x):
    return np.conj(x) if is_complex(x) else x


def _real(x):
    return np.real(x) if is_complex(x) else x


def _H(x):
    return _conj(_T(x))


def _eye(n):
    return np.eye(n)


def _tri_mask(n, k=0, lower=True):
    return np.tril(np.ones((n, n)), k) if lower else np.triu(np.ones((n, n)), k)


def _diag_embed(d):
    """A batch of diagonal matrices with diagonals ``d`` (``..., n`` -> ``..., n, n``)."""
    return shapes.expand_dims(d, axis=-1) * _eye(np.shape(d)[-1])


def _diag_part(x):
    """The diagonals of a batch of square matrices."""
    return np.sum(x * _eye(np.shape(x)[-1]), axis=-1)


def _add2d(x):
    return shapes.reshape(x, shape=np.shape(x) + (1, 1))


def _col(x):
    return shapes.expand_dims(x, axis=-1)


def _uncol(x):
    return shapes.squeeze(x, axis=-1)


def _mm(a, b):
    return matmul(a, b)


def _unsupported(fname, what):
    return UnsupportedFunctionError(f"{fname}: {what} is not supported on traced values")


# --- inv, solve, det, slogdet -------------------------------------------------------------

_inv = primitive(np.linalg.inv, "linalg_inv")
defvjp(_inv, lambda g, ans, x: -_mm(_mm(_T(ans), g), _T(ans)))
defjvp(_inv, lambda t, ans, x: -_mm(_mm(ans, t), ans))


def inv(a):
    """``numpy.linalg.inv``, batched.

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> float(adjoint.grad(lambda x: inv(x)[0, 0])(np.array([[2.0]]))[0, 0])
    -0.25
    """
    return _inv(a) if holds_traced(a) else np.linalg.inv(a)


_solve = primitive(np.linalg.solve, "linalg_solve")


def _solve_vjp_a(g, ans, a, b):
    v = solve(_T(a), g if np.ndim(b) > 1 else _col(g))
    x = ans if np.ndim(b) > 1 else _col(ans)
    return unbroadcast(-_mm(v, _T(x)), a)


def _solve_vjp_b(g, ans, a, b):
    v = solve(_T(a), g) if np.ndim(b) > 1 else _uncol(solve(_T(a), _col(g)))
    return unbroadcast(v, b)


def _solve_jvp_a(t, ans, a, b):
    if np.ndim(b) > 1:
        return -solve(a, _mm(t, ans))
    return -_uncol(solve(a, _mm(t, _col(ans))))


defvjp(_solve, _solve_vjp_a, _solve_vjp_b)
defjvp(_solve, _solve_jvp_a, lambda t, ans, a, b: np.broadcast_to(solve(a, t), np.shape(ans)))


def solve(a, b):
    """``numpy.linalg.solve`` (numpy 2's rule: ``b`` is a vector only if it is 1-D), batched.

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> adjoint.grad(lambda b: solve(2.0 * np.eye(2), b).sum())(np.ones(2))
    array([0.5, 0.5])
    """
    return _solve(a, b) if holds_traced((a, b)) else np.linalg.solve(a, b)


_det = primitive(np.linalg.det, "linalg_det")
defvjp(_det, lambda g, ans, x: _add2d(g * ans) * _T(inv(x)))
defjvp(_det, lambda t, ans, x: ans * np.sum(_T(inv(x)) * t, axis=(-2, -1)))


def det(a):
    """``numpy.linalg.det``, batched.

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> adjoint.grad(det)(np.diag([2.0, 3.0]))
    array([[3., 0.],
           [0., 2.]])
    """
    return _det(a) if holds_traced(a) else np.linalg.det(a)


_logabsdet = primitive(lambda x: np.linalg.slogdet(x)[1], "linalg_slogdet")
defvjp(_logabsdet, lambda g, ans, x: _add2d(g) * _T(inv(x)))
defjvp(_logabsdet, lambda t, ans, x: _real(np.sum(_T(inv(x)) * t, axis=(-2, -1))))


def slogdet(a):
    """``numpy.linalg.slogdet``: the sign is piecewise constant (untraced), ``logabsdet`` traces.

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> np.diagonal(adjoint.grad(lambda x: slogdet(x)[1])(np.diag([-2.0, 4.0])))
    array([-0.5 ,  0.25])
    """
    if not holds_traced(a):
        return np.linalg.slogdet(a)
    plain = np.linalg.slogdet(plain_value(a))
    return type(plain)(plain[0], _logabsdet(a))


# --- cholesky -----------------------------------------------------------------------------

def _phi(x):
    """The lower triangle of ``x`` with its diagonal halved."""
    n = np.shape(x)[-1]
    return x * (_tri_mask(n) - 0.5 * _eye(n))


def _cholesky_vjp(g, L, a):
    # Murray (arXiv:1602.07527): S = L^-T Φ(Lᵀ g) L^-1, symmetrised.
    X = _phi(_mm(_T(L), g))
    S = _T(_triangular_solve(L, _T(_triangular_solve(L, X, trans=1)), trans=1))
    return 0.5 * (S + _T(S))


def _cholesky_jvp(t, L, a):
    # The adjoint of the VJP: dL = L Φ(L^-1 sym(t) L^-T).
    t = 0.5 * (t + _T(t))
    return _mm(L, _phi(_triangular_solve(L, _T(_triangular_solve(L, _T(t))))))


def _triangular_solve(L, b, trans=0):
    """``L⁻¹ b`` (``L⁻ᵀ b`` for ``trans=1``) for a lower-triangular ``L``: a third of the work
    of an LU solve. A stack of matrices, which scipy's ``solve_triangular`` does not take,
    goes to ``solve``."""
    if np.ndim(L) == 2:
        return _solve_tri(L, b, trans=trans, lower=True)
    return solve(_T(L) if trans else L, b)


_cholesky = primitive(np.linalg.cholesky, "linalg_cholesky")
defvjp(_cholesky, _cholesky_vjp)
defjvp(_cholesky, _cholesky_jvp)


def cholesky(a, /, *, upper=False):
    """``numpy.linalg.cholesky``; the derivative is that of the symmetric matrix (autograd's).

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> adjoint.grad(lambda a: cholesky(a)[0, 0])(np.array([[4.0]]))
    array([[0.25]])
    """
    if not holds_traced(a):
        return np.linalg.cholesky(a, upper=upper)
    L = _cholesky(a)
    return _H(L) if upper else L


# --- eigh, eig ----------------------------------------------------------------------------

_eigh_w = primitive(lambda x, UPLO="L": np.linalg.eigh(x, UPLO)[0], "linalg_eigh_values")
_eigh_v = primitive(lambda x, UPLO="L": np.linalg.eigh(x, UPLO)[1], "linalg_eigh_vectors")


def _eigh_fold(temp, UPLO):
    """The cotangent of the triangle eigh reads, from that of the Hermitian matrix it stands for."""
    n = np.shape(temp)[-1]
    tri = _tri_mask(n, -1, lower=True) if UPLO == "L" else _tri_mask(n, 1, lower=False)
    return _real(temp) * _eye(n) + (temp + _H(temp)) * tri


def _eigh_unfold(t, UPLO):
    """The tangent of the Hermitian matrix eigh stands for, from that of its argument."""
    n = np.shape(t)[-1]
    tri = _tri_mask(n, -1, lower=True) if UPLO == "L" else _tri_mask(n, 1, lower=False)
    half = t * tri
    return _real(t) * _eye(n) + half + _H(half)


def _eigh_f(w):
    n = np.shape(w)[-1]
    off = 1.0 - _eye(n)
    return off / (shapes.expand_dims(w, axis=-2) - shapes.expand_dims(w, axis=-1) + _eye(n))


def _eigh_w_vjp(g, w, x, UPLO="L"):
    v = _eigh_v(x, UPLO=UPLO)
    return _eigh_fold(_mm(_conj(v) * shapes.expand_dims(g, axis=-2), _T(v)), UPLO)


def _eigh_v_vjp(g, v, x, UPLO="L"):
    F = _eigh_f(_eigh_w(x, UPLO=UPLO))
    return _eigh_fold(_mm(_mm(_conj(v), F * _mm(_T(v), g)), _T(v)), UPLO)


def _eigh_w_jvp(t, w, x, UPLO="L"):
    v = _eigh_v(x, UPLO=UPLO)
    return _real(_diag_part(_mm(_mm(_H(v), _eigh_unfold(t, UPLO)), v)))


def _eigh_v_jvp(t, v, x, UPLO="L"):
    F = _eigh_f(_eigh_w(x, UPLO=UPLO))
    return _mm(v, F * _mm(_mm(_H(v), _eigh_unfold(t, UPLO)), v))


defvjp(_eigh_w, _eigh_w_vjp)
defvjp(_eigh_v, _eigh_v_vjp)
defjvp(_eigh_w, _eigh_w_jvp)
defjvp(_eigh_v, _eigh_v_jvp)


def eigh(a, UPLO="L"):
    """``numpy.linalg.eigh``, batched; derivatives of the Hermitian matrix the triangle ``UPLO`` gives.

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> adjoint.grad(lambda a: eigh(a)[0][1])(np.diag([1.0, 2.0]))
    array([[0., 0.],
           [0., 1.]])
    """
    if not holds_traced(a):
        return np.linalg.eigh(a, UPLO)
    result = np.linalg.eigh(np.zeros((1, 1)))
    return type(result)(_eigh_w(a, UPLO=UPLO), _eigh_v(a, UPLO=UPLO))


def eigvalsh(a, UPLO="L"):
    """``numpy.linalg.eigvalsh``.

    Examples
    --------
    >>> import numpy as np
    >>> eigvalsh(np.diag([2.0, 1.0]))
    array([1., 2.])
    """
    return _eigh_w(a, UPLO=UPLO) if holds_traced(a) else np.linalg.eigvalsh(a, UPLO)


_eig_w = primitive(lambda x: np.linalg.eig(x)[0], "linalg_eig_values")
_eig_v = primitive(lambda x: np.linalg.eig(x)[1], "linalg_eig_vectors")


def _eig_f(e):
    n = np.shape(e)[-1]
    return (1.0 - _eye(n)) / (shapes.expand_dims(e, axis=-2) - shapes.expand_dims(e, axis=-1) + 1e-20)


def _eig_w_vjp(g, e, x):
    ut = _T(_eig_v(x))
    r = _mm(_mm(inv(ut), _diag_embed(g)), ut)
    return r if is_complex(x) else np.real(r)


def _eig_v_vjp(g, u, x):
    # Boeddeker et al. (arXiv:1701.00392) eq. 4.77, the eigenvector part.
    f = _eig_f(_eig_w(x))
    ut = _T(u)
    n = np.shape(u)[-1]
    utg = _mm(ut, g)
    r = f * utg - f * _mm(_mm(ut, _conj(u)), _real(utg) * _eye(n))
    r = _mm(_mm(inv(ut), r), ut)
    return r if is_complex(x) else np.real(r)


def _eig_w_jvp(t, e, x):
    u = _eig_v(x)
    return _diag_part(_mm(inv(u), _mm(t, u)))


def _eig_v_jvp(t, u, x):
    f = _eig_f(_eig_w(x))
    du = _mm(u, f * _mm(inv(u), _mm(t, u)))
    # numpy's eigenvectors have unit norm: remove the tangent's radial part.
    radial = _real(np.sum(_conj(u) * du, axis=-2))
    return du - u * shapes.expand_dims(radial, axis=-2)


defvjp(_eig_w, _eig_w_vjp)
defvjp(_eig_v, _eig_v_vjp)
defjvp(_eig_w, _eig_w_jvp)
defjvp(_eig_v, _eig_v_jvp)


def eig(a):
    """``numpy.linalg.eig``, batched (eigenvalues and eigenvectors may be complex for real ``a``).

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> adjoint.grad(lambda a: np.real(eig(a)[0][0]))(np.diag([1.0, 2.0]))
    array([[1., 0.],
           [0., 0.]])
    """
    if not holds_traced(a):
        return np.linalg.eig(a)
    result = np.linalg.eig(np.zeros((1, 1)))
    return type(result)(_eig_w(a), _eig_v(a))


def eigvals(a):
    """``numpy.linalg.eigvals``.

    Examples
    --------
    >>> import numpy as np
    >>> eigvals(np.diag([2.0, 1.0]))
    array([2., 1.])
    """
    return _eig_w(a) if holds_traced(a) else np.linalg.eigvals(a)


# --- svd ----------------------------------------------------------------------------------

_svd_u = primitive(lambda a, full_matrices=False: np.linalg.svd(a, full_matrices)[0], "linalg_svd_u")
_svd_s = primitive(lambda a: np.linalg.svd(a, compute_uv=False), "linalg_svd_s")
_svd_vh = primitive(lambda a, full_matrices=False: np.linalg.svd(a, full_matrices)[2], "linalg_svd_vh")


def _check_reduced(a, full_matrices):
    m, n = np.shape(a)[-2:]
    if full_matrices and m != n:
        raise UnsupportedFunctionError(
            "numpy.linalg.svd: the derivative of u and vh with full_matrices=True of a non-square "
            "matrix is not defined (its extra columns are arbitrary); pass full_matrices=False"
        )


def _svd_parts(a):
    u = _svd_u(a)
    return u, _svd_s(a), _svd_vh(a)


def _svd_f(s):
    k = np.shape(s)[-1]
    i = _eye(k)
    return (1.0 - i) / (shapes.expand_dims(s ** 2, axis=-2) - shapes.expand_dims(s ** 2, axis=-1) + i)


def _svd_s_vjp(g, s, a):
    u, vh = _svd_u(a), _svd_vh(a)
    return _mm(_conj(u) * shapes.expand_dims(g, axis=-2), _conj(vh))


def _svd_u_vjp(g, ans, a, full_matrices=False):
    # Townsend's derivation (j-towns.github.io/papers/svd-derivative.pdf), the part of u.
    _check_reduced(a, full_matrices)
    u, s, vh = _svd_parts(a)
    m, n = np.shape(a)[-2:]
    f = _svd_f(s)
    utgu = _mm(_T(u), g)
    t1 = (f * (utgu - _H(utgu))) * shapes.expand_dims(s, axis=-2)
    if is_complex(u):
        t1 = t1 + 1j * np.imag(_eye(np.shape(s)[-1]) * utgu) / shapes.expand_dims(s, axis=-2)
    t1 = _mm(_mm(_conj(u), t1), _conj(vh))
    if m > n:
        proj = _eye(m) - _mm(u, _H(u))
        t1 = t1 + _T(_mm(_mm(_H(vh) / shapes.expand_dims(s, axis=-2), _T(g)), proj))
    return t1


def _svd_vh_vjp(g, ans, a, full_matrices=False):
    _check_reduced(a, full_matrices)
    u, s, vh = _svd_parts(a)
    m, n = np.shape(a)[-2:]
    f = _svd_f(s)
    v = _H(vh)
    gv = _H(g)
    vtgv = _mm(_T(v), gv)
    t1 = shapes.expand_dims(s, axis=-1) * (f * (vtgv - _H(vtgv)))
    t1 = _mm(_mm(_conj(u), t1), _conj(vh))
    if m < n:
        proj = _eye(n) - _mm(v, _H(v))
        t1 = t1 + _conj(_mm(_mm(u / shapes.expand_dims(s, axis=-2), _T(gv)), proj))
    return t1


def _svd_tangents(t, a):
    if is_complex(a) or is_complex(t):
        raise UnsupportedFunctionError("numpy.linalg.svd: forward mode of complex matrices is not supported")
    u, s, vh = _svd_parts(a)
    v = _T(vh)
    dP = _mm(_mm(_T(u), t), v)
    return u, s, v, dP


def _svd_s_jvp(t, s, a):
    u, s, v, dP = _svd_tangents(t, a)
    return _diag_part(dP)


def _svd_u_jvp(t, ans, a, full_matrices=False):
    _check_reduced(a, full_matrices)
    u, s, v, dP = _svd_tangents(t, a)
    m, n = np.shape(a)[-2:]
    f = _svd_f(s)
    du = _mm(u, f * (dP * shapes.expand_dims(s, axis=-2) + shapes.expand_dims(s, axis=-1) * _T(dP)))
    if m > n:
        du = du + (_mm(t, v) - _mm(u, dP)) / shapes.expand_dims(s, axis=-2)
    return du


def _svd_vh_jvp(t, ans, a, full_matrices=False):
    _check_reduced(a, full_matrices)
    u, s, v, dP = _svd_tangents(t, a)
    m, n = np.shape(a)[-2:]
    f = _svd_f(s)
    dv = _mm(v, f * (shapes.expand_dims(s, axis=-1) * dP + _T(dP) * shapes.expand_dims(s, axis=-2)))
    if m < n:
        # (I - V Vᵀ) tᵀ U S^-1
        tu = _mm(_T(t), u)
        dv = dv + (tu - _mm(v, _T(dP))) / shapes.expand_dims(s, axis=-2)
    return _T(dv)


defvjp(_svd_s, _svd_s_vjp)
defvjp(_svd_u, _svd_u_vjp)
defvjp(_svd_vh, _svd_vh_vjp)
defjvp(_svd_s, _svd_s_jvp)
defjvp(_svd_u, _svd_u_jvp)
defjvp(_svd_vh, _svd_vh_jvp)


def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """``numpy.linalg.svd``, batched; u and vh trace with ``full_matrices=False`` (or square ``a``).

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> adjoint.grad(lambda a: svd(a, compute_uv=False)[0])(np.diag([3.0, 1.0]))
    array([[1., 0.],
           [0., 0.]])
    """
    if not holds_traced(a):
        return np.linalg.svd(a, full_matrices, compute_uv, hermitian)
    if not compute_uv:
        return _svd_s(a)
    result = np.linalg.svd(np.ones((1, 1)))
    m, n = np.shape(a)[-2:]
    full = bool(full_matrices) and m != n
    return type(result)(_svd_u(a, full_matrices=full), _svd_s(a), _svd_vh(a, full_matrices=full))


def svdvals(x, /):
    """``numpy.linalg.svdvals``.

    Examples
    --------
    >>> import numpy as np
    >>> svdvals(np.diag([1.0, -3.0]))
    array([3., 1.])
    """
    return _svd_s(x) if holds_traced(x) else np.linalg.svdvals(x)


# --- norm ---------------------------------------------------------------------------------

def _abs(x):
    return np.abs(x)


def _abs2(x):
    return np.real(x * np.conj(x)) if is_complex(x) else x * x


def _vector_norm(x, ord, axis, keepdims):
    if ord is None or ord == 2:
        return np.sqrt(np.sum(_abs2(x), axis=axis, keepdims=keepdims))
    if ord == np.inf:
        return np.max(_abs(x), axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return np.min(_abs(x), axis=axis, keepdims=keepdims)
    if ord == 0:  # a count: piecewise constant
        return np.sum(plain_value(x) != 0, axis=axis, keepdims=keepdims).astype(float)
    if ord == 1:
        return np.sum(_abs(x), axis=axis, keepdims=keepdims)
    if isinstance(ord, str):
        raise ValueError(f"Invalid norm order '{ord}' for vectors")
    return np.sum(_abs(x) ** ord, axis=axis, keepdims=keepdims) ** (1.0 / ord)


def _matrix_norm(x, ord, axis, keepdims):
    row, col = (a % np.ndim(x) for a in axis)
    if ord in (None, "fro", "f"):
        return np.sqrt(np.sum(_abs2(x), axis=axis, keepdims=keepdims))
    if ord in ("nuc", 2, -2):
        others = [k for k in range(np.ndim(x)) if k not in (row, col)]
        s = _svd_s(shapes.transpose(x, axes=(*others, row, col)))
        r = {"nuc": np.sum, 2: np.max, -2: np.min}[ord](s, axis=-1)
    elif ord in (1, -1, np.inf, -np.inf):
        sum_axis, pick_axis = (row, col) if ord in (1, -1) else (col, row)
        if pick_axis > sum_axis:
            pick_axis -= 1
        r = (np.max if ord > 0 else np.min)(np.sum(_abs(x), axis=sum_axis), axis=pick_axis)
    else:
        raise ValueError("Invalid norm order for matrices.")
    return shapes.expand_dims(r, axis=tuple(sorted((row, col)))) if keepdims else r


def norm(x, ord=None, axis=None, keepdims=False):
    """``numpy.linalg.norm``: every ``ord``, ``axis`` and ``keepdims`` (compositions of traced primitives).

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> adjoint.grad(norm)(np.array([3.0, 4.0]))
    array([0.6, 0.8])
    """
    if isinstance(x, (list, tuple)):
        from ..numpy_functions import array

        x = array(x)
    if not holds_traced(x):
        return np.linalg.norm(x, ord, axis, keepdims)
    nd = np.ndim(x)
    if axis is None:
        if ord is None or nd == 1:
            r = _vector_norm(shapes.reshape(x, shape=(-1,)), ord, 0, False) if nd != 1 else _vector_norm(
                x, ord, 0, False)
            return shapes.reshape(r, shape=(1,) * nd) if keepdims else r
        if nd == 2:
            return _matrix_norm(x, ord, (0, 1), keepdims)
        raise ValueError("Improper number of dimensions to norm.")
    if isinstance(axis, int) or (isinstance(axis, tuple) and len(axis) == 1):
        axis = axis if isinstance(axis, int) else axis[0]
        return _vector_norm(x, ord, axis, keepdims)
    if len(axis) == 2:
        return _matrix_norm(x, ord, tuple(axis), keepdims)
    raise ValueError("Improper number of dimensions to norm.")


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    """``numpy.linalg.vector_norm``.

    Examples
    --------
    >>> import numpy as np
    >>> float(vector_norm(np.ones((2, 2))))
    2.0
    """
    if not holds_traced(x):
        return np.linalg.vector_norm(x, axis=axis, keepdims=keepdims, ord=ord)
    if axis is None:
        r = _vector_norm(shapes.reshape(x, shape=(-1,)), ord, 0, False)
        return shapes.reshape(r, shape=(1,) * np.ndim(x)) if keepdims else r
    return _vector_norm(x, ord, axis, keepdims)


def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    """``numpy.linalg.matrix_norm``.

    Examples
    --------
    >>> import numpy as np
    >>> float(matrix_norm(np.eye(2), ord="nuc"))
    2.0
    """
    if not holds_traced(x):
        return np.linalg.matrix_norm(x, keepdims=keepdims, ord=ord)
    return _matrix_norm(x, ord, (-2, -1), keepdims)


# --- pinv, qr, matrix_power, multi_dot ----------------------------------------------------

_pinv = primitive(lambda a, **kw: np.linalg.pinv(a, **kw), "linalg_pinv")


def _pinv_vjp(g, P, a, **kw):
    m, n = np.shape(a)[-2:]
    return _T(-_mm(_mm(P, _T(g)), P)
              + _mm(_mm(_mm(P, _T(P)), g), _eye(m) - _mm(a, P))
              + _mm(_mm(_mm(_eye(n) - _mm(P, a), g), _T(P)), P))


def _pinv_jvp(t, P, a, **kw):
    m, n = np.shape(a)[-2:]
    return (-_mm(_mm(P, t), P)
            + _mm(_mm(_mm(P, _T(P)), _T(t)), _eye(m) - _mm(a, P))
            + _mm(_mm(_mm(_eye(n) - _mm(P, a), _T(t)), _T(P)), P))


defvjp(_pinv, _pinv_vjp)
defjvp(_pinv, _pinv_jvp)


def pinv(a, rcond=None, hermitian=False, **kwargs):
    """``numpy.linalg.pinv``, batched (derivative of constant rank, as autograd's).

    Examples
    --------
    >>> import numpy as np
    >>> pinv(np.array([[2.0]]))
    array([[0.5]])
    """
    if rcond is not None:
        kwargs["rcond"] = rcond
    if hermitian:
        kwargs["hermitian"] = hermitian
    return _pinv(a, **kwargs) if holds_traced(a) else np.linalg.pinv(a, **kwargs)


_qr_q = primitive(lambda a: np.linalg.qr(a)[0], "linalg_qr_q")
_qr_r = primitive(lambda a: np.linalg.qr(a)[1], "linalg_qr_r")


def _copyltu(M):
    n = np.shape(M)[-1]
    low = M * _tri_mask(n, -1)
    return M * _eye(n) + low + _T(low)


def _qr_vjp(a, gq, gr):
    # For m >= n (Walter & Lehmann; PyTorch's linalg_qr_backward): M = R gRᵀ - gQᵀ Q,
    # gA = (gQ + Q copyltu(M)) R^-T.
    q, r = _qr_q(a), _qr_r(a)
    if gq is None:
        M = _mm(r, _T(gr))
        b = _mm(q, _copyltu(M))
    else:
        M = -_mm(_T(gq), q)
        b = gq + _mm(q, _copyltu(M))
    return _T(solve(r, _T(b)))


def _qr_tangents(t, a):
    q, r = _qr_q(a), _qr_r(a)
    tr_inv = _T(solve(_T(r), _T(t)))  # t R^-1
    X = _mm(_T(q), tr_inv)
    low = X * _tri_mask(np.shape(X)[-1], -1)
    return q, r, tr_inv, X - (low - _T(low))


defvjp(_qr_q, lambda g, ans, a: _qr_vjp(a, g, None))
defvjp(_qr_r, lambda g, ans, a: _qr_vjp(a, None, g))
defjvp(_qr_q, lambda t, ans, a: (lambda q, r, tri, U: tri - _mm(q, U))(*_qr_tangents(t, a)))
defjvp(_qr_r, lambda t, ans, a: (lambda q, r, tri, U: _mm(U, r))(*_qr_tangents(t, a)))


def qr(a, mode="reduced"):
    """``numpy.linalg.qr``; traces for ``M >= N`` in modes 'reduced', 'r' (and 'complete' if square).

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> adjoint.grad(lambda a: qr(a)[1][0, 0])(np.array([[3.0], [4.0]]))
    array([[-0.6],
           [-0.8]])
    """
    if not holds_traced(a):
        return np.linalg.qr(a, mode)
    m, n = np.shape(a)[-2:]
    if m < n or mode not in ("reduced", "r", "complete") or (mode == "complete" and m != n):
        raise _unsupported("numpy.linalg.qr", f"mode={mode!r} of a {m}x{n} matrix (needs M >= N, reduced)")
    if is_complex(a):
        raise _unsupported("numpy.linalg.qr", "a complex matrix")
    if mode == "r":
        return _qr_r(a)
    result = np.linalg.qr(np.ones((1, 1)))
    return type(result)(_qr_q(a), _qr_r(a))


def matrix_power(a, n):
    """``numpy.linalg.matrix_power`` (repeated squaring of traced products).

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> adjoint.grad(lambda a: matrix_power(a, 3)[0, 0])(np.array([[2.0]]))
    array([[12.]])
    """
    if not holds_traced(a):
        return np.linalg.matrix_power(a, n)
    n = int(n)
    shape = np.shape(a)
    if n == 0:
        return np.broadcast_to(_eye(shape[-1]), shape).copy()
    if n < 0:
        a, n = inv(a), -n
    result = None
    while n:
        if n & 1:
            result = a if result is None else _mm(result, a)
        n >>= 1
        if n:
            a = _mm(a, a)
    return result


def multi_dot(arrays, *, out=None):
    """``numpy.linalg.multi_dot`` (products left to right).

    Examples
    --------
    >>> import numpy as np
    >>> multi_dot([np.ones(2), np.eye(2), np.ones(2)])
    np.float64(2.0)
    """
    if not holds_traced((*arrays,)):
        return np.linalg.multi_dot(arrays, out=out)
    return functools.reduce(_mm, arrays)


def matrix_transpose(x, /):
    """``numpy.linalg.matrix_transpose``.

    Examples
    --------
    >>> import numpy as np
    >>> matrix_transpose(np.arange(2.0)[None]).shape
    (2, 1)
    """
    return _T(x) if holds_traced(x) else np.linalg.matrix_transpose(x)


# --- scipy.linalg -------------------------------------------------------------------------

def _trans_code(trans):
    return {0: 0, 1: 1, 2: 2, "N": 0, "T": 1, "C": 2}[trans]


def _st_impl(a, b, trans=0, lower=False, unit_diagonal=False):
    return sla.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal)


_solve_tri = primitive(_st_impl, "scipy_linalg_solve_triangular")


def _st_mask(a, lower, unit_diagonal):
    n = np.shape(a)[-1]
    return _tri_mask(n, (-1 if lower else 1) if unit_diagonal else 0, lower=lower)


def _st_vjp_b(g, ans, a, b, trans=0, lower=False, unit_diagonal=False):
    return _solve_tri(a, g, trans=1 - trans, lower=lower, unit_diagonal=unit_diagonal)


def _st_vjp_a(g, ans, a, b, trans=0, lower=False, unit_diagonal=False):
    v = _solve_tri(a, g, trans=1 - trans, lower=lower, unit_diagonal=unit_diagonal)
    v, x = (_col(v), _col(ans)) if np.ndim(b) == 1 else (v, ans)
    ga = -_mm(v, _T(x)) if trans == 0 else -_mm(x, _T(v))
    return ga * _st_mask(a, lower, unit_diagonal)


def _st_jvp_a(t, ans, a, b, trans=0, lower=False, unit_diagonal=False):
    tm = t * _st_mask(a, lower, unit_diagonal)
    x = _col(ans) if np.ndim(b) == 1 else ans
    r = -_solve_tri(a, _mm(tm if trans == 0 else _T(tm), x), trans=trans, lower=lower, unit_diagonal=unit_diagonal)
    return _uncol(r) if np.ndim(b) == 1 else r


defvjp(_solve_tri, _st_vjp_a, _st_vjp_b)
defjvp(_solve_tri, _st_jvp_a, lambda t, ans, a, b, **kw: _solve_tri(a, t, **kw))


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False, check_finite=True):
    """``scipy.linalg.solve_triangular`` (``trans``, ``lower``, ``unit_diagonal``).

    Examples
    --------
    >>> import numpy as np
    >>> solve_triangular(np.array([[2.0, 0.0], [1.0, 1.0]]), np.array([2.0, 2.0]), lower=True)
    array([1., 1.])
    """
    if not holds_traced((a, b)):
        return sla.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal,
                                    overwrite_b=overwrite_b, check_finite=check_finite)
    code = _trans_code(trans)
    if code == 2:
        if is_complex(a):
            raise _unsupported("scipy.linalg.solve_triangular", "trans='C' of a complex matrix")
        code = 1
    return _solve_tri(a, b, trans=code, lower=bool(lower), unit_diagonal=bool(unit_diagonal))


def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """``scipy.linalg.cho_factor``; the other triangle holds ``a``'s entries, as scipy's does.

    Examples
    --------
    >>> import numpy as np
    >>> cho_factor(np.array([[4.0]]))
    (array([[2.]]), False)
    """
    if not holds_traced(a):
        return sla.cho_factor(a, lower=lower, overwrite_a=overwrite_a, check_finite=check_finite)
    n = np.shape(a)[-1]
    L = _cholesky(a)
    if lower:
        return L + a * _tri_mask(n, 1, lower=False), True
    return _T(L) + a * _tri_mask(n, -1), False


def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """``scipy.linalg.cho_solve``: two triangular solves with the factor's triangle.

    Examples
    --------
    >>> import numpy as np
    >>> cho_solve(cho_factor(np.array([[4.0]])), np.array([2.0]))
    array([0.5])
    """
    c, lower = c_and_lower
    if not holds_traced((c, b)):
        return sla.cho_solve((c, lower), b, overwrite_b=overwrite_b, check_finite=check_finite)
    n = np.shape(c)[-1]
    L = c * _tri_mask(n) if lower else _T(c * _tri_mask(n, lower=False))
    return _solve_tri(L, _solve_tri(L, b, trans=0, lower=True), trans=1, lower=True)


_sqrtm = primitive(lambda a: sla.sqrtm(a), "scipy_linalg_sqrtm")


def _sqrtm_vjp(g, ans, a):
    r = _solve_sylv(_T(ans), _T(ans), g)
    return r if is_complex(a) else np.real(r)


defvjp(_sqrtm, _sqrtm_vjp)
defjvp(_sqrtm, lambda t, ans, a: _solve_sylv(ans, ans, t))


def sqrtm(A, disp=True, blocksize=64):
    """``scipy.linalg.sqrtm``.

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> adjoint.grad(lambda a: sqrtm(a)[0, 0])(np.array([[4.0]]))
    array([[0.25]])
    """
    if not holds_traced(A):
        return sla.sqrtm(A)
    return _sqrtm(A)


_solve_sylv = primitive(sla.solve_sylvester, "scipy_linalg_solve_sylvester")


def _sylv_q(g, a, b):
    return _solve_sylv(_T(a), _T(b), g)


defvjp(_solve_sylv,
       lambda g, ans, a, b, q: -_mm(_sylv_q(g, a, b), _T(ans)),
       lambda g, ans, a, b, q: -_mm(_T(ans), _sylv_q(g, a, b)),
       lambda g, ans, a, b, q: _sylv_q(g, a, b))
defjvp(_solve_sylv,
       lambda t, ans, a, b, q: _solve_sylv(a, b, -_mm(t, ans)),
       lambda t, ans, a, b, q: _solve_sylv(a, b, -_mm(ans, t)),
       lambda t, ans, a, b, q: _solve_sylv(a, b, t))


def solve_sylvester(a, b, q):
    """``scipy.linalg.solve_sylvester``: ``X`` with ``a X + X b = q``.

    Examples
    --------
    >>> import numpy as np
    >>> solve_sylvester(np.eye(1), np.eye(1), np.array([[4.0]]))
    array([[2.]])
    """
    return _solve_sylv(a, b, q) if holds_traced((a, b, q)) else sla.solve_sylvester(a, b, q)


def solve_banded(l_and_u, ab, b, overwrite_ab=False, overwrite_b=False, check_finite=True):
    """``scipy.linalg.solve_banded``; traced, the band is scattered into a dense matrix and solved.

    Examples
    --------
    >>> import numpy as np
    >>> solve_banded((0, 0), np.array([[2.0, 4.0]]), np.array([2.0, 2.0]))
    array([1. , 0.5])
    """
    if not holds_traced((ab, b)):
        return sla.solve_banded(l_and_u, ab, b, overwrite_ab=overwrite_ab, overwrite_b=overwrite_b,
                                check_finite=check_finite)
    lo, up = l_and_u
    rows, n = np.shape(ab)
    r, j = np.meshgrid(np.arange(rows), np.arange(n), indexing="ij")
    i = r - up + j  # ab[up + i - j, j] = A[i, j]
    valid = (i >= 0) & (i < n)
    entries = ab[(r[valid], j[valid])]
    A = shapes.scatter_add(entries, shape=(n, n), index=(i[valid], j[valid]))
    return solve(A, b)


EQUIVALENTS = {
    np.linalg.solve: solve, np.linalg.inv: inv, np.linalg.det: det, np.linalg.slogdet: slogdet,
    np.linalg.cholesky: cholesky, np.linalg.eigh: eigh, np.linalg.eigvalsh: eigvalsh, np.linalg.eig: eig,
    np.linalg.eigvals: eigvals, np.linalg.svd: svd, np.linalg.svdvals: svdvals, np.linalg.norm: norm,
    np.linalg.vector_norm: vector_norm, np.linalg.matrix_norm: matrix_norm, np.linalg.pinv: pinv,
    np.linalg.qr: qr, np.linalg.matrix_power: matrix_power, np.linalg.multi_dot: multi_dot,
    np.linalg.matrix_transpose: matrix_transpose,
}
