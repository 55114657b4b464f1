"""Derivative rules of complex numbers as autograd defines them (real, imag, conj, angle, abs of complex values).

autograd's convention, which these rules keep: a holomorphic primitive's VJP is ``g * f'(x)``
(no conjugate), so that for a real-valued ``f`` of a complex ``z = x + iy`` the gradient is
``∂f/∂x - i ∂f/∂y``; the cotangent of a *real* argument is the real part of the complex
cotangent (``match_complex``, applied by ``unbroadcast``). ``real``, ``imag``, ``conj`` and
``angle`` are not holomorphic, and their VJPs are autograd's: ``g``, ``-1j g``, ``conj(g)``
and ``g conj(i z) / |z|²``, each made real where the argument is real.

``astype`` is here too: a cast's cotangent is cast back to the argument's dtype (real part
of a complex cotangent for a real argument), as autograd's ``_astype`` does.

EQUIVALENTS maps each numpy / scipy function of this family to its traced version, for
numpy's dispatch (merged into graphs.numpy_functions.NUMPY_EQUIVALENTS); __all__
lists the traced functions by their numpy names.

Examples
--------
>>> import adjoint
>>> import adjoint.numpy as anp
>>> adjoint.grad(lambda z: anp.real(z) ** 2 + anp.imag(z))(1.0 + 2.0j)  # 2 Re z - i
np.complex128(2-1j)
>>> adjoint.grad(lambda x: anp.abs(anp.exp(1j * x) * x))(2.0)  # |x e^{ix}| = |x|
1.0
"""

import numpy as np

from ..primitive import defjvp, defvjp, primitive
from ..tape import Traced, plain_value, record_guard
from .broadcasting import match_complex

__all__ = ["real", "imag", "conj", "conjugate", "angle", "real_if_close"]

real_part = primitive(np.real, "real")
imag_part = primitive(np.imag, "imag")
conjugate = primitive(np.conjugate, "conjugate")  # a ufunc: numpy's dispatch finds it by its impl
_angle = primitive(np.angle, "angle")
conj = conjugate


def _astype_impl(x, dtype):
    y = np.asarray(x).astype(dtype)
    return y if isinstance(x, np.ndarray) else y[()]  # a scalar stays a (numpy) scalar


astype = primitive(_astype_impl, "astype")


def real(val):
    """``numpy.real``: the real part, differentiable (the cotangent of a complex ``val`` is ``g``).

    Examples
    --------
    >>> real(np.array([1 + 2j, 3.0]))
    array([1., 3.])
    """
    return real_part(val)


def imag(val):
    """``numpy.imag``: the imaginary part, differentiable (cotangent ``-1j g``, as autograd's).

    Examples
    --------
    >>> imag(1 + 2j)
    2.0
    """
    return imag_part(val)


def angle(z, deg=False):
    """``numpy.angle``: the argument of ``z`` in radians (degrees with ``deg=True``), differentiable.

    Examples
    --------
    >>> float(angle(1j))
    1.5707963267948966
    """
    a = _angle(z)
    return a * (180.0 / np.pi) if deg else a


def real_if_close(a, tol=100):
    """``numpy.real_if_close``: the real part where every imaginary part is within ``tol`` ulps of 0.

    On a traced ``a`` whether the imaginary parts are small is control flow (a guard of the
    trace); the real part is then ``real``'s, whose cotangent is autograd's ``match_complex``.

    Examples
    --------
    >>> real_if_close(np.array([1 + 1e-20j, 2.0]))
    array([1., 2.])
    """
    if a.__class__ is not Traced:
        return np.real_if_close(a, tol=tol)
    became_real = record_guard(_becomes_real, (a,), {"tol": tol}, _becomes_real(plain_value(a), tol=tol))
    return real_part(a) if became_real else a


def _becomes_real(a, tol=100):
    return bool(np.iscomplexobj(a) and not np.iscomplexobj(np.real_if_close(a, tol=tol)))


def _cast_back(g, x):
    """The cotangent ``g`` of a cast of ``x``, in ``x``'s dtype."""
    g = match_complex(g, x)
    dtype = _dtype(x)
    if dtype.kind not in "fc" or _dtype(g) == dtype:  # an integer argument keeps a float cotangent
        return g
    return astype(g, dtype=dtype)


def _cast_tangent(t, ans, dtype):
    """The tangent of ``ans = astype(x, dtype)``: ``t`` cast too (an integer cast keeps it, as autograd's cotangent)."""
    if dtype.kind not in "fc":
        return t
    return astype(match_complex(t, ans), dtype=dtype)


def _dtype(v):
    while v.__class__ is Traced:
        v = v.value
    return np.result_type(v)


def _abs2(x):
    return real(x * conj(x))


# --- rules: autograd's numpy_vjps / numpy_jvps -------------------------------------------
defvjp(real_part, lambda g, ans, x: match_complex(g, x))
defjvp(real_part, lambda t, ans, x: real(t))
defvjp(imag_part, lambda g, ans, x: match_complex(-1j * g, x))
defjvp(imag_part, lambda t, ans, x: imag(t))
defvjp(conjugate, lambda g, ans, x: conj(g))
defjvp(conjugate, lambda t, ans, x: conj(t))
defvjp(_angle, lambda g, ans, x: match_complex(g * conj(x * 1j) / _abs2(x), x))
defjvp(_angle, lambda t, ans, x: match_complex(t * conj(x * 1j) / _abs2(x), ans))
defvjp(astype, lambda g, ans, x, dtype: _cast_back(g, x))
defjvp(astype, lambda t, ans, x, dtype: _cast_tangent(t, ans, dtype))


EQUIVALENTS = {np.real: real, np.imag: imag, np.angle: angle, np.real_if_close: real_if_close}
