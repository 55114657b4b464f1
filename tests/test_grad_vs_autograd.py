"""Gradients of ``adjoint`` against autograd (HIPS) on the same numpy code.

Every case is a function written once against a numpy-like module ``np_`` and run twice:
with ``np_ = adjoint.numpy`` through ``adjoint.value_and_grad`` and with
``np_ = autograd.numpy`` through ``autograd.value_and_grad``. Values and gradients must
agree to 1e-10 relative. Cases marked ``plain`` run the adjoint side with plain ``numpy``
applied to traced values (dispatch through ``__array_ufunc__`` / ``__array_function__``);
the reference is the same function on ``autograd.numpy``.

Arguments come from fixed seeds and stay away from kinks (abs at 0, ties of max/min,
clip bounds) and domain edges (log, sqrt, arctanh near ±1).
"""

import numbers
import warnings
from dataclasses import dataclass

import numpy
import pytest
from numpy.testing import assert_allclose

import adjoint
import adjoint.numpy as anp

autograd = pytest.importorskip("autograd")
agnp = pytest.importorskip("autograd.numpy")

RTOL, ATOL = 1e-10, 1e-12


# --- arguments ---------------------------------------------------------------------------

def _rng(seed):
    return numpy.random.default_rng(seed)


def normal(shape, seed):
    return _rng(seed).normal(size=shape)


def positive(shape, seed, lo=0.5, hi=2.0):
    return _rng(seed).uniform(lo, hi, size=shape)


def unit(shape, seed, bound=0.8):
    """Values in (-bound, bound): inside the domains of arcsin, arctanh, tan."""
    return _rng(seed).uniform(-bound, bound, size=shape)


def nonzero(shape, seed, lo=0.3, hi=1.5):
    """Values with |x| in (lo, hi) and random signs: away from the kink of abs."""
    r = _rng(seed)
    return r.choice([-1.0, 1.0], size=shape) * r.uniform(lo, hi, size=shape)


# Constants (plain ndarrays) the functions close over.
A34 = normal((3, 4), 100)
A43 = normal((4, 3), 101)
A3 = normal(3, 102)
A4 = normal(4, 103)
B234 = normal((2, 3, 4), 104)
MASK34 = _rng(105).random((3, 4)) > 0.4
REPEATED = numpy.array([0, 2, 2, 1, 0, 0])
ROWS, COLS = numpy.array([0, 2, 1, 2]), numpy.array([3, 3, 0, 3])


# --- the table ---------------------------------------------------------------------------

@dataclass
class Case:
    fun: object            # fun(np_, *args) -> scalar
    args: tuple
    argnum: object = 0
    plain: bool = False     # adjoint side uses plain numpy on traced values
    second_order: bool = True  # test_second_order runs it as Hessian-vector products too


CASES = {}


def case(name, fun, *args, argnum=0, plain=False):
    assert name not in CASES, name
    CASES[name] = Case(fun, args, argnum, plain)


x34, y34 = normal((3, 4), 1), normal((3, 4), 2)
p34, q34 = positive((3, 4), 3), positive((3, 4), 4)
u34 = unit((3, 4), 5)
n34 = nonzero((3, 4), 6)
x4, p4 = normal(4, 7), positive(4, 8)
x3 = normal(3, 9)
x31, y14 = normal((3, 1), 10), normal((1, 4), 11)
x234 = normal((2, 3, 4), 12)
p234 = positive((2, 3, 4), 13)

# Elementwise arithmetic, both arguments differentiated.
case("add", lambda np_, x, y: np_.sum(np_.sin(x + y)), x34, y34, argnum=(0, 1))
case("subtract", lambda np_, x, y: np_.sum(np_.sin(x - y)), x34, y34, argnum=(0, 1))
case("multiply", lambda np_, x, y: np_.sum(x * y * x), x34, y34, argnum=(0, 1))
case("divide", lambda np_, x, y: np_.sum(x / y), x34, p34, argnum=(0, 1))
case("power-int", lambda np_, x: np_.sum(x ** 3), x34)
case("power-float", lambda np_, x: np_.sum(x ** 2.5), p34)
case("power-both", lambda np_, x, y: np_.sum(x ** y), p34, q34, argnum=(0, 1))
case("negative", lambda np_, x: np_.sum(np_.sin(-x)), x34)
case("abs", lambda np_, x: np_.sum(np_.abs(x) * x), n34)
case("abs-operator", lambda np_, x: np_.sum(abs(x) ** 1.5), n34)
# Unary functions.
case("sqrt", lambda np_, x: np_.sum(np_.sqrt(x)), p34)
case("exp", lambda np_, x: np_.sum(np_.exp(x)), x34)
case("log", lambda np_, x: np_.sum(np_.log(x)), p34)
case("log1p", lambda np_, x: np_.sum(np_.log1p(x)), p34)
case("expm1", lambda np_, x: np_.sum(np_.expm1(x)), x34)
case("sin", lambda np_, x: np_.sum(np_.sin(x)), x34)
case("cos", lambda np_, x: np_.sum(np_.cos(x)), x34)
case("tan", lambda np_, x: np_.sum(np_.tan(x)), u34)
case("arctan", lambda np_, x: np_.sum(np_.arctan(x)), x34)
case("sinh", lambda np_, x: np_.sum(np_.sinh(x)), x34)
case("cosh", lambda np_, x: np_.sum(np_.cosh(x)), x34)
case("tanh", lambda np_, x: np_.sum(np_.tanh(x)), x34)
case("square", lambda np_, x: np_.sum(np_.square(x)), x34)
case("arcsin-arccos", lambda np_, x: np_.sum(np_.arcsin(x) * np_.arccos(x)), u34)
case("arcsinh-arctanh", lambda np_, x: np_.sum(np_.arcsinh(x) + np_.arctanh(x)), u34)
case("arccosh-reciprocal", lambda np_, x: np_.sum(np_.arccosh(x + 1.0) * np_.reciprocal(x)), p34)
case("log2-log10-exp2", lambda np_, x: np_.sum(np_.log2(x) * np_.log10(x) + np_.exp2(x)), p34)
case("arctan2", lambda np_, y, x: np_.sum(np_.arctan2(y, x)), x34, y34, argnum=(0, 1))
# Selections.
case("maximum", lambda np_, x, y: np_.sum(np_.maximum(x, y) ** 2), x34, y34, argnum=(0, 1))
case("minimum", lambda np_, x, y: np_.sum(np_.minimum(x, y) ** 2), x34, y34, argnum=(0, 1))
case("maximum-scalar", lambda np_, x: np_.sum(np_.maximum(x, 0.1) ** 2), x34)
case("where", lambda np_, x, y: np_.sum(np_.where(x > 0, x * y, np_.sin(y))), x34, y34, argnum=(0, 1))
case("where-relu", lambda np_, x: np_.sum(np_.where(x > 0, x, 0.01 * x) ** 2), x34)
case("clip", lambda np_, x: np_.sum(np_.clip(x, -0.5, 0.5) ** 2 * x), x34)

# Broadcasting both ways, and constants on either side.
case("bcast-scalar*array", lambda np_, x: np_.sum(2.5 * x + x * 3.0), x34)
case("bcast-traced-scalar*array", lambda np_, s, x: np_.sum(np_.sin(s * x) + x / s), 0.7, x34, argnum=(0, 1))
case("bcast-(3,1)+(1,4)", lambda np_, x, y: np_.sum(np_.sin(x + y)), x31, y14, argnum=(0, 1))
case("bcast-(3,1)*(1,4)", lambda np_, x, y: np_.sum(np_.sin(x * y)), x31, y14, argnum=(0, 1))
case("bcast-(3,1)-(1,4)", lambda np_, x, y: np_.sum(np_.sin(y - x)), x31, y14, argnum=(0, 1))
case("bcast-(3,1)/(1,4)", lambda np_, x, y: np_.sum(x / (y * y + 1.0)), x31, y14, argnum=(0, 1))
case("bcast-(3,1)**(1,4)", lambda np_, x, y: np_.sum(np_.abs(x) ** y), nonzero((3, 1), 14), y14, argnum=(0, 1))
case("bcast-(4,)*(3,4)", lambda np_, x, y: np_.sum(np_.sin(x * y)), x4, y34, argnum=(0, 1))
case("bcast-(3,4)-(4,)", lambda np_, y, x: np_.sum(np_.sin(y - x)), y34, x4, argnum=(0, 1))
case("bcast-maximum-(3,1)(1,4)", lambda np_, x, y: np_.sum(np_.maximum(x, y) ** 2), x31, y14, argnum=(0, 1))
# autograd's where does not unbroadcast its cotangents: broadcast explicitly here, and see
# test_where_unbroadcasts for where's own broadcasting.
case("bcast-where-(1,4)(3,4)", lambda np_, x, y: np_.sum(np_.where(MASK34, np_.broadcast_to(x, (3, 4)), y) ** 2),
     y14, y34, argnum=(0, 1))
case("const-array+traced", lambda np_, x: np_.sum(np_.sin(A34 + x) * (x - A4)), x4)
case("const-array-ops-left", lambda np_, x: np_.sum(A34 - x + A34 * x + A34 / (x * x + 1.0)), x34)
case("const-python-scalar-left", lambda np_, x: np_.sum(1.5 - x + 1.0 / x + 2.0 ** x), p34)
case("const-python-scalar-right", lambda np_, x: np_.sum((x - 1.5) / 2.0 + x ** 2), x34)

# Reductions: axis None / int / negative / tuple, keepdims True / False.
for red in ("sum", "mean", "max", "min", "prod"):
    data = p234 if red == "prod" else x234
    for axis in (None, 1, -1, (0, 2)):
        for keepdims in (False, True):
            name = f"{red}-axis={axis}-keepdims={keepdims}".replace(" ", "")
            case(name, (lambda r, a, k: lambda np_, x: np_.sum(
                np_.sin(getattr(np_, r)(x, axis=a, keepdims=k)) * 1.3))(red, axis, keepdims), data)
case("sum-method", lambda np_, x: (x.sum(axis=0) ** 2).sum(), x34)
case("mean-max-methods", lambda np_, x: x.mean(axis=-1).max() + x.min(axis=(0, 1)).sum(), x234)
case("prod-method", lambda np_, x: x.prod(axis=1).sum(), p34)
case("sum-list-axis", lambda np_, x: np_.sum(np_.sum(x, axis=(0, 1)) ** 2), x234)

# Shapes.
case("reshape", lambda np_, x: np_.sum(np_.reshape(x, (4, 6)) * A4.reshape(4, 1)), x234)
case("reshape-method", lambda np_, x: np_.sum(np_.sin(x.reshape(6, 4)) @ A4), x234)
case("reshape-minus-one", lambda np_, x: np_.sum(np_.reshape(x, (-1, 2))[:, 0] ** 2), x234)
case("ravel", lambda np_, x: np_.sum(np_.ravel(x) * np_.arange(24.0)), x234)
case("transpose", lambda np_, x: np_.sum(np_.transpose(x) * np_.arange(4.0).reshape(4, 1, 1)), x234)
case("transpose-axes", lambda np_, x: np_.sum(np_.transpose(x, (1, 2, 0)) * B234.transpose(1, 2, 0) ** 2), x234)
case("T", lambda np_, x: np_.sum(x.T * A43 ** 2), x34)
# autograd accepts neither x.transpose(2, 0, 1) nor negative axes (its VJP argsorts them):
# see test_transpose_forms for those.
case("transpose-method-axes", lambda np_, x: np_.sum(np_.sin(x.transpose((2, 0, 1))) * np_.arange(24.0).reshape(4, 2, 3)), x234)
case("expand_dims", lambda np_, x: np_.sum(np_.expand_dims(x, 1) * B234[:, :1, :1, None] ** 2), x34)
case("expand_dims-negative", lambda np_, x: np_.sum(np_.sin(np_.expand_dims(x, -1) * A3)), x4)
case("squeeze", lambda np_, x: np_.sum(np_.squeeze(x) * A3), x31)
case("squeeze-axis", lambda np_, x: np_.sum(np_.sin(np_.squeeze(x, axis=0)) * A4), y14)
# autograd's broadcast_to cannot add leading axes: see test_broadcast_to_leading_axes.
case("broadcast_to", lambda np_, x: np_.sum(np_.broadcast_to(x, (2, 3, 4)) * B234), normal((1, 3, 1), 15))
case("broadcast_to-(3,1)", lambda np_, x: np_.sum(np_.broadcast_to(x, (3, 4)) ** 2 * A34), x31)
case("concatenate-axis0", lambda np_, x, y: np_.sum(np_.concatenate([x, y, x]) * normal((9, 4), 20)), x34, y34, argnum=(0, 1))
case("concatenate-axis1", lambda np_, x, y: np_.sum(np_.sin(np_.concatenate([x, x31, y], axis=1))), x34, y34, argnum=(0, 1))
case("concatenate-axis-neg", lambda np_, x, y: np_.sum(np_.concatenate((x, y), axis=-1) ** 3), x34, x31, argnum=(0, 1))
case("stack-axis0", lambda np_, x, y: np_.sum(np_.stack([x, y, x * y]) * B234[:1] ** 2), x34, y34, argnum=(0, 1))
case("stack-axis1", lambda np_, x, y: np_.sum(np_.sin(np_.stack([x, y], axis=1)) * normal((3, 2, 4), 21)), x34, y34, argnum=(0, 1))
case("stack-axis-neg", lambda np_, x, y: np_.sum(np_.stack((x, y), axis=-1) ** 2 * normal((3, 4, 2), 22)), x34, y34, argnum=(0, 1))
case("hstack-vstack", lambda np_, x, y: np_.sum(np_.hstack([x, y]) ** 2) + np_.sum(np_.vstack([x, y]) ** 3), x4, p4, argnum=(0, 1))

# Indexing.
case("index-int", lambda np_, x: x[1, 2] * x[0, 0] + np_.sum(x[2]), x34)
case("index-slices", lambda np_, x: np_.sum(np_.sin(x[1:, ::2]) * 2.0), x34)
case("index-negative-step", lambda np_, x: np_.sum(x[::-1, 3:0:-2] * A34[:, :2]), x34)
case("index-negative-int", lambda np_, x: np_.sum(x[-1] * x[:, -2]) + x[-1, -1] ** 2, normal((4, 4), 23))
case("index-ellipsis", lambda np_, x: np_.sum(x[..., 1] ** 2) + np_.sum(x[0, ...]), x234)
case("index-repeated-ints", lambda np_, x: np_.sum(x[REPEATED] * normal((6, 4), 24)), x34)
case("index-repeated-ints-1d", lambda np_, x: np_.sum(np_.sin(x[numpy.array([3, 3, 0, 3, 1])])), x4)
case("index-int-pairs", lambda np_, x: np_.sum(x[ROWS, COLS] * numpy.arange(1.0, 5.0)), x34)
case("index-int-list", lambda np_, x: np_.sum(x[:, [0, 0, 3]] ** 2), x34)
case("index-bool-mask", lambda np_, x: np_.sum(np_.sin(x[MASK34])), x34)
case("index-bool-rows", lambda np_, x: np_.sum(x[numpy.array([True, False, True])] ** 2), x34)
case("index-newaxis", lambda np_, x: np_.sum(x[:, None] * x[None, :] * normal((4, 4), 16)), x4)
case("index-newaxis-mixed", lambda np_, x: np_.sum(x[None, 1:, None, ::-1] ** 3), x34)

# Products.
case("dot-1d-2d", lambda np_, x: np_.sum(np_.sin(np_.dot(x, A34))), x3)
case("dot-2d-1d", lambda np_, x: np_.sum(np_.sin(np_.dot(A34, x))), x4)
case("dot-1d-1d", lambda np_, x, y: np_.dot(x, y) ** 2, x4, A4, argnum=(0, 1))
case("dot-2d-2d", lambda np_, x, y: np_.sum(np_.dot(x, y) ** 2), x34, A43, argnum=(0, 1))
case("matmul-1d-2d", lambda np_, x, A: np_.sum(np_.tanh(x @ A)), x3, A34, argnum=(0, 1))
case("matmul-2d-1d", lambda np_, A, x: np_.sum(np_.tanh(A @ x)), A34, x4, argnum=(0, 1))
case("matmul-2d-2d", lambda np_, A, B: np_.sum(np_.sin(np_.matmul(A, B))), A34, A43, argnum=(0, 1))
case("matmul-batched-3d", lambda np_, A, B: np_.sum(np_.sin(A @ B)), x234, normal((2, 4, 5), 25), argnum=(0, 1))
case("matmul-batched-broadcast", lambda np_, A, B: np_.sum(np_.sin(A @ B)), x234, normal((4, 5), 26), argnum=(0, 1))
case("matmul-batched-1d", lambda np_, A, v: np_.sum(np_.sin(A @ v)), x234, x4, argnum=(0, 1))
case("matmul-1d-1d", lambda np_, x, y: np_.sin(x @ y), x4, A4, argnum=(0, 1))
case("matmul-batched-1d-left", lambda np_, v, A: np_.sum(np_.sin(v @ A)), x3, x234, argnum=(0, 1))
case("outer", lambda np_, x, y: np_.sum(np_.sin(np_.outer(x, y))), x3, x4, argnum=(0, 1))
case("const-A@z", lambda np_, z: np_.sum(np_.tanh(A34 @ z)), x4)
case("const-z@A", lambda np_, z: np_.sum(np_.tanh(z @ A34)), x3)
case("const-Z@A-2d", lambda np_, z: np_.sum(np_.tanh(z @ A43)), x34)
case("matmul-chain", lambda np_, x: np_.sum(A34 @ (A43 @ (A34 @ x))), x4)


def mlp(np_, W1, b1, W2, b2, x):
    h = np_.tanh(W1 @ x + b1)
    out = np_.tanh(W2 @ h + b2)
    return np_.sum(out ** 2)


case("mlp-tanh", mlp, normal((5, 4), 27), normal(5, 28), normal((3, 5), 29), normal(3, 30), x4,
     argnum=(0, 1, 2, 3, 4))
case("mlp-batch", lambda np_, W, b, X: np_.mean(np_.tanh(X @ W.T + b) ** 2),
     normal((5, 4), 31), normal(5, 32), normal((7, 4), 33), argnum=(0, 1))

# Python scalars as arguments.
case("scalar-arg", lambda np_, x: x ** 3 + np_.sin(x) * np_.exp(x), 0.7)
case("scalar-args-two", lambda np_, x, y: np_.log(x) * y - y ** 2 / x, 1.3, 0.4, argnum=(0, 1))
case("scalar-argnum-1", lambda np_, x, y: np_.sum(np_.sin(x * y)), x34, 0.8, argnum=1)
case("scalar-negative-argnum", lambda np_, x, y: np_.sum(np_.cos(x + y)), x34, 0.3, argnum=-1)
case("array-of-traced-scalars", lambda np_, a, b: np_.sum(np_.array([a, b * a, np_.sin(b)]) * A3), 0.6, -1.1, argnum=(0, 1))
case("array-nested-traced", lambda np_, a, b: np_.sum(np_.array([[a, b], [b * b, 1.0]]) @ A34[:2]), 0.6, -1.1, argnum=(0, 1))
case("array-of-traced-slices", lambda np_, x: np_.sum(np_.array([x[0], x[2] * 2.0, x[1]]) ** 2), x4)

# Containers as arguments.
case("list-arg", lambda np_, xs: np_.sum(xs[0] * xs[1]) + np_.sum(np_.sin(xs[2])), [x34, y34, x4])
case("tuple-arg", lambda np_, t: np_.sum(np_.exp(t[0]) @ t[1]), (x34, A4))
case("dict-arg", lambda np_, d: np_.sum(np_.tanh(d["W"] @ d["x"] + d["b"])), {"W": A34, "x": x4, "b": x3})
case("nested-arg", lambda np_, p, x: np_.sum(np_.tanh(p["layers"][0][0] @ x + p["layers"][0][1]) * p["scale"]),
     {"layers": [(A34, x3)], "scale": 1.7}, x4, argnum=(0, 1))
case("list-of-floats", lambda np_, xs: xs[0] * xs[1] + np_.sin(xs[2]), [0.5, -0.3, 1.2])
case("containers-argnum-tuple", lambda np_, a, c, b: np_.sum(a[0] * b["k"]) + c * np_.sum(a[1]),
     [x34, y34], 2.0, {"k": A34}, argnum=(0, 2))

# Plain numpy on traced values (NumPy's dispatch protocols).
case("plain-sin", lambda np_, x: np_.sum(np_.sin(x) * np_.exp(x)), x34, plain=True)
case("plain-sum-axis0", lambda np_, x: np_.sum(np_.sum(x, axis=0) ** 2), x34, plain=True)
case("plain-A@x", lambda np_, x: np_.sum(np_.tanh(A34 @ x)), x4, plain=True)
case("plain-x@A", lambda np_, x: np_.sum(np_.tanh(x @ A43)), x34, plain=True)
case("plain-array-ops", lambda np_, x: np_.sum(A34 * x - A34 / (1.0 + x * x) + 2.0 ** x), x34, plain=True)
case("plain-dot", lambda np_, x: np_.dot(np_.dot(A34, x), A3), x4, plain=True)
case("plain-matmul-outer", lambda np_, x: np_.sum(np_.matmul(np_.outer(x, x), A43)), x4, plain=True)
case("plain-reductions", lambda np_, x: np_.mean(x, axis=1).max() + np_.prod(np_.min(x, axis=0)), x34, plain=True)
case("plain-shapes", lambda np_, x: np_.sum(np_.transpose(np_.reshape(x, (2, 6))) ** 2 * np_.arange(12.0).reshape(6, 2)), x34, plain=True)
case("plain-join", lambda np_, x, y: np_.sum(np_.concatenate([x, y], axis=1) ** 2) + np_.sum(np_.stack([x, y], axis=-1) ** 3),
     x34, y34, argnum=(0, 1), plain=True)
case("plain-where-maximum", lambda np_, x: np_.sum(np_.where(x > 0, x, 0.1 * x) * np_.maximum(x, -0.2)), x34, plain=True)
case("plain-clip-abs-sqrt", lambda np_, x: np_.sum(np_.sqrt(np_.abs(x)) * np_.clip(x, -0.5, 0.5)), n34, plain=True)
case("plain-log-exp-family", lambda np_, x: np_.sum(np_.log(x) + np_.log1p(x) + np_.expm1(x) + np_.tanh(x) * np_.cosh(x)), p34, plain=True)
case("plain-expand-squeeze-broadcast", lambda np_, x: np_.sum(np_.squeeze(np_.broadcast_to(np_.expand_dims(x, 0), (1, 3, 4))) * A34), x34, plain=True)
case("plain-mlp", mlp, normal((5, 4), 27), normal(5, 28), normal((3, 5), 29), normal(3, 30), x4,
     argnum=(0, 1, 2, 3, 4), plain=True)
case("plain-sign-floor-constant", lambda np_, x: np_.sum(np_.sign(x) * x + np_.floor(x * 3.0)), n34, plain=True)

# Fan-out and reuse: one value feeding many users.
case("reuse", lambda np_, x: np_.sum(np_.sin(x) * np_.cos(x) + x * x * x - x / (x * x + 1.0)), x34)
case("independent-of-one-arg", lambda np_, x, y: np_.sum(x ** 2), x34, y34, argnum=(0, 1))


# --- running both ------------------------------------------------------------------------

def _args_of(c):
    if isinstance(c.argnum, int):
        return c.args[c.argnum]
    return tuple(c.args[a] for a in c.argnum)


def assert_same_tree(ours, ref, arg, path="grad"):
    """``ours`` matches ``ref`` numerically and has the structure and types of ``arg``."""
    if isinstance(arg, dict):
        assert isinstance(ours, dict) and list(ours) == list(arg), path
        for k in arg:
            assert_same_tree(ours[k], ref[k], arg[k], f"{path}[{k!r}]")
    elif isinstance(arg, (list, tuple)):
        assert type(ours) is type(arg) and len(ours) == len(arg), (path, type(ours))
        for i, (o, r, a) in enumerate(zip(ours, ref, arg)):
            assert_same_tree(o, r, a, f"{path}[{i}]")
    elif isinstance(arg, numbers.Number) and not isinstance(arg, numpy.ndarray):
        expected = complex if isinstance(arg, complex) else float
        assert type(ours) is expected, (path, type(ours))
        assert_allclose(ours, ref, rtol=RTOL, atol=ATOL, err_msg=path)
    else:
        assert isinstance(ours, numpy.ndarray), (path, type(ours))
        assert ours.shape == numpy.shape(arg), (path, ours.shape, numpy.shape(arg))
        expected = numpy.complex128 if numpy.iscomplexobj(arg) else numpy.float64
        assert ours.dtype == expected, (path, ours.dtype)
        assert_allclose(ours, ref, rtol=RTOL, atol=ATOL, err_msg=path)


def assert_case_matches_autograd(c):
    """A table's case: value and gradient (``value_and_grad`` and ``grad``) as autograd's, in its structure."""
    mod = numpy if c.plain else anp
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # domain edges some cases probe on purpose
        ours_v, ours_g = adjoint.value_and_grad(lambda *a: c.fun(mod, *a), c.argnum)(*c.args)
        ours_g_only = adjoint.grad(lambda *a: c.fun(mod, *a), c.argnum)(*c.args)
        ref_v, ref_g = autograd.value_and_grad(lambda *a: c.fun(agnp, *a), c.argnum)(*c.args)
    assert numpy.ndim(ours_v) == 0
    assert_allclose(ours_v, ref_v, rtol=RTOL, atol=ATOL, err_msg="value")
    arg = _args_of(c)
    if isinstance(c.argnum, int):
        assert_same_tree(ours_g, ref_g, arg)
        assert_same_tree(ours_g_only, ref_g, arg)
    else:
        assert isinstance(ours_g, tuple) and len(ours_g) == len(c.argnum)
        for k, (o, o2, r, a) in enumerate(zip(ours_g, ours_g_only, ref_g, arg)):
            assert_same_tree(o, r, a, f"grad[{k}]")
            assert_same_tree(o2, r, a, f"grad[{k}]")


@pytest.mark.parametrize("name", list(CASES))
def test_grad_matches_autograd(name):
    assert_case_matches_autograd(CASES[name])


def test_table_is_large_enough():
    assert len(CASES) >= 50


# --- errors and edge cases ---------------------------------------------------------------

UNSUPPORTED = {
    "interp": (lambda x: numpy.sum(numpy.interp(numpy.arange(3.0), numpy.arange(3.0), x[0])), "numpy.interp"),
    "cumprod": (lambda x: numpy.sum(numpy.cumprod(x)), "numpy.cumprod"),
    "correlate": (lambda x: numpy.sum(numpy.correlate(x[0], x[1])), "numpy.correlate"),
    "polyval": (lambda x: numpy.sum(numpy.polyval(x[0], x[1])), "numpy.polyval"),
    "trapezoid": (lambda x: numpy.trapezoid(x[0]), "numpy.trapezoid"),
    "convolve": (lambda x: numpy.sum(numpy.convolve(x[0], x[1])), "numpy.convolve"),
    "ufunc-cbrt": (lambda x: numpy.sum(numpy.cbrt(x)), "numpy.cbrt"),
    "ufunc-reduce": (lambda x: numpy.add.reduce(x, axis=0).sum(), "numpy.add.reduce"),
    "anp-cumprod": (lambda x: anp.sum(anp.cumprod(x)), "numpy.cumprod"),
}


@pytest.mark.parametrize("name", list(UNSUPPORTED))
def test_unsupported_numpy_function_names_it(name):
    fun, fname = UNSUPPORTED[name]
    with pytest.raises(adjoint.UnsupportedFunctionError) as info:
        adjoint.grad(fun)(normal((3, 3), 40) + 3.0 * numpy.eye(3))
    message = str(info.value)
    assert message.startswith(fname + " has no derivative rule"), message
    assert "traced" in message


def test_ufunc_out_argument_is_rejected():
    def fun(x):
        out = numpy.empty(3)
        numpy.sin(x, out=out)
        return numpy.sum(out)

    with pytest.raises(adjoint.UnsupportedFunctionError, match="out="):
        adjoint.grad(fun)(x3)


@pytest.mark.parametrize("convert", [float, int, complex, lambda x: numpy.asarray(x, dtype=float) + 0,
                                     lambda x: numpy.array(x, dtype=float).item()],
                         ids=["float", "int", "complex", "asarray-dtype", "array-item"])
def test_conversion_of_traced_value_raises(convert):
    def fun(x):
        return convert(anp.sum(x))

    with pytest.raises(adjoint.UnsupportedFunctionError) as info:
        adjoint.grad(fun)(x3)
    message = str(info.value)
    assert "traced" in message and "derivative" in message


def test_float_of_traced_scalar_names_the_problem():
    with pytest.raises(adjoint.UnsupportedFunctionError, match=r"float\(\)"):
        adjoint.grad(lambda x: float(x) * 2.0)(0.5)


@pytest.mark.parametrize("fun, shape", [
    (lambda x: anp.sin(x), "(3,)"),
    (lambda x: x @ A34, "(4,)"),
    (lambda x: anp.sum(x[:2, None], axis=1, keepdims=True), "(2, 1)"),
    (lambda x: numpy.outer(x, x), "(3, 3)"),
], ids=["sin", "vector-matmul", "keepdims", "plain-outer"])
def test_grad_of_non_scalar_function_names_the_shape(fun, shape):
    with pytest.raises(adjoint.InvalidArgumentError) as info:
        adjoint.grad(fun)(x3)
    assert shape in str(info.value)


@pytest.mark.parametrize("fun", [
    lambda np_, x: np_.sum(x ** 2, axis=0, keepdims=True),
    lambda np_, x: np_.reshape(np_.sum(np_.sin(x)), (1, 1)),
], ids=["keepdims-(1,)", "reshaped-(1,1)"])
def test_a_one_entry_result_is_a_scalar_as_in_autograd(fun):
    ours = adjoint.value_and_grad(lambda x: fun(anp, x))(x3)
    ref = autograd.value_and_grad(lambda x: fun(agnp, x))(x3)
    assert numpy.shape(ours[0]) == numpy.shape(ref[0])
    assert_allclose(ours[1], ref[1], rtol=RTOL)


def test_a_complex_result_is_a_type_error_as_in_autograd():
    with pytest.raises(TypeError, match="complex"):
        adjoint.grad(lambda x: x * (1.0 + 0.2j))(1.0)


@pytest.mark.parametrize("fun, arg", [
    (lambda x: 3.0, x34),
    (lambda x: anp.sum(x > 0) * 1.0, x34),
    (lambda x: anp.sum(anp.floor(x)), x34),
    (lambda x: numpy.sum(numpy.sign(x)), x34),
    (lambda x: anp.sum(A34), x4),
    (lambda x: 2.5, 0.7),
    (lambda d: 1.0, {"a": x34, "b": [x4, 0.5]}),
], ids=["constant", "comparison", "floor", "plain-sign", "closed-over", "scalar-arg", "dict-arg"])
def test_output_independent_of_input_gives_zero_gradient(fun, arg):
    value, g = adjoint.value_and_grad(fun)(arg)
    assert_allclose(value, fun(arg))
    zeros = _zeros_like_tree(arg)
    assert_same_tree(g, zeros, arg)
    for leaf in _leaves(g):
        assert numpy.all(numpy.asarray(leaf) == 0.0)


def _zeros_like_tree(t):
    if isinstance(t, dict):
        return {k: _zeros_like_tree(v) for k, v in t.items()}
    if isinstance(t, (list, tuple)):
        return type(t)(_zeros_like_tree(v) for v in t)
    return 0.0 if isinstance(t, numbers.Number) else numpy.zeros(numpy.shape(t))


def _leaves(t):
    if isinstance(t, dict):
        return [leaf for v in t.values() for leaf in _leaves(v)]
    if isinstance(t, (list, tuple)):
        return [leaf for v in t for leaf in _leaves(v)]
    return [t]


def test_partially_independent_argnum_tuple_gives_zero_for_unused():
    gx, gy = adjoint.grad(lambda x, y: anp.sum(x ** 2), argnum=(0, 1))(x34, 0.5)
    assert_allclose(gx, 2 * x34, rtol=RTOL)
    assert type(gy) is float and gy == 0.0


def test_argnum_out_of_range_is_an_invalid_argument():
    with pytest.raises(adjoint.InvalidArgumentError, match="argnum 3"):
        adjoint.grad(lambda x: anp.sum(x), argnum=3)(x3)


# --- forms autograd does not accept: checked against an equivalent form ------------------

def _grads_equal(f, g, *args, argnum=0):
    assert_allclose(adjoint.grad(f, argnum)(*args), adjoint.grad(g, argnum)(*args), rtol=RTOL, atol=ATOL)


def test_where_unbroadcasts():
    c = numpy.arange(4.0)
    for x, y in [(x4, y34), (y34, x4), (x31, y14), (0.5, y34)]:
        f = lambda x, y: anp.sum(anp.where(MASK34, x, y) ** 2 * c)  # noqa: E731
        g = lambda x, y: anp.sum(anp.where(MASK34, anp.broadcast_to(x, (3, 4)), anp.broadcast_to(y, (3, 4))) ** 2 * c)  # noqa: E731
        for k in (0, 1):
            _grads_equal(f, g, x, y, argnum=k)


def test_transpose_forms():
    c = numpy.arange(24.0).reshape(4, 2, 3)
    ref = lambda x: anp.sum(anp.sin(anp.transpose(x, (2, 0, 1))) * c)  # noqa: E731
    _grads_equal(lambda x: anp.sum(anp.sin(x.transpose(2, 0, 1)) * c), ref, x234)
    _grads_equal(lambda x: anp.sum(anp.sin(anp.transpose(x, (-1, 0, -2))) * c), ref, x234)
    _grads_equal(lambda x: anp.sum(anp.sin(numpy.transpose(x, (-1, -3, 1))) * c), ref, x234)
    expected = autograd.grad(lambda x: agnp.sum(agnp.sin(agnp.transpose(x, (2, 0, 1))) * c))(x234)
    assert_allclose(adjoint.grad(ref)(x234), expected, rtol=RTOL, atol=ATOL)


def test_broadcast_to_leading_axes():
    f = lambda x: anp.sum(anp.sin(anp.broadcast_to(x, (2, 3, 4))) * B234)  # noqa: E731
    g = lambda x: anp.sum(anp.sin(x * numpy.ones((2, 3, 4))) * B234)  # noqa: E731
    _grads_equal(f, g, x4)
    _grads_equal(f, g, x31)
    _grads_equal(lambda x: anp.sum(numpy.broadcast_to(x, (5, 3)) ** 2), lambda x: 5 * anp.sum(x ** 2), x3)


def test_full_of_a_traced_value_broadcasts_it():
    ours = adjoint.grad(lambda s: anp.sum(anp.full((2, 3), s) * A34[:2, :3]))(0.5)
    assert_allclose(ours, numpy.sum(A34[:2, :3]), rtol=RTOL)


def test_where_with_keywords_or_only_a_condition_as_numpy():
    x, y, c = numpy.array([1.0, 2.0, 3.0]), numpy.array([4.0, 5.0, 6.0]), [True, False, True]
    assert_allclose(anp.where(condition=c, x=x, y=y), [1.0, 5.0, 3.0])
    assert_allclose(anp.where(c, x, y=y), [1.0, 5.0, 3.0])
    assert [list(i) for i in anp.where(c)] == [[0, 2]]
    assert_allclose(adjoint.grad(lambda x: anp.sum(anp.where(c, x=x, y=y) ** 2))(x), [2.0, 0.0, 6.0])


@pytest.mark.parametrize("result", [None, "loss", [1.0, 2.0]], ids=["None", "str", "list"])
def test_grad_of_a_function_returning_a_non_number_is_a_type_error_saying_what(result):
    with pytest.raises(TypeError, match=type(result).__name__):
        adjoint.grad(lambda x: result)(1.0)
