"""sorting: sort, partition, median, percentile, quantile (and nan versions), max/min ties.

``CASES`` run against autograd (here, and as Hessian-vector products in test_second_order).
autograd differentiates ``sort`` and ``partition`` of 1-D arrays only, and not ``median`` or
``percentile`` at all: on its side the cases use references written with its 1-D ``sort`` (row by
row, then the textbook interpolation), so the comparison is against autograd's permutation rule
and an independent definition of the statistics. Methods and cases beyond those are checked
against central differences and numpy's values below.
"""

import warnings

import numpy
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from test_grad_vs_autograd import Case, assert_case_matches_autograd, normal

import adjoint
import adjoint.numpy as anp
from adjoint.errors import UnsupportedFunctionError

autograd = pytest.importorskip("autograd")
agnp = pytest.importorskip("autograd.numpy")

RTOL, ATOL = 1e-10, 1e-12


# --- references on autograd's side ---------------------------------------------------------

def _rows(np_, x, axes):
    """``x`` with ``axes`` moved last and merged: (other entries, reduced entries), and the kept shape."""
    ndim = numpy.ndim(x)
    axes = tuple(range(ndim)) if axes is None else tuple(a % ndim for a in (axes if isinstance(axes, tuple) else (axes,)))
    rest = tuple(d for d in range(ndim) if d not in axes)
    moved = np_.transpose(x, rest + axes)
    shape = numpy.shape(x)
    n = int(numpy.prod([shape[d] for d in axes]))
    return np_.reshape(moved, (-1, n)), rest, axes


def ref_sort(np_, x, axis=-1):
    """Sort along ``axis`` with autograd's 1-D sort, one slice at a time."""
    if axis is None:
        return np_.sort(np_.reshape(x, (-1,)))
    if numpy.ndim(x) == 1:
        return np_.sort(x)
    rows, rest, axes = _rows(np_, x, axis)
    ranked = np_.stack([np_.sort(rows[i]) for i in range(numpy.shape(rows)[0])])
    moved_shape = tuple(numpy.shape(x)[d] for d in rest + axes)
    return np_.transpose(np_.reshape(ranked, moved_shape), tuple(numpy.argsort(rest + axes)))


def ref_partition(np_, x, kth, axis=-1):
    if numpy.ndim(x) == 1:
        return np_.partition(x, kth)
    rows, rest, axes = _rows(np_, x, axis)
    parted = np_.stack([np_.partition(rows[i], kth) for i in range(numpy.shape(rows)[0])])
    moved_shape = tuple(numpy.shape(x)[d] for d in rest + axes)
    return np_.transpose(np_.reshape(parted, moved_shape), tuple(numpy.argsort(rest + axes)))


def _textbook_position(n, q, method):
    """The (lower, upper, weight) of numpy's simplest methods, from their definitions."""
    h = (n - 1) * q
    lo, frac = numpy.floor(h), h - numpy.floor(h)
    if method == "lower":
        frac = 0.0 * frac
    elif method == "higher":
        lo, frac = numpy.ceil(h), 0.0 * frac
    elif method == "nearest":
        lo, frac = numpy.around(h), 0.0 * frac
    elif method == "midpoint":
        frac = numpy.where(frac > 0, 0.5, 0.0)
    lo = lo.astype(int)
    return lo, numpy.minimum(lo + 1, n - 1), frac


def ref_quantile(np_, x, q, axis=None, method="linear", keepdims=False, nan=False):
    rows, rest, axes = _rows(np_, x, axis)
    q = numpy.asarray(q, dtype=float)
    out = []
    for i in range(numpy.shape(rows)[0]):
        row = rows[i]
        if nan:
            row = row[~np_.isnan(row)]
        ranked = np_.sort(row)
        lo, hi, frac = _textbook_position(numpy.shape(ranked)[0], q.ravel(), method)
        out.append(ranked[lo] * (1.0 - frac) + ranked[hi] * frac)
    result = np_.transpose(np_.stack(out))  # (q entries, rows)
    shape = numpy.shape(x)
    kept = tuple(1 if d in axes else shape[d] for d in range(len(shape))) if keepdims else tuple(shape[d] for d in rest)
    return np_.reshape(result, q.shape + kept)


def _fn(np_, name):
    """The function ``name`` of ``np_``, or its reference where ``np_`` is autograd's."""
    if np_ is not agnp:
        return getattr(np_, name)
    return {
        "sort": lambda x, axis=-1, kind=None: ref_sort(agnp, x, axis),
        "partition": lambda x, kth, axis=-1: ref_partition(agnp, x, kth, axis),
        "median": lambda x, axis=None, keepdims=False: ref_quantile(agnp, x, 0.5, axis, keepdims=keepdims),
        "nanmedian": lambda x, axis=None, keepdims=False: ref_quantile(agnp, x, 0.5, axis, keepdims=keepdims,
                                                                       nan=True),
        "quantile": lambda x, q, axis=None, method="linear", keepdims=False: ref_quantile(
            agnp, x, q, axis, method, keepdims),
        "percentile": lambda x, q, axis=None, method="linear", keepdims=False: ref_quantile(
            agnp, x, numpy.asarray(q) / 100.0, axis, method, keepdims),
        "nanquantile": lambda x, q, axis=None, keepdims=False: ref_quantile(agnp, x, q, axis, keepdims=keepdims,
                                                                          nan=True),
        "nanpercentile": lambda x, q, axis=None, keepdims=False: ref_quantile(
            agnp, x, numpy.asarray(q) / 100.0, axis, keepdims=keepdims, nan=True),
    }[name]


# --- the table -----------------------------------------------------------------------------

CASES = {}


def case(name, fun, *args, argnum=0, plain=False, second_order=True):
    assert name not in CASES, name
    CASES[name] = Case(fun, args, argnum, plain, second_order)


x7, x14 = normal(7, 1), normal(14, 2)
x6 = normal(6, 3)
x45, x234 = normal((4, 5), 4), normal((2, 3, 4), 5)
x45nan = x45.copy()
x45nan[1, 2] = x45nan[3, 0] = x45nan[3, 4] = numpy.nan
x7nan = x7.copy()
x7nan[[1, 4]] = numpy.nan
TIES = numpy.array([0.3, -1.2, 0.3, 2.0, -1.2, 0.3, 0.7])
TIES34 = numpy.array([[1.0, 3.0, 3.0, -2.0], [0.5, 0.5, 0.5, 0.1], [-1.0, 2.0, -1.0, 2.0]])
W7, W45, W234 = normal(7, 20), normal((4, 5), 21), normal((2, 3, 4), 22)
Q = numpy.array([0.0, 0.1, 0.5, 0.75, 1.0])

# sort: 1-D as autograd, then axes by the row-by-row reference; plain numpy on traced values too.
case("sort-1d", lambda np_, x: np_.sum(_fn(np_, "sort")(x) * W7), x7)
case("sort-1d-sin", lambda np_, x: np_.sum(np_.sin(_fn(np_, "sort")(x)) * W7), x7)
case("sort-1d-plain", lambda np_, x: np_.sum(np_.sort(x) ** 3 * W7) if np_ is not agnp else
     agnp.sum(agnp.sort(x) ** 3 * W7), x7, plain=True)
case("sort-ties", lambda np_, x: np_.sum(_fn(np_, "sort")(x) ** 2 * W7), TIES)
case("sort-kind-stable", lambda np_, x: np_.sum(np_.tanh(_fn(np_, "sort")(x, kind="stable")) * W7), x7)
for _axis in (0, 1, -1, None):
    case(f"sort-2d-axis={_axis}", (lambda a: lambda np_, x: np_.sum(
        np_.sin(_fn(np_, "sort")(x, axis=a)) * (W45 if a is not None else W45.ravel())))(_axis), x45)
case("sort-3d-axis=1", lambda np_, x: np_.sum(_fn(np_, "sort")(x, axis=1) ** 3 * W234), x234)
case("sort-then-index", lambda np_, x: _fn(np_, "sort")(x)[-1] * _fn(np_, "sort")(x)[0], x14)
# partition: autograd's kth values, and rows.
for _kth in (0, 3, 6):
    case(f"partition-kth={_kth}", (lambda k: lambda np_, x: np_.sum(np_.sin(_fn(np_, "partition")(x, k)) * W7))(_kth),
         x7)
case("partition-14", lambda np_, x: np_.sum(_fn(np_, "partition")(x, 5) ** 2 * numpy.arange(14.0)), x14)
case("partition-kth-list", lambda np_, x: np_.sum(_fn(np_, "partition")(x, [1, 4]) ** 3 * W7), x7)
case("partition-2d-axis=0", lambda np_, x: np_.sum(np_.sin(_fn(np_, "partition")(x, 2, axis=0)) * W45), x45)
case("partition-plain", lambda np_, x: np_.sum(np_.partition(x, 3) ** 2 * W7), x7, plain=True)
# median: odd and even counts (the middle two share), axes, keepdims.
case("median-odd", lambda np_, x: _fn(np_, "median")(x) ** 2, x7)
case("median-even", lambda np_, x: np_.sin(_fn(np_, "median")(x)), x14)
case("median-axis=0", lambda np_, x: np_.sum(np_.sin(_fn(np_, "median")(x, axis=0)) * W45[0]), x45)
case("median-axis=1-keepdims", lambda np_, x: np_.sum(_fn(np_, "median")(x, axis=1, keepdims=True) ** 3), x45)
case("median-axis-tuple", lambda np_, x: np_.sum(np_.sin(_fn(np_, "median")(x, axis=(0, 2))) * W7[:3]), x234)
case("median-ties", lambda np_, x: _fn(np_, "median")(x) * np_.sum(x), TIES)
case("median-of-square", lambda np_, x: _fn(np_, "median")(x * x) ** 2, x6)
# quantile and percentile: q scalar or array, the textbook methods, axes.
case("quantile-linear", lambda np_, x: np_.sum(np_.sin(_fn(np_, "quantile")(x, Q))), x7)
case("quantile-scalar", lambda np_, x: _fn(np_, "quantile")(x, 0.3) ** 2, x14)
for _method in ("lower", "higher", "nearest", "midpoint"):
    case(f"quantile-{_method}", (lambda m: lambda np_, x: np_.sum(
        np_.sin(_fn(np_, "quantile")(x, Q, method=m)) * numpy.arange(1.0, 6.0)))(_method), x14)
case("quantile-axis=1", lambda np_, x: np_.sum(np_.sin(_fn(np_, "quantile")(x, [0.2, 0.9], axis=1)) * W45[:2, :4]),
     x45)
case("quantile-axis=0-keepdims", lambda np_, x: np_.sum(_fn(np_, "quantile")(x, Q[1:3], axis=0, keepdims=True) ** 2),
     x45)
case("percentile", lambda np_, x: np_.sum(_fn(np_, "percentile")(x, [5.0, 40.0, 95.0]) ** 3), x14)
case("percentile-axis=-1", lambda np_, x: np_.sum(np_.sin(_fn(np_, "percentile")(x, 30.0, axis=-1)) * W45[:2, :3]),
     x234)
case("percentile-plain", lambda np_, x: np_.sum(np_.percentile(x, [25.0, 60.0], axis=1) ** 2) if np_ is not agnp else
     agnp.sum(ref_quantile(agnp, x, numpy.array([0.25, 0.6]), 1) ** 2), x45, plain=True)
case("median-plain", lambda np_, x: np_.sum(np_.median(x, axis=0) ** 2) if np_ is not agnp else
     agnp.sum(ref_quantile(agnp, x, 0.5, 0) ** 2), x45, plain=True)
# nan versions: NaNs are left out, and their derivative is zero.
case("nanmedian", lambda np_, x: _fn(np_, "nanmedian")(x) ** 2, x7nan)
case("nanmedian-axis=1", lambda np_, x: np_.sum(np_.sin(_fn(np_, "nanmedian")(x, axis=1)) * W7[:4]), x45nan)
case("nanquantile-axis=0", lambda np_, x: np_.sum(np_.sin(_fn(np_, "nanquantile")(x, [0.1, 0.6], axis=0))), x45nan)
case("nanpercentile", lambda np_, x: np_.sum(_fn(np_, "nanpercentile")(x, [10.0, 50.0, 80.0]) ** 3), x7nan)
# max/min with ties: the tied entries share the derivative equally, as in autograd.
case("max-ties", lambda np_, x: np_.max(x) * np_.sum(x ** 2), TIES)
case("min-ties-3way", lambda np_, x: np_.min(x) ** 3, numpy.array([0.5, -1.0, -1.0, 2.0, -1.0]))
case("max-ties-axis=1", lambda np_, x: np_.sum(np_.sin(np_.max(x, axis=1))), TIES34)
case("min-ties-axis=0-keepdims", lambda np_, x: np_.sum(np_.min(x, axis=0, keepdims=True) ** 2 * W45[0, :4]), TIES34)
case("amax-ties-plain", lambda np_, x: np_.amax(x * x) * np_.sum(x), TIES, plain=True)


@pytest.mark.parametrize("name", list(CASES))
def test_grad_matches_autograd(name):
    assert_case_matches_autograd(CASES[name])


# --- values: exactly numpy's on plain arguments, numpy's (to rounding) on traced ones ----------

def _traced_value(fun, x):
    """``fun(x)`` computed on a traced ``x`` (the value of a forward-mode trace), and its tangent along ones."""
    return adjoint.jvp(fun, 0)(x, numpy.ones_like(x))


PLAIN_CALLS = {
    "sort": lambda np_, x: np_.sort(x, axis=0, kind="stable"),
    "sort-None": lambda np_, x: np_.sort(x, axis=None),
    "partition": lambda np_, x: np_.partition(x, (1, 3), axis=1),
    "median": lambda np_, x: np_.median(x, axis=1, keepdims=True),
    "percentile": lambda np_, x: np_.percentile(x, [10, 90], axis=0, method="hazen"),
    "quantile": lambda np_, x: np_.quantile(x, 0.3, method="inverted_cdf"),
    "quantile-weights": lambda np_, x: np_.quantile(x, 0.3, axis=1, method="inverted_cdf", weights=numpy.ones(5)),
    "nanmedian": lambda np_, x: np_.nanmedian(x, axis=0),
    "nanpercentile": lambda np_, x: np_.nanpercentile(x, 40.0, axis=1, keepdims=True),
    "nanquantile": lambda np_, x: np_.nanquantile(x, [0.5], axis=None),
}


@pytest.mark.parametrize("name", list(PLAIN_CALLS))
def test_plain_arguments_give_numpys_result(name):
    ours, ref = PLAIN_CALLS[name](anp, x45nan), PLAIN_CALLS[name](numpy, x45nan)
    assert type(ours) is type(ref)
    assert_array_equal(ours, ref)
    ours, ref = PLAIN_CALLS[name](anp, x45.tolist()), PLAIN_CALLS[name](numpy, x45.tolist())
    assert_array_equal(ours, ref)


METHODS = ["inverted_cdf", "averaged_inverted_cdf", "closest_observation", "interpolated_inverted_cdf", "hazen",
           "weibull", "linear", "median_unbiased", "normal_unbiased", "lower", "higher", "midpoint", "nearest"]


def _central(fun, x, v, h=1e-6):
    return (fun(x + h * v) - fun(x - h * v)) / (2 * h)


@pytest.mark.parametrize("method", METHODS)
def test_every_method_value_and_derivative(method):
    """Each of numpy's methods: the traced value is numpy's, the tangent its central difference."""
    x = normal((3, 7), 30)
    v = normal((3, 7), 31)
    for fn, q in ((numpy.quantile, [0.0, 0.13, 0.5, 0.77, 1.0]), (numpy.percentile, [3.0, 50.0, 99.0])):
        fun = lambda z, fn=fn, q=q: fn(z, q, axis=1, method=method)  # noqa: E731
        value, tangent = adjoint.jvp(fun, 0)(x, v)
        assert_allclose(value, fun(x), rtol=1e-13, atol=1e-14)
        assert_allclose(tangent, _central(fun, x, v), rtol=1e-6, atol=1e-8)
        w = numpy.arange(1.0, 1.0 + len(q))[:, None]
        g = adjoint.grad(lambda z, fun=fun, w=w: numpy.sum(fun(z) * w))(x)
        assert_allclose(numpy.sum(g * v), numpy.sum(tangent * w), rtol=1e-12)


@pytest.mark.parametrize("name", ["sort", "sort-None", "partition", "median", "percentile", "quantile",
                                  "nanmedian", "nanpercentile", "nanquantile"])
def test_traced_values_are_numpys(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        value, _ = _traced_value(lambda z: PLAIN_CALLS[name](numpy, z), x45nan)
        ref = PLAIN_CALLS[name](numpy, x45nan)
    assert numpy.shape(value) == numpy.shape(ref)
    assert_allclose(value, ref, rtol=1e-14, atol=1e-15)


def test_nan_slices():
    """A slice holding a NaN has a NaN median (and nanmedian of an all-NaN slice is NaN), other slices are fine."""
    x = x45.copy()
    x[2, :] = numpy.nan
    x[0, 1] = numpy.nan
    g = adjoint.grad(lambda z: numpy.sum(numpy.median(z, axis=1)[[1, 3]]))(x)
    assert_allclose(numpy.sum(g, axis=1), [0.0, 1.0, 0.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        value, tangent = _traced_value(lambda z: numpy.nanmedian(z, axis=1), x)
        assert_allclose(value, numpy.nanmedian(x, axis=1))
    assert numpy.isnan(value[2]) and not numpy.isnan(value[0])


def test_sort_through_numpy_is_not_piecewise_constant():
    """The silent wrong answer this module fixes: numpy.sort of a traced array had a zero derivative."""
    w = numpy.array([1.0, 2.0, 3.0, 4.0])
    g = adjoint.grad(lambda x: numpy.sum(numpy.sort(x) * w))(numpy.array([3.0, 1.0, 4.0, 2.0]))
    assert_array_equal(g, [3.0, 1.0, 4.0, 2.0])


def test_partition_with_ties_is_a_permutation():
    """numpy.argpartition may arrange ties other than numpy.partition; the Jacobian still maps x onto the result."""
    x = numpy.array([3.0, 1.0, 3.0, 1.0, 2.0, 2.0, 1.0, 3.0, 2.0])
    for k in range(len(x)):
        J = adjoint.jacobian(lambda z, k=k: numpy.partition(z, k))(x)
        ans = numpy.partition(x, k)
        assert_array_equal(J.sum(axis=0), 1.0)
        assert_array_equal(J.sum(axis=1), 1.0)
        assert_array_equal(J @ x, ans)


def test_second_order_of_sort_against_hessian():
    """The Hessian of ``sum(w * sort(x)**3)`` is diagonal, ``6 w_rank(i) x_i``; forward and reverse both trace."""
    x, w = normal(6, 40), normal(6, 41)
    H = adjoint.hessian(lambda z: anp.sum(w * anp.sort(z) ** 3))(x)
    rank = numpy.argsort(numpy.argsort(x))
    assert_allclose(H, numpy.diag(6 * w[rank] * x), rtol=1e-12)


def test_argpartition_is_constant():
    x = normal(7, 50)
    g = adjoint.grad(lambda z: numpy.sum(z[numpy.argpartition(z, 2)[:3]] ** 2))(x)
    small = numpy.argsort(x)[:3]
    expected = numpy.zeros(7)
    expected[small] = 2 * x[small]
    assert_allclose(g, expected)


ERRORS = {
    "q-traced": (lambda x: numpy.percentile(x, x[0] * 0 + 50.0), "q"),
    "kth-traced": (lambda x: anp.sum(anp.partition(x, [x[0], 2])), "kth"),
    "out": (lambda x: numpy.median(x, out=numpy.zeros(())), "out"),
    "weights": (lambda x: numpy.quantile(x, 0.5, method="inverted_cdf", weights=numpy.ones(7)), "weights"),
    "order": (lambda x: anp.sum(anp.sort(x, order="a")), "order"),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_name_function_and_argument(name):
    fun, argument = ERRORS[name]
    with pytest.raises(UnsupportedFunctionError, match=argument):
        adjoint.grad(lambda x: anp.sum(fun(x)))(x7)

