"""numpy's other differentiable functions (autograd's list) against autograd, to 1e-10.

Cases where autograd lacks the function (or its rule) compare with an equivalent expression
on autograd's side (``alt``): ``take`` against fancy indexing, ``fmod`` against ``remainder``
on positive arguments, and so on; ``tests/test_second_order.py`` runs them all at order two.
"""

import numpy
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from test_grad_vs_autograd import Case, assert_case_matches_autograd, normal, positive

import adjoint
import adjoint.numpy as anp

autograd = pytest.importorskip("autograd")
agnp = pytest.importorskip("autograd.numpy")

RTOL, ATOL = 1e-10, 1e-12
pytestmark = [pytest.mark.filterwarnings("ignore:(r_|c_) is slow"),
              pytest.mark.filterwarnings("ignore:invalid value encountered in log")]
CASES = {}


def case(name, fun, *args, argnum=0, plain=False):
    assert name not in CASES, name
    CASES[name] = Case(fun, args, argnum, plain)


def alt(ours, reference):
    """A case function: ``reference`` on autograd's side, ``ours`` on adjoint's (numpy or adjoint.numpy)."""
    return lambda np_, *a: (reference if np_ is agnp else ours)(np_, *a)


x34, y34, x234 = normal((3, 4), 1), normal((3, 4), 2), normal((2, 3, 4), 3)
x4, x3, x44 = normal(4, 4), normal(3, 5), normal((4, 4), 6)
p34, q34 = positive((3, 4), 7), positive((3, 4), 8)
w34 = positive((3, 4), 9, lo=0.1, hi=0.6)  # x / 0.7 in (0, 1): away from remainder's jumps
C34, C43, C234 = normal((3, 4), 10), normal((4, 3), 11), normal((2, 3, 4), 12)

# Elementwise.
case("logaddexp", lambda np_, x, y: np_.sum(np_.logaddexp(x, y) ** 2), x34, y34, argnum=(0, 1))
case("logaddexp2", lambda np_, x, y: np_.sum(np_.logaddexp2(x, y * 2.0) ** 2), x34, y34, argnum=(0, 1))
case("hypot", lambda np_, x, y: np_.sum(np_.hypot(x, y) ** 3), x34, y34, argnum=(0, 1))
case("remainder", lambda np_, x, y: np_.sum(np_.sin(np_.remainder(x, y + 1.0)) * C34), w34, q34, argnum=(0, 1))
case("mod", lambda np_, x: np_.sum(np_.mod(x * x, 0.7) ** 2), w34)
case("fmod", alt(lambda np_, x, y: np_.sum(np_.sin(np_.fmod(x, y + 1.0))),
                 lambda np_, x, y: np_.sum(np_.sin(np_.remainder(x, y + 1.0)))), w34, q34, argnum=(0, 1))
case("fmax-fmin", lambda np_, x, y: np_.sum(np_.fmax(x, y) ** 2 + np_.fmin(x, y) ** 3), x34, y34, argnum=(0, 1))
case("fabs", lambda np_, x: np_.sum(np_.fabs(x) ** 3 * x), x34)
case("degrees-radians", lambda np_, x: np_.sum(np_.sin(np_.deg2rad(x) + np_.radians(x)) * np_.rad2deg(x)
                                             * np_.degrees(x)), x34)
case("sinc", lambda np_, x: np_.sum(np_.sinc(x) * x), x34)
case("plain-elementwise", lambda np_, x: np_.sum(np_.logaddexp(x, 1.0) + np_.hypot(x, 2.0) + np_.sinc(x)),
     x34, plain=True)

# Statistics and running sums.
for _axis in (None, 1, (0, 2)):
    for _ddof in (0, 1):
        for _keep in (False, True):
            for _f in ("var", "std"):
                case(f"{_f}-axis={_axis}-ddof={_ddof}-keepdims={_keep}".replace(" ", ""),
                     (lambda f, a, d, k: lambda np_, x: np_.sum(np_.sin(getattr(np_, f)(x, axis=a, ddof=d, keepdims=k))))(
                         _f, _axis, _ddof, _keep), x234)
case("var-list-of-traced", lambda np_, x, y: np_.var([x, y * 2.0, x * y]), 0.3, 1.1, argnum=(0, 1))
case("plain-var-std", lambda np_, x: np_.var(x) + np_.std(x, axis=0).sum(), x34, plain=True)
case("cumsum", lambda np_, x: np_.sum(np_.sin(np_.cumsum(x))), x34)
case("cumsum-axis", lambda np_, x: np_.sum(np_.sin(np_.cumsum(x, axis=1)) + np_.cumsum(x, axis=-3) ** 2), x234)
case("plain-cumsum", lambda np_, x: np_.sum(np_.cumsum(x, axis=0) ** 2), x34, plain=True)

# Moving entries.
case("diff", lambda np_, x: np_.sum(np_.sin(np_.diff(x))) + np_.sum(np_.diff(x, n=2, axis=0) ** 2), x34)
case("repeat", lambda np_, x: np_.sum(np_.sin(np_.repeat(x, 2, axis=1)) * np_.repeat(x, 2, axis=1)), x34)
# autograd's repeat takes an int number of repeats only.
case("repeat-list", alt(lambda np_, x: np_.sum(np_.repeat(x, [1, 2, 0, 3], axis=1) ** 3),
                        lambda np_, x: np_.sum(x[:, [0, 1, 1, 3, 3, 3]] ** 3)), x34)
case("tile", lambda np_, x: np_.sum(np_.sin(np_.tile(x, (2, 1, 2)))), x34)
case("roll", lambda np_, x: np_.sum(np_.roll(x, 2, axis=1) * C34 + np_.roll(x, -1) ** 3), x34)
case("flips", lambda np_, x: np_.sum(np_.flipud(x) * C34 + np_.fliplr(x) ** 2 * C34), x34)
case("flip", alt(lambda np_, x: np_.sum(np_.flip(x, axis=1) ** 3 * C234),
                 lambda np_, x: np_.sum(x[:, ::-1] ** 3 * C234)), x234)
case("rot90", lambda np_, x: np_.sum(np_.rot90(x) ** 2 * C43) + np_.sum(np_.rot90(x, 3)[0]), x34)
case("swapaxes", lambda np_, x: np_.sum(np_.swapaxes(x, 0, 2) ** 3 * C234.transpose(2, 1, 0)), x234)
case("moveaxis", lambda np_, x: np_.sum(np_.moveaxis(x, 0, -1) ** 3 * C234.transpose(1, 2, 0)), x234)
case("rollaxis", lambda np_, x: np_.sum(np_.rollaxis(x, 2) ** 3 * C234.transpose(2, 0, 1)), x234)
# autograd's diagonal takes the last two axes only.
case("diagonal", lambda np_, x: np_.sum(np_.diagonal(x, 0, -1, -2) ** 3), normal((2, 4, 4), 45))
case("diagonal-offset-axes", alt(lambda np_, x: np_.sum(np_.diagonal(x, 1) ** 3) + np_.sum(np_.diagonal(x, 0, 1, 2) ** 2),
                                 lambda np_, x: np_.sum(x[[0, 1], [1, 2]] ** 3) + np_.sum(x[:, [0, 1, 2], [0, 1, 2]] ** 2)), x234)
case("trace", lambda np_, x: np_.trace(x) ** 2 + np_.trace(x, 1) ** 3, x34)
case("diag", lambda np_, x: np_.sum(np_.diag(x[:, :3]) ** 2) + np_.sum(np_.diag(x[0], 1) ** 2 * normal((5, 5), 44)), x34)
case("make_diagonal", lambda np_, x: np_.sum(np_.make_diagonal(x, axis1=-1, axis2=-2) ** 3 * 2.0), x34)
case("triu-tril", lambda np_, x: np_.sum(np_.sin(np_.triu(x, 1)) + np_.tril(x, -1) ** 3), x34)
case("take", alt(lambda np_, x: np_.sum(np_.take(x, [0, 2, 2], axis=1) ** 3),
                 lambda np_, x: np_.sum(x[:, [0, 2, 2]] ** 3)), x34)
case("take_along_axis", alt(lambda np_, x: np_.sum(np_.take_along_axis(x, numpy.array([[0], [2], [3]]), 1) ** 3),
                            lambda np_, x: np_.sum(x[[0, 1, 2], [0, 2, 3]] ** 3)), x34)
case("pad-constant", lambda np_, x: np_.sum(np_.sin(np_.pad(x, ((1, 2), (0, 1)), mode="constant"))
                                            * normal((6, 5), 13)), x34)
case("pad-edge", alt(lambda np_, x: np_.sum(np_.pad(x, 1, mode="edge") ** 3),
                     lambda np_, x: np_.sum(x ** 3) + np_.sum(x[0] ** 3) + np_.sum(x[-1] ** 3) + np_.sum(x[:, 0] ** 3)
                     + np_.sum(x[:, -1] ** 3) + x[0, 0] ** 3 + x[0, -1] ** 3 + x[-1, 0] ** 3 + x[-1, -1] ** 3), x34)
case("split", lambda np_, x: np_.sum(np_.split(x, 2, axis=1)[1] ** 3) + np_.sum(np_.sin(np_.split(x, [1], axis=0)[0])), x34)
case("array_split", lambda np_, x: np_.sum(np_.array_split(x, 3, axis=1)[0] ** 3), x34)
case("hvdsplit", lambda np_, x: np_.sum(np_.hsplit(x, 3)[1] ** 3) + np_.sum(np_.vsplit(x, 2)[0] ** 2)
     + np_.sum(np_.sin(np_.dsplit(x, [1])[1])), x234)
case("append", lambda np_, x, y: np_.sum(np_.append(x, y) ** 3) + np_.sum(np_.append(x, y, axis=1) ** 2), x34, y34,
     argnum=(0, 1))
case("column-row-dstack", lambda np_, x, y: np_.sum(np_.column_stack([x, y]) ** 3) + np_.sum(np_.dstack([x, y, x]) ** 2)
     + np_.sum(np_.vstack([x, y]) ** 3), x4, normal(4, 14), argnum=(0, 1))
case("atleast_2d-3d", lambda np_, x, s: np_.sum(np_.atleast_2d(x) ** 3 @ np_.atleast_3d(x)[0]) + np_.sum(np_.atleast_3d(s)),
     x4, 0.4, argnum=(0, 1))
case("nan_to_num", lambda np_, x: np_.sum(np_.nan_to_num(np_.log(x)) ** 2), x34)
case("linspace", lambda np_, a, b: np_.sum(np_.sin(np_.linspace(a, b, 7))), 0.3, 1.7, argnum=(0, 1))
case("linspace-arrays", lambda np_, a, b: np_.sum(np_.linspace(a, b, 5) ** 3), x3, normal(3, 15), argnum=(0, 1))
case("gradient-1d", lambda np_, x: np_.sum(np_.gradient(x) ** 3), normal(6, 16))
case("plain-moves", lambda np_, x: np_.sum(np_.roll(np_.flipud(np_.repeat(x, 2, axis=0)), 1) ** 3)
     + np_.trace(x[:, :3]) ** 2 + np_.sum(np_.diff(x) ** 2), x34, plain=True)
case("plain-split-append", lambda np_, x: np_.sum(np_.append(*np_.split(x, 2, axis=1), axis=0) ** 3), x34, plain=True)

# Products.
case("einsum-matmul", lambda np_, x, y: np_.sum(np_.sin(np_.einsum("ij,jk->ik", x, y))), x34, C43, argnum=(0, 1))
case("einsum-implicit", lambda np_, x, y: np_.sum(np_.einsum("ij,kj", x, y) ** 2), x34, y34, argnum=(0, 1))
# autograd's einsum rule fails on a label repeated in one operand: its reference takes that diagonal by indexing.
case("einsum-three", alt(lambda np_, a, b, c: np_.sum(np_.einsum("ijk,lji,lli->lki", a, b, c) ** 2),
                         lambda np_, a, b, c: np_.sum(np_.einsum("ijk,lji,li->lki", a, b, c[[0, 1, 2, 3], [0, 1, 2, 3]]) ** 2)),
     normal((3, 4, 4), 17), normal((4, 4, 3), 18), normal((4, 4, 3), 19), argnum=(0, 1, 2))
case("einsum-ellipsis-broadcast", lambda np_, a, b: np_.sum(np_.einsum("...ij,...jk->...ik", a, b) ** 2),
     x34, normal((2, 4, 3), 20), argnum=(0, 1))
case("einsum-naked-sum", lambda np_, a, b: np_.einsum("k,nk->", a, b) ** 2, x4, normal((5, 4), 21), argnum=(0, 1))
case("einsum-sum-axes", lambda np_, a: np_.sum(np_.einsum("abcd->bd", a) ** 3), normal((3, 2, 3, 2), 22))
case("einsum-sublists", lambda np_, a, b: np_.sum(np_.einsum(a, [0, 1], b, [1, 2], [0, 2]) ** 2), x34, C43,
     argnum=(0, 1))
case("einsum-diagonal", alt(lambda np_, a: np_.einsum("ii->", a) ** 2 + np_.sum(np_.einsum("ii->i", a) ** 3),
                            lambda np_, a: np_.trace(a) ** 2 + np_.sum(np_.diag(a) ** 3)), x44)
case("plain-einsum", lambda np_, x: np_.sum(np_.einsum("bij,jk->bik", x, C43) ** 2), x234, plain=True)
for _i, _axes in enumerate([2, 1, 0, ([1, 2], [1, 2]), [[0], [0]], (-1, 0), [[-1, 0], [0, 2]]]):
    _b = {0: normal((3, 4), 23), 1: C43, 2: normal(5, 24), 3: C234, 4: normal((2, 5), 25), 5: normal((4, 2), 26),
          6: normal((4, 5, 2), 27)}[_i]
    case(f"tensordot-{_axes}".replace(" ", ""), (lambda ax: lambda np_, a, b: np_.sum(np_.sin(np_.tensordot(a, b, ax))))(
        _axes), x34 if _i < 3 else x234, _b, argnum=(0, 1))
case("dot-3d-2d", lambda np_, a, b: np_.sum(np_.sin(np_.dot(a, b))), x234, C43, argnum=(0, 1))
case("dot-2d-3d", lambda np_, a, b: np_.sum(np_.sin(np_.dot(a, b))), x34, normal((2, 4, 5), 28), argnum=(0, 1))
case("dot-3d-1d", lambda np_, a, b: np_.sum(np_.sin(np_.dot(a, b))), x234, x4, argnum=(0, 1))
case("dot-1d-3d", lambda np_, a, b: np_.sum(np_.sin(np_.dot(a, b))), x4, normal((2, 4, 3), 29), argnum=(0, 1))
case("dot-scalar-3d", lambda np_, a, b: np_.sum(np_.sin(np_.dot(a, b))), 0.7, x234, argnum=(0, 1))
case("plain-dot-tensordot", lambda np_, x: np_.sum(np_.dot(x, C43) ** 2) + np_.sum(np_.tensordot(x, C34, 2) ** 2),
     x234, plain=True)
case("inner", lambda np_, a, b: np_.sum(np_.inner(a, b) ** 2), x34, x234, argnum=(0, 1))
case("kron", lambda np_, a, b: np_.sum(np_.sin(np_.kron(a, b))), x34, normal((2, 3), 30), argnum=(0, 1))
case("kron-ranks", lambda np_, a, b: np_.sum(np_.kron(a, b) ** 3), x3, normal((2, 2), 31), argnum=(0, 1))
case("cross", lambda np_, a, b: np_.sum(np_.sin(np_.cross(a, b))), normal((4, 3), 32), normal((4, 3), 33), argnum=(0, 1))
case("cross-axes", lambda np_, a, b: np_.sum(np_.cross(a, b, axisa=0, axisc=0) ** 2), normal((3, 4), 34),
     normal((4, 3), 35), argnum=(0, 1))
case("cross-2-vectors", alt(lambda np_, a, b: np_.sum(np_.cross(a, b) ** 2),
                            lambda np_, a, b: np_.sum((a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]) ** 2)),
     normal((4, 2), 37), normal((4, 2), 38), argnum=(0, 1))
case("r_", lambda np_, x: np_.sum(np_.r_[x, C34[0], x * 2.0] ** 3), x4)
case("c_", lambda np_, x: np_.sum(np_.c_[x, C34, x] ** 3), normal((3, 2), 36))


# --- running both ------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(CASES))
def test_grad_matches_autograd(name):
    assert_case_matches_autograd(CASES[name])


# --- plain values are numpy's ------------------------------------------------------------

PLAIN = [
    ("var", (x234,), {"axis": (0, 2), "ddof": 1, "keepdims": True}),
    ("std", (x234,), {"axis": 1, "dtype": numpy.float32}),
    ("cumsum", (x34,), {"axis": 1, "dtype": numpy.float32}),
    ("diff", (x34,), {"n": 2, "prepend": 0.0}),
    ("repeat", (x34, [1, 2, 0, 1]), {"axis": 1}),
    ("tile", (x34, 2), {}),
    ("roll", (x34, (1, 2)), {"axis": (0, 1)}),
    ("rot90", (x234, 2), {"axes": (1, 2)}),
    ("diagonal", (x234, 1, 1, 2), {}),
    ("trace", (x234,), {"offset": -1}),
    ("diag", (x4, 2), {}),
    ("triu", (x234, -1), {}),
    ("take", (x34, [[0, 5]]), {"mode": "wrap"}),
    ("pad", (x34, 2), {"mode": "linear_ramp", "end_values": 3.0}),
    ("array_split", (x34, 3), {"axis": 1}),
    ("append", (x34, [[1.0] * 4]), {"axis": 0}),
    ("linspace", (0.0, x4), {"num": 5, "endpoint": False, "retstep": True, "axis": -1}),
    ("gradient", (x34, 0.5, 2.0), {"edge_order": 2}),
    ("einsum", ("ij,jk", x34, C43), {"optimize": True}),
    ("tensordot", (x234, C34), {"axes": ([1, 2], [0, 1])}),
    ("dot", (x234, normal((2, 4, 5), 40)), {}),
    ("kron", (x34, x3), {}),
    ("cross", (normal((4, 3), 41), normal((4, 3), 42)), {"axisc": 0}),
    ("average", (x34,), {"axis": 1, "weights": x4 ** 2, "returned": True}),
    ("select", ([x34 > 0, x34 < -1], [x34, y34]), {"default": 5.0}),
    ("nan_to_num", (numpy.array([numpy.nan, numpy.inf, 1.0]),), {"posinf": 9.0}),
    ("full_like", (x34, 2), {"dtype": int}),
]


def _equal_trees(a, b):
    if isinstance(b, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            _equal_trees(x, y)
    else:
        assert numpy.asarray(a).dtype == numpy.asarray(b).dtype
        assert_array_equal(a, b)


@pytest.mark.parametrize("name, args, kwargs", PLAIN, ids=[p[0] for p in PLAIN])
def test_plain_arguments_give_numpys_result(name, args, kwargs):
    _equal_trees(getattr(anp, name)(*args, **kwargs), getattr(numpy, name)(*args, **kwargs))


def test_plain_joiners_are_numpys():
    assert_array_equal(anp.r_[x4, 1:3, [7.0]], numpy.r_[x4, 1:3, [7.0]])
    assert_array_equal(anp.c_[x4, x4], numpy.c_[x4, x4])
    assert_array_equal(anp.make_diagonal(x34, axis1=-1, axis2=-2), x34[..., None] * numpy.eye(4))


# --- what is not supported on traced values ---------------------------------------------

@pytest.mark.parametrize("fun, message", [
    (lambda x: numpy.sum(numpy.pad(x, 1, mode="mean")), "numpy.pad .*'mode='mean''"),
    (lambda x: numpy.sum(numpy.cumsum(x, out=numpy.empty(12))), "numpy.cumsum .*'dtype/out'"),
    (lambda x: numpy.sum(numpy.gradient(x, numpy.arange(3.0), numpy.arange(4.0))[0]), "numpy.gradient"),
    (lambda x: numpy.sum(numpy.einsum("ij->i", x, out=numpy.empty(3))), "numpy.einsum .*'out'"),
], ids=["pad-mean", "cumsum-out", "gradient-coordinates", "einsum-out"])
def test_unsupported_arguments_are_named(fun, message):
    with pytest.raises(adjoint.UnsupportedFunctionError, match=message):
        adjoint.grad(fun)(x34)


def test_std_over_one_entry_has_zero_derivative_as_in_autograd():
    cases = [(lambda np_, x: np_.std(x), 0.7), (lambda np_, x: np_.sum(np_.std(x, axis=0)), normal((1, 3), 43))]
    for f, arg in cases:
        ours = adjoint.grad(lambda x, f=f: f(anp, x))(arg)
        assert_allclose(ours, autograd.grad(lambda x, f=f: f(agnp, x))(arg))
        assert numpy.all(numpy.asarray(ours) == 0.0)


def test_gradient_of_a_2d_array_is_numpys_per_axis():
    # autograd's own rule for numpy.gradient fails on 2-D arrays: the reference is the same
    # central differences written out.
    def ref(x):
        inner = (x[2:] - x[:-2]) / 2.0
        return anp.concatenate([x[1:2] - x[:1], inner, x[-1:] - x[-2:-1]])

    ours = adjoint.grad(lambda x: anp.sum(anp.gradient(x)[0] ** 3))(x34)
    assert_allclose(ours, adjoint.grad(lambda x: anp.sum(ref(x) ** 3))(x34), rtol=RTOL)
    h = adjoint.hessian(lambda x: anp.sum(anp.gradient(x, axis=1) ** 3))(x34)
    h_ref = adjoint.hessian(lambda x: anp.sum(ref(x.T) ** 3))(x34)
    assert_allclose(h, h_ref, rtol=RTOL, atol=ATOL)
