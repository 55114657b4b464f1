"""autograd's helper modules on adjoint: ``adjoint.misc`` and ``adjoint.test_util`` against ``autograd``'s.

Ported code changes ``autograd`` to ``adjoint`` in its imports, so each helper is compared
with autograd's on the same inputs: ``flatten`` (the same flat vector, the same rebuilt
structure, and gradients through it), the optimizers (the same arithmetic, so the same
iterates to rounding), ``fixed_point`` (the same gradient with respect to its parameters),
and ``check_grads`` (it passes where derivatives are right, at first and second order, and
fails on a deliberately wrong rule).
"""

from collections import namedtuple

import numpy as np
import pytest
from numpy.testing import assert_allclose

import adjoint
import adjoint.numpy as anp
from adjoint.misc import fixed_points, flatten, flatten_func, optimizers
from adjoint.test_util import check_equivalent, check_grads, check_jvp, check_vjp, combo_check
from graphs.primitive import PRIMITIVES, defjvp, defvjp, primitive

autograd = pytest.importorskip("autograd")
agnp = pytest.importorskip("autograd.numpy")
ag_misc = pytest.importorskip("autograd.misc")
ag_flatten = pytest.importorskip("autograd.misc.flatten")  # the module: ag_misc.flatten is the function
ag_test_util = pytest.importorskip("autograd.test_util")
ag_optimizers = pytest.importorskip("autograd.misc.optimizers")
ag_fixed_points = pytest.importorskip("autograd.misc.fixed_points")

Pair = namedtuple("Pair", "left right")


@pytest.fixture(autouse=True)
def _seeded():
    """check_grads draws its directions from numpy's global generator, as autograd's does."""
    np.random.seed(0)


def _assert_tree_equal(got, expected):
    """Same containers (types, lengths, dict keys in order) and equal leaves of equal shapes."""
    if isinstance(expected, dict):
        assert isinstance(got, dict) and list(got) == list(expected)
        for k in expected:
            _assert_tree_equal(got[k], expected[k])
    elif isinstance(expected, (list, tuple)):
        assert type(got) is type(expected) and len(got) == len(expected)
        for g, e in zip(got, expected):
            _assert_tree_equal(g, e)
    else:
        assert np.shape(got) == np.shape(expected)
        assert_allclose(got, expected, rtol=0, atol=0)


# ---------------------------------------------------------------------------------------------
# flatten

STRUCTURES = [
    pytest.param(1.5, id="float"),
    pytest.param(np.float64(-2.0), id="numpy-scalar"),
    pytest.param(np.array(3.0), id="0-d"),
    pytest.param(np.arange(4.0), id="vector"),
    pytest.param(np.arange(6.0).reshape(2, 3), id="matrix"),
    pytest.param([1.0, np.ones(2)], id="list"),
    pytest.param((np.zeros((2, 1)), 2.5), id="tuple"),
    pytest.param({"b": np.arange(3.0), "a": 7.0}, id="dict-unsorted"),
    pytest.param([1.0, (np.ones(2), {"z": 2.0, "a": np.zeros((1, 2))})], id="nested"),
    pytest.param({"w": [np.eye(2), {"y": 1.0, "x": (2.0, 3.0)}], "b": np.array([4.0])}, id="deep"),
    pytest.param([], id="empty-list"),
    pytest.param({"x": [], "y": 1.0}, id="dict-with-empty"),
]


@pytest.mark.filterwarnings("ignore:Output seems independent of input")  # autograd, on an empty structure
@pytest.mark.parametrize("value", STRUCTURES)
def test_flatten_matches_autograd(value):
    flat, unflatten = flatten(value)
    ag_flat, ag_unflatten = ag_misc.flatten(value)
    assert flat.ndim == 1
    assert_allclose(flat, ag_flat, rtol=0, atol=0)
    _assert_tree_equal(unflatten(flat), ag_unflatten(ag_flat))
    other = np.arange(flat.size, dtype=float) * 1.5 - 2.0
    _assert_tree_equal(unflatten(other), ag_unflatten(other))


@pytest.mark.parametrize("value", STRUCTURES)
def test_flatten_round_trip(value):
    flat, unflatten = flatten(value)
    again, _ = flatten(unflatten(flat))
    assert_allclose(again, flat, rtol=0, atol=0)


def test_flatten_namedtuple_is_a_container():
    flat, unflatten = flatten(Pair(np.ones(2), 3.0))
    assert_allclose(flat, [1.0, 1.0, 3.0])
    rebuilt = unflatten(flat)
    assert isinstance(rebuilt, Pair)
    assert_allclose(rebuilt.right, 3.0)


def _uses_flatten(np_, flatten_):
    """Flattens its argument, transforms the vector, unflattens and reduces: every step traces."""
    def loss(params):
        flat, unflatten = flatten_(params)
        back = unflatten(np_.tanh(flat) * np_.arange(1.0, flat.size + 1))
        return np_.sum(flat ** 3) + np_.sum(back["w"] ** 2) * back["b"] + np_.sin(back["c"][1])
    return loss


def test_flatten_under_grad_matches_autograd():
    params = {"w": np.array([[0.3, -0.2], [0.1, 0.5]]), "b": 0.7, "c": [np.ones(1), -0.4]}
    got = adjoint.grad(_uses_flatten(anp, flatten))(params)
    expected = autograd.grad(_uses_flatten(agnp, ag_misc.flatten))(params)
    assert list(got) == list(expected)
    for k in expected:
        ex_leaves, _ = ag_misc.flatten(expected[k])
        got_leaves, _ = flatten(got[k])
        assert_allclose(got_leaves, ex_leaves, rtol=1e-12, atol=1e-14)


def test_unflatten_of_a_traced_vector():
    _, unflatten = flatten({"a": np.zeros(2), "b": 0.0})

    def loss(v):
        p = unflatten(v)
        return anp.sum(p["a"] ** 2) * p["b"]

    v = np.array([1.0, 2.0, 3.0])
    assert_allclose(adjoint.grad(loss)(v), [2.0 * 3.0, 4.0 * 3.0, 5.0])


def test_flatten_func_matches_autograd():
    def func(p, scale):
        return {"y": p[0] * scale, "z": [p[1] ** 2]}

    example = [np.array([1.0, 2.0]), 3.0]
    flat_func, unflatten, x = flatten_func(func, example)
    ag_func, ag_unflatten, ag_x = ag_flatten.flatten_func(func, example)
    assert_allclose(x, ag_x)
    assert_allclose(flat_func(x * 2, 0.5), ag_func(ag_x * 2, 0.5))
    _assert_tree_equal(unflatten(x), ag_unflatten(ag_x))
    assert_allclose(adjoint.jacobian(lambda v: flat_func(v, 0.5))(x), autograd.jacobian(lambda v: ag_func(v, 0.5))(x))


# ---------------------------------------------------------------------------------------------
# optimizers: the same arithmetic as autograd's, so the same iterates

A = np.array([[3.0, 0.5, 0.0], [0.5, 2.0, 0.3], [0.0, 0.3, 1.0]])
B = np.array([1.0, -2.0, 0.5])


def _quadratic_grad(flatten_):
    """The gradient of ``½ xᵀ A x - bᵀ x + ‖x‖² / (i + 1)`` on a structure: it depends on ``i``."""
    def grad(x, i):
        flat, unflatten = flatten_(x)
        return unflatten(A @ flat - B + 2.0 * flat / (i + 1))
    return grad


OPTIMIZERS = [
    pytest.param("sgd", {}, id="sgd-defaults"),
    pytest.param("sgd", {"num_iters": 50, "step_size": 0.05, "mass": 0.5}, id="sgd"),
    pytest.param("rmsprop", {}, id="rmsprop-defaults"),
    pytest.param("rmsprop", {"num_iters": 70, "step_size": 0.02, "gamma": 0.8, "eps": 1e-6}, id="rmsprop"),
    pytest.param("adam", {}, id="adam-defaults"),
    pytest.param("adam", {"num_iters": 120, "step_size": 0.05, "b1": 0.8, "b2": 0.99, "eps": 1e-7}, id="adam"),
]


@pytest.mark.parametrize("name, settings", OPTIMIZERS)
def test_optimizer_matches_autograd(name, settings):
    x0 = {"u": np.array([0.5, -1.0]), "v": 2.0}
    seen, ag_seen = [], []
    got = getattr(optimizers, name)(_quadratic_grad(flatten), x0, lambda x, i, g: seen.append((x, i, g)), **settings)
    expected = getattr(ag_optimizers, name)(_quadratic_grad(ag_misc.flatten), x0,
                                            lambda x, i, g: ag_seen.append((x, i, g)), **settings)
    assert list(got) == list(expected)
    for k in expected:
        assert_allclose(got[k], expected[k], rtol=1e-12, atol=1e-12)
    assert len(seen) == len(ag_seen) == settings.get("num_iters", 200 if name == "sgd" else 100)
    for (x, i, g), (ag_x, ag_i, ag_g) in zip(seen[::17], ag_seen[::17]):
        assert i == ag_i
        assert_allclose(flatten(x)[0], ag_misc.flatten(ag_x)[0], rtol=1e-12, atol=1e-12)
        assert_allclose(flatten(g)[0], ag_misc.flatten(ag_g)[0], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["sgd", "rmsprop", "adam"])
def test_optimizer_on_an_array_without_callback(name):
    x0 = np.zeros(3)
    got = getattr(optimizers, name)(_quadratic_grad(flatten), x0, num_iters=30)
    expected = getattr(ag_optimizers, name)(_quadratic_grad(ag_misc.flatten), x0, num_iters=30)
    assert got.shape == (3,)
    assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_step_size_schedule():
    grad = _quadratic_grad(flatten)
    constant = optimizers.adam(grad, np.zeros(3), num_iters=40, step_size=0.01)
    scheduled = optimizers.adam(grad, np.zeros(3), num_iters=40, step_size=lambda i: 0.01)
    assert_allclose(scheduled, constant, rtol=0, atol=0)
    decaying = optimizers.sgd(grad, np.zeros(3), num_iters=40, step_size=lambda i: 0.1 / (1 + i))
    assert not np.allclose(decaying, optimizers.sgd(grad, np.zeros(3), num_iters=40))


def test_optimizer_minimises_with_adjoint_grad():
    def loss(p, i):
        return anp.sum((p["w"] - 1.0) ** 2) + (p["b"] + 2.0) ** 2

    x = optimizers.adam(adjoint.grad(loss), {"w": np.zeros(2), "b": 0.0}, num_iters=1000, step_size=0.05)
    assert_allclose(x["w"], 1.0, atol=1e-3)
    assert_allclose(x["b"], -2.0, atol=1e-3)


# ---------------------------------------------------------------------------------------------
# fixed points

def _distance(np_):
    return lambda x, y: np_.sqrt(np_.sum((x - y) ** 2))


def test_fixed_point_value_and_closed_form_gradient():
    """``x* = a cos(x*)``: ``dx*/da = cos(x*) / (1 + a sin(x*))``."""
    def solve(a):
        return fixed_points.fixed_point(lambda a: lambda x: a * anp.cos(x), a, 0.0, _distance(anp), 1e-12)

    a = 0.6
    x = solve(a)
    assert abs(x - a * np.cos(x)) < 1e-12
    assert_allclose(adjoint.grad(solve)(a), np.cos(x) / (1 + a * np.sin(x)), rtol=1e-10)


def test_fixed_point_gradient_matches_autograd_scalar():
    def loss(np_, fixed_point):
        def f(a):
            return lambda x: a * np_.cos(x)
        return lambda a: fixed_point(f, a, 0.0, _distance(np_), 1e-12) ** 2

    a = 0.6
    got = adjoint.grad(loss(anp, fixed_points.fixed_point))(a)
    expected = autograd.grad(loss(agnp, ag_fixed_points.fixed_point))(a)
    assert_allclose(got, expected, rtol=1e-9)


def test_fixed_point_gradient_matches_autograd_vector():
    """``x = tanh(W x + a)`` with ``‖W‖ < 1``: a contraction, as autograd's iteration needs."""
    W = np.array([[0.2, -0.3, 0.1], [0.05, 0.1, 0.4], [-0.2, 0.0, 0.3]])
    c = np.array([1.0, -2.0, 0.5])

    def loss(np_, fixed_point):
        def f(a):
            return lambda x: np_.tanh(np_.dot(W, x) + a)
        return lambda a: np_.sum(c * fixed_point(f, a, np.zeros(3), _distance(np_), 1e-13))

    a = np.array([0.3, -0.1, 0.8])
    assert_allclose(fixed_points.fixed_point(lambda a: lambda x: anp.tanh(anp.dot(W, x) + a), a, np.zeros(3),
                                             _distance(anp), 1e-13),
                    ag_fixed_points.fixed_point(lambda a: lambda x: agnp.tanh(agnp.dot(W, x) + a), a, np.zeros(3),
                                                _distance(agnp), 1e-13), rtol=1e-11, atol=1e-12)
    got = adjoint.grad(loss(anp, fixed_points.fixed_point))(a)
    expected = autograd.grad(loss(agnp, ag_fixed_points.fixed_point))(a)
    assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


def test_fixed_point_structured_parameters():
    """autograd's examples pass a tuple of parameters; ``f(a)`` unpacks it."""
    def f(a):
        scale, shift = a
        return lambda x: scale * anp.cos(x) + shift

    def solve(scale, shift):
        return fixed_points.fixed_point(f, (scale, shift), 0.0, _distance(anp), 1e-12)

    x = solve(0.5, 0.2)
    d_scale, d_shift = adjoint.grad(solve, argnum=(0, 1))(0.5, 0.2)
    denominator = 1 + 0.5 * np.sin(x)
    assert_allclose([d_scale, d_shift], [np.cos(x) / denominator, 1 / denominator], rtol=1e-10)


def test_fixed_point_distance_checks_the_result():
    strict = lambda x, y: 1e15 * abs(x - y)  # noqa: E731 - far stricter than the Euclidean norm
    with pytest.raises(adjoint.ConvergenceError, match="distance"):
        fixed_points.fixed_point(lambda a: lambda x: a * np.cos(x), 0.6, 0.0, strict, 1e-8)


# ---------------------------------------------------------------------------------------------
# check_grads

def _sum_sin_times(x, y):
    return anp.sum(anp.sin(x) * y)


CORRECT = [
    pytest.param(lambda x: anp.sum(anp.tanh(x) ** 2), (np.array([0.3, -1.2, 2.0]),), 0, id="scalar-of-vector"),
    pytest.param(lambda x: anp.exp(x) * x, (np.array([0.3, -0.5]),), 0, id="vector-of-vector"),
    pytest.param(lambda x: x ** 3, (1.3,), 0, id="float"),
    pytest.param(_sum_sin_times, (np.array([0.3, 1.0]), np.array([2.0, -1.0])), (0, 1), id="two-arguments"),
    pytest.param(_sum_sin_times, (np.array([0.3, 1.0]), np.array([2.0, -1.0])), 1, id="second-argument"),
    pytest.param(lambda W, x: anp.tanh(W @ x), (np.array([[0.5, -0.2], [0.1, 0.3]]), np.array([1.0, 2.0])), 0,
                 id="matmul"),
    pytest.param(lambda p: {"s": anp.sum(p["w"] ** 2) * p["b"], "t": [anp.cos(p["w"])]},
                 ({"w": np.array([0.5, -0.4]), "b": 1.5},), 0, id="structures"),
]


@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("modes", [["fwd"], ["rev"], ["fwd", "rev"]])
@pytest.mark.parametrize("fun, args, argnum", CORRECT)
def test_check_grads_passes_on_correct_derivatives(fun, args, argnum, modes, order):
    check_grads(fun, argnum, modes, order)(*args)


def test_check_grads_keyword_call_and_default_order():
    check_grads(lambda x, k: anp.sum(anp.sin(x * k)), modes=["rev"])(np.array([0.2, 0.4]), k=3.0)
    check_grads(lambda x: anp.sin(x) * anp.cos(x))(0.7)


def test_check_grads_agrees_with_autograds_on_the_same_calls():
    x = np.array([0.3, -0.8])
    ag_test_util.check_grads(lambda x: agnp.sum(agnp.sin(x) ** 2), modes=["fwd", "rev"], order=2)(x)
    check_grads(lambda x: anp.sum(anp.sin(x) ** 2), modes=["fwd", "rev"], order=2)(x)


def _wrong_sin():
    """``sin`` whose VJP and JVP use ``-cos``: wrong at first order."""
    prim = PRIMITIVES.get("test_misc_wrong_sin") or primitive(np.sin, "test_misc_wrong_sin")
    defvjp(prim, lambda g, ans, x: -g * anp.cos(x))
    defjvp(prim, lambda t, ans, x: -t * anp.cos(x))
    return prim


def _sin_with_wrong_second_derivative():
    """``sin`` whose first derivative is right, but computed by a ``cos`` whose derivative is ``+sin``."""
    bad_cos = PRIMITIVES.get("test_misc_wrong_cos") or primitive(np.cos, "test_misc_wrong_cos")
    defvjp(bad_cos, lambda g, ans, x: g * anp.sin(x))
    defjvp(bad_cos, lambda t, ans, x: t * anp.sin(x))
    prim = PRIMITIVES.get("test_misc_sin_bad_hessian") or primitive(np.sin, "test_misc_sin_bad_hessian")
    defvjp(prim, lambda g, ans, x: g * bad_cos(x))
    defjvp(prim, lambda t, ans, x: t * bad_cos(x))
    return prim


@pytest.mark.parametrize("modes", [["rev"], ["fwd"]])
def test_check_grads_raises_on_a_wrong_rule(modes):
    wrong_sin = _wrong_sin()
    with pytest.raises(adjoint.GradientCheckError, match="check of"):
        check_grads(lambda x: anp.sum(wrong_sin(x) * x), modes=modes, order=1)(np.array([0.3, 1.1]))
    with pytest.raises(AssertionError):  # a test framework sees an assertion failing
        check_grads(lambda x: anp.sum(wrong_sin(x)), modes=modes)(np.array([0.3, 1.1]))


@pytest.mark.parametrize("modes", [["rev"], ["fwd"]])
def test_order_two_catches_a_wrong_second_derivative(modes):
    sin = _sin_with_wrong_second_derivative()
    fun = lambda x: anp.sum(sin(x) * x)  # noqa: E731
    x = np.array([0.3, 1.1])
    check_grads(fun, modes=modes, order=1)(x)
    with pytest.raises(adjoint.GradientCheckError):
        check_grads(fun, modes=modes, order=2)(x)


def test_check_vjp_check_jvp_and_check_equivalent():
    f = lambda x: [anp.sin(x), anp.sum(x ** 2)]  # noqa: E731
    check_vjp(f, np.array([0.1, 0.2]))
    check_jvp(f, np.array([0.1, 0.2]))
    with pytest.raises(adjoint.GradientCheckError, match="VSpace"):
        check_equivalent([1.0, 2.0], (1.0, 2.0))
    with pytest.raises(adjoint.GradientCheckError, match="VSpace"):
        check_equivalent(np.ones(2), np.ones(3))


def test_combo_check():
    combo_check(lambda x, p: x ** p, modes=["fwd", "rev"], order=2)([0.5, 2.0], p=[2.0, 3.0])
    wrong_sin = _wrong_sin()
    with pytest.raises(adjoint.GradientCheckError):
        combo_check(lambda x, p: wrong_sin(x) * p, modes=["rev"], order=1)([0.5], p=[2.0])


def test_check_grads_rejects_bad_settings():
    with pytest.raises(adjoint.InvalidArgumentError, match="argnum"):
        check_grads(lambda x: x, np.ones(2))
    with pytest.raises(adjoint.InvalidArgumentError, match="modes"):
        check_grads(lambda x: x, modes=["backward"])
