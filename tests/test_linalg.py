"""numpy.linalg and scipy.linalg: gradients against autograd, plain values, errors.

Where autograd has no derivative of a function (qr, matrix_power, cho_factor, norms of some
orders) the reference side computes the same number with functions autograd differentiates;
qr alone has no such formula, and is checked against central differences here
(``CHECKED_ELSEWHERE``).
"""

import numpy
import pytest
from numpy.testing import assert_allclose
from test_grad_vs_autograd import (
    ATOL,
    RTOL,
    Case,
    assert_case_matches_autograd,
    normal,
)

import adjoint
import adjoint.numpy as anp
import adjoint.numpy.linalg  # noqa: F401  (numpy 2's ``from numpy import *`` binds anp.linalg to numpy.linalg)
import adjoint.scipy.linalg as aspla

autograd = pytest.importorskip("autograd")
agnp = pytest.importorskip("autograd.numpy")
agspla = pytest.importorskip("autograd.scipy.linalg")

CASES = {}
#: Primitives autograd cannot differentiate, with the test of their second order.
CHECKED_ELSEWHERE = {"linalg_qr_q": "test_qr_second_order", "linalg_qr_r": "test_qr_second_order"}


def case(name, fun, *args, argnum=0, plain=False, second_order=True):
    assert name not in CASES, name
    CASES[name] = Case(fun, args, argnum, plain, second_order)


def ref(np_):
    return np_ is agnp


def spla(np_):
    return agspla if ref(np_) else aspla


def T(np_, x):
    return np_.swapaxes(x, -1, -2) if ref(np_) else anp.linalg.matrix_transpose(x)


def _well(shape, seed, shift=4.0):
    return normal(shape, seed) + shift * numpy.eye(shape[-1])


def _spd(n, seed, batch=()):
    m = normal((*batch, n, n), seed)
    return m @ numpy.swapaxes(m, -1, -2) + n * numpy.eye(n)


def _real_spectrum(n, seed):
    p = _well((n, n), seed, 2.0)
    return p @ numpy.diag(numpy.arange(1.0, n + 1)) @ numpy.linalg.inv(p)


def _upper(n, seed):
    return numpy.triu(normal((n, n), seed)) + 3.0 * numpy.eye(n)


W44, W234, W4, W43 = normal((4, 4), 200), normal((2, 3, 4), 201), normal(4, 202), normal((4, 3), 203)
sq, sq2 = _well((4, 4), 1), _well((4, 4), 2)
sq3 = _well((2, 3, 3), 3, 3.0)
b4, b43, b23 = normal(4, 4), normal((4, 3), 5), normal((2, 3), 6)
spd, spd3 = _spd(4, 7), _spd(3, 8, (2,))
gen, gen3 = normal((4, 4), 9), normal((2, 3, 3), 10)
tall, wide, sqr = normal((5, 3), 11), normal((3, 5), 12), normal((4, 4), 13)
tall3 = normal((2, 4, 3), 14)
realspec = _real_spectrum(4, 15)
up, lo = _upper(4, 16), _upper(4, 17).T
v5, x234 = normal(5, 18), normal((2, 3, 4), 19)

# inv, solve, det, slogdet.
case("inv", lambda np_, x: np_.sum(np_.linalg.inv(x) * W44), sq)
case("inv-batched", lambda np_, x: np_.sum(np_.sin(np_.linalg.inv(x))), sq3)
case("solve-a", lambda np_, a, b: np_.sum(np_.linalg.solve(a, b) * W4), sq, b4, argnum=(0, 1))
case("solve-matrix", lambda np_, a, b: np_.sum(np_.linalg.solve(a, b) ** 2), sq, b43, argnum=(0, 1))
case("solve-batched", lambda np_, a, b: np_.sum(np_.sin(np_.linalg.solve(a, b[..., None]))), sq3, b23,
     argnum=(0, 1))
# autograd's solve does not unbroadcast b's cotangent: its side broadcasts b explicitly.
case("solve-broadcast-b", lambda np_, a, b: np_.sum(np_.linalg.solve(a, b + numpy.zeros((2, 3, 2)) if ref(np_) else b)
                                                    ** 2), sq3, normal((3, 2), 20),
     argnum=(0, 1))
case("det", lambda np_, x: np_.linalg.det(x), gen)
case("det-batched", lambda np_, x: np_.sum(np_.linalg.det(x) ** 2), gen3)
case("slogdet", lambda np_, x: np_.linalg.slogdet(x)[1] * 1.5, gen)
case("slogdet-negative", lambda np_, x: np_.linalg.slogdet(-x)[1], gen)
case("slogdet-batched", lambda np_, x: np_.sum(np_.linalg.slogdet(x)[1] * np_.array([1.0, 2.0])), gen3)
case("det-slogdet-product", lambda np_, x: np_.linalg.det(x) * np_.linalg.slogdet(x)[1], sq)
# cholesky (of the symmetric matrix, as autograd's).
case("cholesky", lambda np_, a: np_.sum(np_.linalg.cholesky(a) * W44), spd)
case("cholesky-batched", lambda np_, a: np_.sum(np_.sin(np_.linalg.cholesky(a))), spd3)
case("cholesky-upper", lambda np_, a: np_.sum(
    (T(np_, np_.linalg.cholesky(a)) if ref(np_) else np_.linalg.cholesky(a, upper=True)) * W44), spd)
# eigh, eigvalsh: the triangle it reads, and functions of the eigenvalues alone.
case("eigh-lower", lambda np_, x: np_.sum(np_.linalg.eigh(x)[0] * W4) + np_.sum(np_.linalg.eigh(x)[1] ** 2 * W44),
     gen)
case("eigh-upper", lambda np_, x: np_.sum(np_.linalg.eigh(x, "U")[1] ** 3 * W44), gen)
case("eigh-values", lambda np_, x: np_.sum(np_.linalg.eigh(x)[0] ** 2), spd)
case("eigh-batched", lambda np_, x: np_.sum(np_.linalg.eigh(x)[1] ** 2 * W234[:, :, :3]) + np_.sum(
    np_.linalg.eigh(x)[0] ** 2), spd3)
case("eigvalsh", lambda np_, x: np_.sum(np_.sin(np_.linalg.eigvalsh(x, "U") if not ref(np_) else
                                               np_.linalg.eigh(x, "U")[0])), gen)
# eig of a real matrix with real eigenvalues.
case("eig-values", lambda np_, x: np_.sum(np_.linalg.eig(x)[0] * W4), realspec)
case("eig-vectors", lambda np_, x: np_.sum(np_.linalg.eig(x)[1] ** 2 * W44), realspec)
case("eigvals", lambda np_, x: np_.sum(np_.linalg.eig(x)[0] ** 2) if ref(np_) else
     np_.sum(np_.linalg.eigvals(x) ** 2), realspec)
# svd: reduced factors of tall, wide, square and stacked matrices; singular values alone.
for _name, _m in (("tall", tall), ("wide", wide), ("square", sqr), ("stacked", tall3)):
    case(f"svd-{_name}", (lambda w: lambda np_, x: np_.sum(
        np_.linalg.svd(x, full_matrices=False)[0] ** 2 * w[0]) + np_.sum(np_.linalg.svd(x, full_matrices=False)[1] ** 2)
        + np_.sum(np_.linalg.svd(x, full_matrices=False)[2] * w[1]))(
        (normal(_m.shape[:-1] + (min(_m.shape[-2:]),), 30), normal(_m.shape[:-2] + (min(_m.shape[-2:]),)
                                                                  + _m.shape[-1:], 31))), _m)
    case(f"svd-s-{_name}", lambda np_, x: np_.sum(np_.sin(np_.linalg.svd(x, compute_uv=False))), _m)
# autograd refuses full_matrices=True even where (square) it is the reduced svd.
case("svd-square-full", lambda np_, x: np_.sum(np_.linalg.svd(x, full_matrices=not ref(np_))[0] * W44), sqr)
# norm: every ord and axis; autograd lacks some, whose reference is the definition.
_VORDS = {None: lambda np_, x: np_.sqrt(np_.sum(x * x)), 2: None, 3: None, 1: lambda np_, x: np_.sum(np_.abs(x)),
          numpy.inf: lambda np_, x: np_.max(np_.abs(x)), -numpy.inf: lambda np_, x: np_.min(np_.abs(x)),
          0.5: lambda np_, x: np_.sum(np_.abs(x) ** 0.5) ** 2.0, -1: lambda np_, x: np_.sum(np_.abs(x) ** -1.0) ** -1.0}
for _ord, _def in _VORDS.items():
    case(f"norm-vector-ord={_ord}", (lambda o, d: lambda np_, x: (d(np_, x) if ref(np_) and d is not None else
                                                                   np_.linalg.norm(x, o)) * 1.0)(_ord, _def), v5)
_MORDS = {"fro": None, "nuc": None,
          2: lambda np_, x: np_.max(np_.linalg.svd(x, compute_uv=False)),
          -2: lambda np_, x: np_.min(np_.linalg.svd(x, compute_uv=False)),
          1: lambda np_, x: np_.max(np_.sum(np_.abs(x), axis=0)), -1: lambda np_, x: np_.min(np_.sum(np_.abs(x), axis=0)),
          numpy.inf: lambda np_, x: np_.max(np_.sum(np_.abs(x), axis=1)),
          -numpy.inf: lambda np_, x: np_.min(np_.sum(np_.abs(x), axis=1))}
for _ord, _def in _MORDS.items():
    case(f"norm-matrix-ord={_ord}", (lambda o, d: lambda np_, x: d(np_, x) if ref(np_) and d is not None else
                                     np_.linalg.norm(x, o))(_ord, _def), tall)
case("norm-axis", lambda np_, x: np_.sum(np_.linalg.norm(x, axis=1) * W234[:, 0]), x234)
# autograd's norm VJP mishandles keepdims: its side adds the axis itself.
case("norm-axis-keepdims", lambda np_, x: np_.sum((np_.expand_dims(np_.linalg.norm(x, axis=-1), -1) if ref(np_) else
                                                   np_.linalg.norm(x, axis=-1, keepdims=True)) ** 2 * W234[:, :, :1]),
     x234)
case("norm-ord3-axis", lambda np_, x: np_.sum(np_.linalg.norm(x, 3, axis=0)), x234)
case("norm-fro-axes", lambda np_, x: np_.sum(np_.linalg.norm(x, axis=(2, 0)) * W4[:3]), x234)
case("norm-nuc-axes", lambda np_, x: np_.sum(np_.linalg.norm(x, "nuc", axis=(0, 2))), x234)
case("norm-keepdims-all", lambda np_, x: np_.sum(
    np_.linalg.norm(x, keepdims=True) * W44[:1, :1] if not ref(np_) else np_.linalg.norm(x) * W44[0, 0]), tall)
case("norm-inf-matrix-axes-keepdims", lambda np_, x: np_.sum(
    np_.max(np_.sum(np_.abs(x), axis=2, keepdims=True), axis=1, keepdims=True) * W234[:, :1, :1] if ref(np_) else
    np_.linalg.norm(x, numpy.inf, axis=(1, 2), keepdims=True) * W234[:, :1, :1]), x234)
# pinv, matrix_power, multi_dot, qr's R of a tall matrix (whose reference is cholesky of xᵀx).
case("pinv-tall", lambda np_, x: np_.sum(np_.linalg.pinv(x) * W43.T), normal((4, 3), 40))
case("pinv-wide", lambda np_, x: np_.sum(np_.linalg.pinv(x) ** 2), wide)
case("pinv-stacked", lambda np_, x: np_.sum(np_.sin(np_.linalg.pinv(x))), tall3)


def _power_ref(np_, x, n):
    if n < 0:
        x, n = np_.linalg.inv(x), -n
    out = x
    for _ in range(n - 1):
        out = out @ x
    return out


case("matrix_power-3", lambda np_, x: np_.sum(
    (_power_ref(np_, x, 3) if ref(np_) else np_.linalg.matrix_power(x, 3)) * W44), gen)
case("matrix_power-neg2", lambda np_, x: np_.sum(
    (_power_ref(np_, x, -2) if ref(np_) else np_.linalg.matrix_power(x, -2)) * W44), sq)
case("matrix_power-stacked-5", lambda np_, x: np_.sum(
    _power_ref(np_, x, 5) if ref(np_) else np_.linalg.matrix_power(x, 5)), 0.5 * gen3)
case("multi_dot", lambda np_, a, b: np_.sum(a @ b @ W43 @ W43.T @ b if ref(np_) else
                                     np_.linalg.multi_dot([a, b, W43, W43.T, b])), v5[:4], gen, argnum=(0, 1))
case("qr-r-vs-cholesky", lambda np_, x: np_.sum(np_.abs(
    T(np_, np_.linalg.cholesky(T(np_, x) @ x)) if ref(np_) else np_.linalg.qr(x, mode="r")) * W44[:3, :3]), tall)
# scipy.linalg. autograd's solve_triangular ignores unit_diagonal in its VJP: its side
# builds the unit-diagonal matrix explicitly.


def _unit_ref(a, lower):
    n = a.shape[-1]
    return a * (numpy.tril(numpy.ones((n, n)), -1) if lower else numpy.triu(numpy.ones((n, n)), 1)) + numpy.eye(n)


for _lower in (False, True):
    for _trans in (0, 1, "T"):
        for _unit in (False, True):
            _a = lo if _lower else up
            case(f"solve_triangular-lower={_lower}-trans={_trans}-unit={_unit}",
                 (lambda lw, tr, un: lambda np_, a, b: np_.sum(np_.sin(spla(np_).solve_triangular(
                     _unit_ref(a, lw) if ref(np_) and un else a, b, trans=tr, lower=lw, unit_diagonal=un and not ref(np_)))))(
                     _lower, _trans, _unit), _a, b43, argnum=(0, 1))
case("solve_triangular-vector", lambda np_, a, b: np_.sum(spla(np_).solve_triangular(a, b, lower=True) ** 2),
     lo, b4, argnum=(0, 1))
case("cho_solve", lambda np_, a, b: np_.sum(
    (np_.linalg.solve(0.5 * (a + a.T), b) if ref(np_) else aspla.cho_solve(aspla.cho_factor(a), b)) * W43), spd, b43,
     argnum=(0, 1))
case("cho_solve-lower", lambda np_, a, b: np_.sum(
    np_.sin(np_.linalg.solve(0.5 * (a + a.T), b) if ref(np_) else aspla.cho_solve(aspla.cho_factor(a, lower=True), b))), spd, b4,
     argnum=(0, 1))
case("sqrtm", lambda np_, a: np_.sum(spla(np_).sqrtm(a) * W44), spd)
case("solve_sylvester", lambda np_, a, b, q: np_.sum(np_.sin(spla(np_).solve_sylvester(a, b, q))),
     sq, sq2, gen, argnum=(0, 1, 2))
case("solve_banded", lambda np_, ab, b: np_.sum(spla(np_).solve_banded((1, 1), ab, b) * W4[:3].sum()),
     normal((3, 5), 41) + numpy.array([[0.0], [4.0], [0.0]]), normal(5, 42), argnum=(0, 1))
# complex matrices (first order: forward mode of complex svd is not supported).
cx, cx35 = normal((4, 4), 90) + 1j * normal((4, 4), 91), normal((3, 5), 92) + 1j * normal((3, 5), 93)
case("complex-svd", lambda np_, x: np_.sum(np_.abs(np_.linalg.svd(x, full_matrices=False)[0]) * W43[:3, :3])
     + np_.sum(np_.linalg.svd(x, full_matrices=False)[1]), cx35, second_order=False)
case("complex-svd-square", lambda np_, x: np_.sum(np_.abs(np_.linalg.svd(x, full_matrices=False)[2]) * W44), cx,
     second_order=False)
case("complex-eig", lambda np_, x: np_.sum(np_.abs(np_.linalg.eig(x)[1]) * W44) + np_.sum(
    np_.real(np_.linalg.eig(x)[0]) * W4), cx, second_order=False)
case("complex-eigh", lambda np_, x: np_.sum(np_.abs(np_.linalg.eigh(x)[1]) * W44) + np_.sum(np_.linalg.eigh(x)[0] ** 2),
     cx, second_order=False)
case("complex-norms", lambda np_, x: np_.linalg.norm(x) + np_.linalg.norm(x, "nuc") + np_.sum(np_.linalg.norm(x, 3, axis=0)),
     cx35, second_order=False)
case("complex-eig-of-real", lambda np_, x: np_.sum(np_.abs(np_.linalg.eig(x)[0])), gen, second_order=False)

# plain numpy on traced values.
case("plain-solve-det-inv", lambda np_, a, b: np_.linalg.det(a) * np_.sum(np_.linalg.solve(a, b))
     + np_.sum(np_.linalg.inv(a)), sq, b4, argnum=(0, 1), plain=True)
case("plain-norms", lambda np_, x: np_.linalg.norm(x) + np_.sum(np_.linalg.norm(x, axis=0)) + np_.linalg.norm(x, "nuc"),
     tall, plain=True)
case("plain-eigh-cholesky-slogdet", lambda np_, x: np_.sum(np_.linalg.eigh(x)[0] ** 2) + np_.sum(
    np_.linalg.cholesky(x)) + np_.linalg.slogdet(x)[1], spd, plain=True)
case("plain-svd-pinv", lambda np_, x: np_.sum(np_.linalg.svd(x, full_matrices=False)[1])
     + np_.sum(np_.linalg.pinv(x) ** 2), tall, plain=True)


# --- against autograd --------------------------------------------------------------------

@pytest.mark.parametrize("name", list(CASES))
def test_grad_matches_autograd(name):
    assert_case_matches_autograd(CASES[name])


# --- qr: central differences ---------------------------------------------------------------

def _qr_fun(x):
    q, r = anp.linalg.qr(x)
    return anp.sum(anp.sin(q) * W43[:, :3] if x.shape[0] == 4 else anp.sin(q)) + anp.sum(r ** 2 * W44[:3, :3])


def _central(f, x, eps=1e-6):
    g = numpy.zeros_like(x)
    for i in numpy.ndindex(x.shape):
        e = numpy.zeros_like(x)
        e[i] = eps
        g[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


@pytest.mark.parametrize("x", [normal((4, 3), 50), normal((3, 3), 51)], ids=["tall", "square"])
def test_qr_gradient(x):
    assert_allclose(adjoint.grad(_qr_fun)(x), _central(_qr_fun, x), rtol=1e-6, atol=1e-7)
    v = normal(x.shape, 52)
    assert_allclose(adjoint.jvp(_qr_fun)(x, v)[1], numpy.sum(_central(_qr_fun, x) * v), rtol=1e-6, atol=1e-7)


def test_qr_second_order():
    x, v = normal((4, 3), 53), normal((4, 3), 54)
    hv = adjoint.jvp(adjoint.grad(_qr_fun))(x, v)[1]
    hv_fd = (adjoint.grad(_qr_fun)(x + 1e-5 * v) - adjoint.grad(_qr_fun)(x - 1e-5 * v)) / 2e-5
    assert_allclose(hv, hv_fd, rtol=1e-5, atol=1e-6)
    hv_rr = adjoint.grad(lambda y: anp.sum(adjoint.grad(_qr_fun)(y) * v))(x)
    assert_allclose(hv_rr, hv, rtol=1e-9, atol=1e-11)


# --- forward mode against reverse mode ------------------------------------------------------

@pytest.mark.parametrize("name", [n for n in CASES if not CASES[n].plain and isinstance(CASES[n].argnum, int)
                                  and not n.startswith("complex")])
def test_jvp_matches_grad(name):
    c = CASES[name]
    x = c.args[c.argnum]
    v = normal(numpy.shape(x), 60)
    g = adjoint.grad(lambda *a: c.fun(anp, *a), c.argnum)(*c.args)
    args = list(c.args)
    out, t = adjoint.jvp(lambda y: c.fun(anp, *args[:c.argnum], y, *args[c.argnum + 1:]))(x, v)
    assert_allclose(t, numpy.sum(g * v), rtol=1e-9, atol=1e-11)


# --- plain values and errors ----------------------------------------------------------------

PLAIN = {
    "solve": (lambda m: m.linalg.solve(sq3, b23[..., None]), anp, numpy),
    "slogdet": (lambda m: m.linalg.slogdet(gen), anp, numpy),
    "eigh": (lambda m: m.linalg.eigh(gen, "U"), anp, numpy),
    "svd": (lambda m: m.linalg.svd(tall), anp, numpy),
    "norm": (lambda m: m.linalg.norm(x234, 3, axis=1, keepdims=True), anp, numpy),
    "qr": (lambda m: m.linalg.qr(wide), anp, numpy),
    "matrix_power": (lambda m: m.linalg.matrix_power(gen, -3), anp, numpy),
    "cho_factor": (lambda m: m.cho_factor(spd), aspla, __import__("scipy.linalg").linalg),
    "solve_banded": (lambda m: m.solve_banded((1, 0), normal((2, 4), 70), b4), aspla, __import__("scipy.linalg").linalg),
}


@pytest.mark.parametrize("name", list(PLAIN))
def test_plain_values_are_numpys(name):
    fun, ours, theirs = PLAIN[name]
    a, b = fun(ours), fun(theirs)
    assert type(a) is type(b)
    for x, y in zip(a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,)):
        assert_allclose(x, y, rtol=0, atol=0)


@pytest.mark.parametrize("mode_shape", [("reduced", (3, 5)), ("complete", (5, 3)), ("raw", (4, 4))])
def test_qr_unsupported_names_it(mode_shape):
    mode, shape = mode_shape
    with pytest.raises(adjoint.UnsupportedFunctionError, match="numpy.linalg.qr"):
        adjoint.grad(lambda x: anp.sum(anp.linalg.qr(x, mode)[0]))(normal(shape, 80))


def test_svd_full_matrices_of_nonsquare_names_it():
    with pytest.raises(adjoint.UnsupportedFunctionError, match="full_matrices"):
        adjoint.grad(lambda x: anp.sum(anp.linalg.svd(x)[0]))(tall)
    # the singular values alone still trace
    g = adjoint.grad(lambda x: anp.sum(anp.linalg.svd(x)[1]))(tall)
    assert_allclose(g, autograd.grad(lambda x: agnp.sum(agnp.linalg.svd(x, full_matrices=False)[1]))(tall),
                    rtol=RTOL, atol=ATOL)


def test_norm_of_list_of_traced_values():
    assert adjoint.grad(lambda x: anp.linalg.norm([x, x + 2]))(0.0) == 1.0
    assert adjoint.grad(lambda x: anp.linalg.norm((x, x + 2)))(0.0) == 1.0


def test_norm_ord0_counts_and_has_zero_gradient():
    x = numpy.array([1.0, 0.0, -2.0])
    assert adjoint.value_and_grad(lambda y: anp.linalg.norm(y, 0) + anp.sum(y))(x)[0] == 2.0 - 1.0
    assert_allclose(adjoint.grad(lambda y: anp.linalg.norm(y, 0) + anp.sum(y))(x), numpy.ones(3))


def test_autograd_helpers_exist():
    assert_allclose(anp.linalg._dot(gen3, gen3), gen3 @ gen3)
    assert_allclose(anp.linalg.T(gen3), numpy.swapaxes(gen3, -1, -2))
