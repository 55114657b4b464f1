"""Derivative rules of scipy.special (gammaln, digamma, erf, Bessel functions, ...) as primitives.

Most of scipy.special are ufuncs: a primitive whose ``impl`` is the ufunc itself is found by
NumPy's dispatch, so ``scipy.special.gammaln(traced)`` records ``special_gammaln``. Each
declares its local partials (``defelementwise``) with functions that trace — digamma's partial
is ``polygamma(1, x)``, itself a primitive — so derivatives of any order follow. Integer orders
(``polygamma``'s ``n``, the Bessel functions' ``v``) and the shape parameters autograd does not
differentiate (``gammainc``'s ``a``) have no partial: a traced value there is an error naming
the primitive. ``logsumexp`` and ``multigammaln`` are compositions of primitives.

EQUIVALENTS maps each numpy / scipy function of this family to its traced version, for
numpy's dispatch (merged into graphs.numpy_functions.NUMPY_EQUIVALENTS); __all__
lists the traced functions by their scipy names.

Examples
--------
>>> import adjoint
>>> import scipy.special
>>> float(adjoint.grad(lambda x: scipy.special.gammaln(x))(3.0)) == float(scipy.special.digamma(3.0))
True
"""

import numpy as np
import scipy.special as sc

from ..errors import UnsupportedFunctionError
from ..primitive import primitive
from ..tape import Traced, holds_traced, plain_value
from .elementwise_declaration import defelementwise

__all__ = [
    "gamma", "gammaln", "digamma", "psi", "polygamma", "rgamma", "gammasgn", "multigammaln",
    "beta", "betaln", "betainc", "gammainc", "gammaincc",
    "j0", "j1", "y0", "y1", "jn", "jv", "yn", "i0", "i1", "iv", "ive",
    "erf", "erfc", "erfinv", "erfcinv", "logit", "expit", "xlogy", "xlog1py", "entr",
    "ndtr", "log_ndtr", "stdtr", "pdtr", "logsumexp",
]

_SQRT_PI = np.sqrt(np.pi)
_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)

# --- Gamma family ------------------------------------------------------------------------
gamma = primitive(sc.gamma, "special_gamma")
gammaln = primitive(sc.gammaln, "special_gammaln")
digamma = primitive(sc.digamma, "special_digamma")  # scipy's psi is this same ufunc
psi = digamma
polygamma = primitive(sc.polygamma, "special_polygamma")
rgamma = primitive(sc.rgamma, "special_rgamma")
gammasgn = primitive(sc.gammasgn, "special_gammasgn")
gammainc = primitive(sc.gammainc, "special_gammainc")
gammaincc = primitive(sc.gammaincc, "special_gammaincc")
beta = primitive(sc.beta, "special_beta")
betaln = primitive(sc.betaln, "special_betaln")
betainc = primitive(sc.betainc, "special_betainc")

defelementwise(gamma, lambda ans, x: ans * digamma(x))
defelementwise(gammaln, lambda ans, x: digamma(x))
defelementwise(digamma, lambda ans, x: polygamma(1, x))
defelementwise(polygamma, None, lambda ans, n, x: polygamma(n + 1, x))
defelementwise(rgamma, lambda ans, x: -ans * digamma(x))
defelementwise(gammasgn, 0)  # piecewise constant


def _incomplete_gamma_partial(sign):
    # d/dx of the regularised lower incomplete gamma function: the gamma density x^(a-1) e^-x / Γ(a).
    return lambda ans, a, x: sign * np.exp(-x) * x ** (a - 1.0) / gamma(a)


defelementwise(gammainc, None, _incomplete_gamma_partial(1.0))
defelementwise(gammaincc, None, _incomplete_gamma_partial(-1.0))
defelementwise(
    beta,
    lambda ans, a, b: ans * (digamma(a) - digamma(a + b)),
    lambda ans, a, b: ans * (digamma(b) - digamma(a + b)),
)
defelementwise(
    betaln,
    lambda ans, a, b: digamma(a) - digamma(a + b),
    lambda ans, a, b: digamma(b) - digamma(a + b),
)
defelementwise(betainc, None, None, lambda ans, a, b, x: x ** (a - 1.0) * (1.0 - x) ** (b - 1.0) / beta(a, b))

# --- Bessel functions --------------------------------------------------------------------
j0 = primitive(sc.j0, "special_j0")
j1 = primitive(sc.j1, "special_j1")
y0 = primitive(sc.y0, "special_y0")
y1 = primitive(sc.y1, "special_y1")
jv = primitive(sc.jv, "special_jv")  # scipy's jn is this same ufunc
jn = jv
yn = primitive(sc.yn, "special_yn")
i0 = primitive(sc.i0, "special_i0")
i1 = primitive(sc.i1, "special_i1")
iv = primitive(sc.iv, "special_iv")
ive = primitive(sc.ive, "special_ive")

defelementwise(j0, lambda ans, x: -j1(x))
defelementwise(y0, lambda ans, x: -y1(x))
defelementwise(j1, lambda ans, x: (j0(x) - jv(2, x)) / 2.0)
defelementwise(y1, lambda ans, x: (y0(x) - yn(2, x)) / 2.0)
defelementwise(jv, None, lambda ans, v, x: (jv(v - 1, x) - jv(v + 1, x)) / 2.0)
defelementwise(yn, None, lambda ans, n, x: (yn(n - 1, x) - yn(n + 1, x)) / 2.0)
defelementwise(i0, lambda ans, x: i1(x))
defelementwise(i1, lambda ans, x: (i0(x) + iv(2, x)) / 2.0)
defelementwise(iv, None, lambda ans, v, x: (iv(v - 1, x) + iv(v + 1, x)) / 2.0)
# ive(v, x) = iv(v, x) e^-|x|.
defelementwise(ive, None, lambda ans, v, x: ans * (v / x - np.sign(x)) + ive(v + 1, x))

# --- Error functions, logistic, logs -----------------------------------------------------
erf = primitive(sc.erf, "special_erf")
erfc = primitive(sc.erfc, "special_erfc")
erfinv = primitive(sc.erfinv, "special_erfinv")
erfcinv = primitive(sc.erfcinv, "special_erfcinv")
logit = primitive(sc.logit, "special_logit")
expit = primitive(sc.expit, "special_expit")
xlogy = primitive(sc.xlogy, "special_xlogy")
xlog1py = primitive(sc.xlog1py, "special_xlog1py")
entr = primitive(sc.entr, "special_entr")
ndtr = primitive(sc.ndtr, "special_ndtr")
log_ndtr = primitive(sc.log_ndtr, "special_log_ndtr")
stdtr = primitive(sc.stdtr, "special_stdtr")
pdtr = primitive(sc.pdtr, "special_pdtr")

defelementwise(erf, lambda ans, x: (2.0 / _SQRT_PI) * np.exp(-x * x))
defelementwise(erfc, lambda ans, x: (-2.0 / _SQRT_PI) * np.exp(-x * x))
defelementwise(erfinv, lambda ans, x: (_SQRT_PI / 2.0) * np.exp(ans * ans))
defelementwise(erfcinv, lambda ans, x: (-_SQRT_PI / 2.0) * np.exp(ans * ans))
defelementwise(logit, lambda ans, x: 1.0 / (x * (1.0 - x)))
defelementwise(expit, lambda ans, x: ans * (1.0 - ans))
defelementwise(xlogy, lambda ans, x, y: np.log(y), lambda ans, x, y: x / y)
defelementwise(xlog1py, lambda ans, x, y: np.log1p(y), lambda ans, x, y: x / (1.0 + y))
defelementwise(entr, lambda ans, x: -(np.log(x) + 1.0))
defelementwise(ndtr, lambda ans, x: _INV_SQRT_2PI * np.exp(-0.5 * x * x))
# The ratio pdf / cdf in logs: it stays finite far in the lower tail, where both underflow.
defelementwise(log_ndtr, lambda ans, x: np.exp(-0.5 * x * x - ans) * _INV_SQRT_2PI)


def _student_t_density(df, t):
    log_norm = gammaln((df + 1.0) / 2.0) - gammaln(df / 2.0) - 0.5 * np.log(df * np.pi)
    return np.exp(log_norm - (df + 1.0) / 2.0 * np.log1p(t * t / df))


def _poisson_pmf_at_floor(k, mu):
    k = np.floor(k)  # the cdf is a step function of k: its derivative in mu is -pmf(floor(k))
    return np.exp(xlogy(k, mu) - mu - gammaln(k + 1.0))


defelementwise(stdtr, None, lambda ans, df, t: _student_t_density(df, t))
defelementwise(pdtr, None, lambda ans, k, mu: -_poisson_pmf_at_floor(k, mu))


# --- Compositions ------------------------------------------------------------------------
def multigammaln(a, d):
    """``scipy.special.multigammaln``: the log of the multivariate gamma function, differentiable in ``a``.

    Examples
    --------
    >>> import adjoint
    >>> round(float(adjoint.grad(multigammaln)(4.5, 2)), 12) == round(float(digamma(4.5) + digamma(4.0)), 12)
    True
    """
    if not holds_traced((a, d)):
        return sc.multigammaln(a, d)
    if d.__class__ is Traced:
        raise UnsupportedFunctionError("scipy.special.multigammaln: the dimension d cannot be differentiated")
    sc.multigammaln(plain_value(a), d)  # scipy's checks of a and d
    shifts = np.arange(d) / 2.0
    return d * (d - 1) / 4.0 * np.log(np.pi) + np.sum(gammaln(np.expand_dims(a, -1) - shifts), axis=-1)


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """``scipy.special.logsumexp``, differentiable in ``a`` and ``b``.

    The largest entry is subtracted before exponentiating, as scipy does; as a constant of
    the trace it changes no derivative.

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> x = np.array([1.0, 2.0, 3.0])
    >>> bool(np.allclose(adjoint.grad(logsumexp)(x), np.exp(x) / np.exp(x).sum()))
    True
    """
    if not holds_traced((a, b)):
        return sc.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign)
    if isinstance(axis, list):
        axis = tuple(axis)
    plain_a = np.asarray(plain_value(a))
    if b is not None:
        plain_b = np.asarray(plain_value(b))
        # Entries with b == 0 do not count towards the maximum (scipy masks them out).
        plain_a = np.where(plain_b != 0, plain_a, -np.inf) + np.zeros_like(plain_b)
    shift = np.max(plain_a, axis=axis, keepdims=True) if plain_a.size else np.zeros(plain_a.shape)
    shift = np.where(np.isfinite(shift), shift, 0.0)
    terms = np.exp(a - shift)
    if b is not None:
        terms = terms * b
    total = np.sum(terms, axis=axis, keepdims=True)
    if return_sign:
        sign = np.sign(plain_value(total))
        out = np.log(np.abs(total)) + shift
    else:
        out = np.log(total) + shift
    if not keepdims:
        out = np.squeeze(out, axis=tuple(range(np.ndim(shift))) if axis is None else axis)
        if return_sign:
            sign = np.squeeze(sign, axis=tuple(range(np.ndim(shift))) if axis is None else axis)
    if return_sign:
        return out, sign
    return out


# scipy.special's ufuncs dispatch through their primitives' impl; its Python functions
# (polygamma, multigammaln, logsumexp) convert their arguments and cannot dispatch.
EQUIVALENTS = {}
