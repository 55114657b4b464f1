"""scipy (``adjoint.scipy``: special, stats, signal, integrate, misc) against autograd's.

A case's function takes a numpy-like module first, as in ``test_grad_vs_autograd``; ``_sc``
gives the matching scipy: ``adjoint.scipy`` for ``adjoint.numpy``, scipy itself for plain
numpy (plain scipy.special ufuncs on traced values dispatch to the primitives) and
``autograd.scipy`` for ``autograd.numpy``, extended by compositions where autograd lacks a
function (``xlogy``, ``entr``, ...), so that every case has autograd as its reference at
both orders.
"""

import types

import numpy
import pytest
import scipy.integrate
import scipy.signal
import scipy.special
import scipy.stats
from numpy.testing import assert_allclose
from test_grad_vs_autograd import Case, assert_case_matches_autograd, normal, positive, unit

import adjoint
import adjoint.numpy as anp
import adjoint.scipy.integrate
import adjoint.scipy.misc
import adjoint.scipy.signal
import adjoint.scipy.special
import adjoint.scipy.stats

autograd = pytest.importorskip("autograd")
agnp = pytest.importorskip("autograd.numpy")
ag_integrate = pytest.importorskip("autograd.scipy.integrate")
ag_signal = pytest.importorskip("autograd.scipy.signal")
ag_special = pytest.importorskip("autograd.scipy.special")
ag_stats = pytest.importorskip("autograd.scipy.stats")

RTOL, ATOL = 1e-10, 1e-12

# autograd.scipy.special, with compositions for what it lacks.
_AG_SPECIAL = types.SimpleNamespace(**{n: getattr(ag_special, n) for n in dir(ag_special) if not n.startswith("_")})
_AG_SPECIAL.jv = ag_special.jn
_AG_SPECIAL.xlogy = lambda x, y: x * agnp.log(y)
_AG_SPECIAL.xlog1py = lambda x, y: x * agnp.log1p(y)
_AG_SPECIAL.entr = lambda x: -x * agnp.log(x)
_AG_SPECIAL.ndtr = lambda x: ag_stats.norm.cdf(x)
_AG_SPECIAL.log_ndtr = lambda x: ag_stats.norm.logcdf(x)


def _sc(np_):
    """The scipy matching the numpy-like module ``np_``."""
    if np_ is agnp:
        return types.SimpleNamespace(special=_AG_SPECIAL, stats=ag_stats,
                                     signal=ag_signal, integrate=ag_integrate)
    if np_ is numpy:
        return types.SimpleNamespace(special=scipy.special)
    return adjoint.scipy


CASES = {}
#: Primitives autograd has no counterpart of, with the test that checks their second order.
CHECKED_ELSEWHERE = {"integrate_odeint": "test_odeint_second_order"}


def case(name, fun, *args, argnum=0, plain=False, second_order=True):
    assert name not in CASES, name
    CASES[name] = Case(fun, args, argnum, plain, second_order)


p4, q4, x4, u4 = positive(4, 1), positive(4, 2), normal(4, 3), unit(4, 4)
big4 = positive(4, 5, 1.3, 3.0)
frac4 = positive(4, 6, 0.1, 0.9)
x43, x13, p41 = normal((4, 3), 7), normal((1, 3), 8), positive((4, 1), 9)


def unary(name, data, lo=None):
    case(f"special-{name}", lambda np_, x: np_.sum(getattr(_sc(np_).special, name)(x) * numpy.arange(1.0, 5.0)), data)


for _name, _data in [("gamma", p4), ("gammaln", p4), ("digamma", p4), ("psi", p4), ("rgamma", p4),
                     ("j0", big4), ("j1", big4), ("y0", big4), ("y1", big4), ("i0", big4), ("i1", big4),
                     ("erf", x4), ("erfc", x4), ("erfinv", u4), ("erfcinv", frac4 + 0.5), ("logit", frac4),
                     ("expit", x4), ("entr", p4), ("ndtr", x4), ("log_ndtr", x4 - 2.0)]:
    unary(_name, _data)

case("special-gammasgn", lambda np_, x: np_.sum(_sc(np_).special.gammasgn(x) * x ** 2), p4)
case("special-polygamma", lambda np_, x: np_.sum(_sc(np_).special.polygamma(1, x) + _sc(np_).special.polygamma(0, x)), p4)
case("special-polygamma-array-n", lambda np_, x: np_.sum(_sc(np_).special.polygamma(numpy.array([0, 1, 2, 3]), x)), big4)
case("special-jn", lambda np_, x: np_.sum(_sc(np_).special.jn(2, x)), big4)
case("special-yn", lambda np_, x: np_.sum(_sc(np_).special.yn(2, x)), big4)
case("special-iv", lambda np_, x: np_.sum(_sc(np_).special.iv(numpy.array([1.0, 2.5, 3.0, 7.0]), x)), big4)
case("special-ive", lambda np_, x: np_.sum(_sc(np_).special.ive(numpy.array([1.0, 2.5, 3.0, 7.0]), x)), big4)
case("special-beta", lambda np_, a, b: np_.sum(_sc(np_).special.beta(a, b)), p4, q4, argnum=(0, 1))
case("special-betaln", lambda np_, a, b: np_.sum(_sc(np_).special.betaln(a, b)), p4, q4, argnum=(0, 1))
case("special-betainc", lambda np_, x: np_.sum(_sc(np_).special.betainc(p4 + 1.0, q4 + 1.0, x)), frac4)
case("special-gammainc", lambda np_, x: np_.sum(_sc(np_).special.gammainc(1.5, x)), p4)
case("special-gammaincc", lambda np_, x: np_.sum(_sc(np_).special.gammaincc(p4, x)), q4)
case("special-multigammaln", lambda np_, a: np_.sum(_sc(np_).special.multigammaln(a, 3)), positive((2, 3), 10, 4.0, 5.0))
case("special-xlogy", lambda np_, x, y: np_.sum(_sc(np_).special.xlogy(x, y)), x4, p4, argnum=(0, 1))
case("special-xlog1py", lambda np_, x, y: np_.sum(_sc(np_).special.xlog1py(x, y)), x4, p4, argnum=(0, 1))
case("special-broadcast", lambda np_, a, b: np_.sum(_sc(np_).special.betaln(a, b) ** 2), p41, positive((1, 3), 11),
     argnum=(0, 1))
# Plain scipy.special ufuncs applied to traced values.
case("plain-gammaln-erf", lambda np_, x: np_.sum(_sc(np_).special.gammaln(x) * _sc(np_).special.erf(x)), p4, plain=True)
case("plain-digamma-expit", lambda np_, x: np_.sum(_sc(np_).special.digamma(x) + _sc(np_).special.expit(x)), p4,
     plain=True)
case("plain-jv-iv", lambda np_, x: np_.sum(_sc(np_).special.jv(1.0, x) * _sc(np_).special.iv(2.0, x)), big4, plain=True)

# logsumexp.
for _axis in (None, 0, 1, -1, (0, 1)):
    for _keep in (False, True):
        case(f"logsumexp-axis={_axis}-keepdims={_keep}".replace(" ", ""),
             (lambda a, k: lambda np_, x: np_.sum(np_.sin(_sc(np_).special.logsumexp(x, axis=a, keepdims=k))))(
                 _axis, _keep), x43)
case("logsumexp-b", lambda np_, x: np_.sum(_sc(np_).special.logsumexp(x, axis=0, b=numpy.exp(x43))), x43)
case("logsumexp-1x5", lambda np_, x: np_.sum(_sc(np_).special.logsumexp(x, axis=1, keepdims=True) ** 2), normal((1, 5), 12))

# stats.
def stat(name, dist, fn, args, argnum):
    case(f"stats-{dist}.{fn}-{name}", (lambda d, f: lambda np_, *a: np_.sum(getattr(getattr(_sc(np_).stats, d), f)(*a)))(
        dist, fn), *args, argnum=argnum)


for _fn in ("pdf", "cdf", "sf", "logpdf", "logcdf", "logsf"):
    stat("1d", "norm", _fn, (x4, normal(4, 13), p4), (0, 1, 2))
    stat("broadcast", "norm", _fn, (x43, x13, p41), (0, 1, 2))
for _fn in ("pdf", "logpdf"):
    stat("1d", "t", _fn, (x4, big4 + 1.0, normal(4, 14), p4), (0, 1, 2, 3))
    stat("broadcast", "t", _fn, (x43, positive((1, 3), 15, 2.1, 4.0), normal((4, 3), 16), p41), (0, 1, 2, 3))
for _fn in ("cdf", "logcdf"):
    stat("1d", "t", _fn, (x4, big4 + 1.0, normal(4, 14), p4), (0, 2))
    stat("broadcast", "t", _fn, (x43, positive((1, 3), 15, 2.1, 4.0), normal((4, 3), 16), p41), (0, 2))
for _fn in ("pdf", "logpdf"):
    stat("1d", "gamma", _fn, (big4, p4 + 1.0), (0, 1))
    stat("1d", "beta", _fn, (frac4, big4, p4 + 1.0), (0, 1, 2))
stat("1d", "gamma", "cdf", (big4, p4 + 1.0), 0)
stat("1d", "beta", "cdf", (frac4, big4, p4 + 1.0), 0)
for _fn in ("pdf", "logpdf", "cdf"):
    stat("1d", "chi2", _fn, (big4, 3), 0)
_k4, _k43 = numpy.array([0.0, 1.0, 3.0, 6.0]), numpy.round(normal((4, 3), 17) ** 2 * 3)
for _fn in ("pmf", "logpmf", "cdf"):
    stat("1d", "poisson", _fn, (_k4, big4), 1)
    stat("broadcast", "poisson", _fn, (_k43, positive((4, 1), 18, 1.0, 4.0)), 1)
_alpha = positive(4, 19, 1.2, 2.5)
_simplex = numpy.array([0.1, 0.2, 0.3, 0.4])
for _fn in ("pdf", "logpdf"):
    case(f"stats-dirichlet.{_fn}-x", (lambda f: lambda np_, x: getattr(_sc(np_).stats.dirichlet, f)(x / np_.sum(x), _alpha))(
        _fn), _simplex)
    case(f"stats-dirichlet.{_fn}-alpha", (lambda f: lambda np_, a: getattr(_sc(np_).stats.dirichlet, f)(_simplex, a))(_fn),
         _alpha)


def _psd(seed, n=4):
    m = normal((n, n), seed)
    return m.T @ m + numpy.eye(n)


def _sym(np_, c):
    return 0.5 * (c + np_.transpose(c))


for _fn in ("pdf", "logpdf"):
    case(f"stats-mvn.{_fn}", (lambda f: lambda np_, x, m, c: getattr(_sc(np_).stats.multivariate_normal, f)(
        x, m, _sym(np_, c)) * 1e2)(_fn), normal(4, 20), normal(4, 21), _psd(22), argnum=(0, 1, 2))
    case(f"stats-mvn.{_fn}-batch", (lambda f: lambda np_, x, m, c: np_.sum(getattr(_sc(np_).stats.multivariate_normal, f)(
        x, m, _sym(np_, c))))(_fn), normal((5, 4), 23), normal(4, 24), _psd(25), argnum=(0, 1, 2))
case("stats-mvn.entropy", lambda np_, c: _sc(np_).stats.multivariate_normal.entropy(numpy.zeros(4), _sym(np_, c)), _psd(26))
_sing = numpy.diag([1.0, 1.0, 0.0, 0.0])
case("stats-mvn.logpdf-singular",
     lambda np_, x, m: _sc(np_).stats.multivariate_normal.logpdf(np_.concatenate([x[:2], m[2:]]), m, _sing,
                                                                allow_singular=True),
     numpy.array([0.3, -0.4, 0.0, 0.0]), numpy.array([0.1, 0.5, 0.0, 0.0]), argnum=(0, 1))

# signal.convolve.
_CONV = [("1d-full", (4,), (3,), {}), ("1d-valid", (5,), (3,), {"mode": "valid"}),
         ("1d-valid-swapped", (3,), (5,), {"mode": "valid"}), ("1d-same", (6,), (4,), {"mode": "same"}),
         ("1d-same-short", (3,), (5,), {"mode": "same"}), ("2d-same", (4, 3), (2, 2), {"mode": "same"}),
         ("2d-axes", (4, 3), (3, 2), {"axes": ([0], [1]), "mode": "valid"}),
         ("2d-axes-reversed", (4, 3), (3, 2), {"axes": ([1, 0], [1, 0])}),
         ("dot-same", (3, 3, 2), (3, 2, 3), {"axes": ([1], [1]), "dot_axes": ([0], [2]), "mode": "same"}),
         ("dot-valid", (3, 3, 2), (3, 2, 3), {"axes": ([1], [1]), "dot_axes": ([0], [0]), "mode": "valid"})]
for _i, (_name, _sa, _sb, _kw) in enumerate(_CONV):
    case(f"convolve-{_name}", (lambda kw: lambda np_, a, b: np_.sum(np_.sin(_sc(np_).signal.convolve(a, b, **kw))))(_kw),
         normal(_sa, 30 + _i), normal(_sb, 50 + _i), argnum=(0, 1))


# integrate.odeint.
def _dynamics(np_):
    return lambda y, t, a1, a2: -np_.sqrt(t) - y + a1 - np_.mean((y + a2) ** 2)


_T = numpy.linspace(0.1, 0.2, 4)
_ODE_ARGS = (normal(3, 70), normal(3, 71))
case("odeint", lambda np_, y0, t, args: np_.sum(_sc(np_).integrate.odeint(_dynamics(np_), y0, t, args) * normal((4, 3), 72)),
     normal(3, 73), _T, _ODE_ARGS, argnum=(0, 1, 2), second_order=False)


# --- tests -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(CASES))
def test_grad_matches_autograd(name):
    assert_case_matches_autograd(CASES[name])


def test_odeint_second_order():
    # Reverse over reverse through the adjoint ODE, against central differences of the gradient.
    c = CASES["odeint"]
    y0, t, args = c.args
    g = adjoint.grad(lambda y: c.fun(anp, y, t, args))
    v = normal(3, 74)
    hv = adjoint.grad(lambda y: anp.sum(g(y) * v))(y0)
    h = 1e-5
    fd = (g(y0 + h * v) - g(y0 - h * v)) / (2 * h)
    assert_allclose(hv, fd, rtol=1e-5, atol=1e-7)


PLAIN = {
    "gammaln": (lambda: adjoint.scipy.special.gammaln(p4), lambda: scipy.special.gammaln(p4)),
    "polygamma": (lambda: adjoint.scipy.special.polygamma(2, p4), lambda: scipy.special.polygamma(2, p4)),
    "logsumexp": (lambda: adjoint.scipy.special.logsumexp(x43, axis=1, b=x43, return_sign=True),
                  lambda: scipy.special.logsumexp(x43, axis=1, b=x43, return_sign=True)),
    "misc.logsumexp": (lambda: adjoint.scipy.misc.logsumexp(x43), lambda: scipy.special.logsumexp(x43)),
    "norm.logsf": (lambda: adjoint.scipy.stats.norm.logsf(x4, 0.5, 2.0), lambda: scipy.stats.norm.logsf(x4, 0.5, 2.0)),
    "t.cdf": (lambda: adjoint.scipy.stats.t.cdf(x4, 3.0), lambda: scipy.stats.t.cdf(x4, 3.0)),
    "mvn.logpdf": (lambda: adjoint.scipy.stats.multivariate_normal.logpdf(x4, cov=_psd(1)),
                   lambda: scipy.stats.multivariate_normal.logpdf(x4, cov=_psd(1))),
    "convolve": (lambda: adjoint.scipy.signal.convolve(x4, p4[:3]), lambda: scipy.signal.convolve(x4, p4[:3])),
    "odeint": (lambda: adjoint.scipy.integrate.odeint(lambda y, t: -y, x4, _T),
               lambda: scipy.integrate.odeint(lambda y, t: -y, x4, _T)),
}


@pytest.mark.parametrize("name", list(PLAIN))
def test_plain_values_are_scipys(name):
    ours, theirs = PLAIN[name]
    for o, r in zip(numpy.atleast_1d(ours()) if not isinstance(ours(), tuple) else ours(),
                    numpy.atleast_1d(theirs()) if not isinstance(theirs(), tuple) else theirs()):
        if name == "convolve":  # autograd's own convolve is not scipy's to the last bit either
            assert_allclose(o, r, rtol=1e-13, atol=1e-15)
        else:
            numpy.testing.assert_array_equal(o, r)


def test_logsumexp_gradient_in_b():
    # autograd does not differentiate b: the closed form d/db_i = exp(x_i) / sum_j b_j exp(x_j).
    g = adjoint.grad(lambda b: adjoint.scipy.special.logsumexp(x4, b=b), 0)(p4)
    assert_allclose(g, numpy.exp(x4) / numpy.sum(p4 * numpy.exp(x4)), rtol=1e-12)


def test_traced_logsumexp_return_sign():
    x, b = x4, numpy.array([1.0, -2.0, 0.5, 0.1])
    (_, sign), (_, ref_sign) = adjoint.scipy.special.logsumexp(
        anp.array(x), b=b, return_sign=True), scipy.special.logsumexp(x, b=b, return_sign=True)
    g = adjoint.grad(lambda x: adjoint.scipy.special.logsumexp(x, b=b, return_sign=True)[0])(x)
    assert_allclose(g, b * numpy.exp(x) / numpy.sum(b * numpy.exp(x)), rtol=1e-12)
    assert sign == ref_sign


@pytest.mark.parametrize("fun", [
    lambda x: anp.sum(adjoint.scipy.special.polygamma(x, 1.5)),
    lambda x: anp.sum(adjoint.scipy.special.gammainc(x, 1.5)),
    lambda x: anp.sum(adjoint.scipy.stats.t.cdf(1.0, x)),
], ids=["polygamma-n", "gammainc-a", "t.cdf-df"])
def test_undifferentiable_argument_names_the_primitive(fun):
    with pytest.raises(adjoint.MissingRuleError, match="special_"):
        adjoint.grad(fun)(numpy.array([2.0, 3.0]))


def test_singular_traced_covariance_is_refused():
    with pytest.raises(adjoint.UnsupportedFunctionError, match="allow_singular"):
        adjoint.grad(lambda c: adjoint.scipy.stats.multivariate_normal.logpdf(x4, cov=c, allow_singular=True))(_psd(3))


def test_odeint_has_no_forward_mode():
    c = CASES["odeint"]
    with pytest.raises(adjoint.MissingRuleError, match="integrate_odeint"):
        adjoint.jvp(lambda y: c.fun(anp, y, *c.args[1:]))(c.args[0], numpy.ones(3))
