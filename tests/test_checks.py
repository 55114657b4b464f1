"""check_grads and taylor_test: they pass correct gradients and catch a wrong derivative rule."""

import numpy as np
import pytest

import adjoint
import adjoint.numpy as anp
from graphs.primitive import defjvp, defvjp, primitive

# Two test-only primitives computing sin: one with the right VJP, one with a wrong one
# (a factor 1.5 too large). Unique names: the registry refuses duplicates.
good_sin = primitive(np.sin, "test_checks_good_sin")
defvjp(good_sin, lambda g, ans, x: g * np.cos(x))
defjvp(good_sin, lambda t, ans, x: t * np.cos(x))
bad_sin = primitive(np.sin, "test_checks_bad_sin")
defvjp(bad_sin, lambda g, ans, x: 1.5 * g * np.cos(x))


def through(sin):
    def f(x):
        return anp.sum(sin(x) * anp.tanh(x)) + anp.sum(x ** 2) / 4
    f.__name__ = f"f_{sin.name}"
    return f


X = np.array([0.3, -0.7, 1.1])

CORRECT = [
    ("builtin sin", lambda x: anp.sum(anp.sin(x) * anp.tanh(x)), (X,), 0),
    ("good rule", through(good_sin), (X,), 0),
    ("scalar float", lambda x: anp.exp(anp.sin(x)) * x, (0.4,), 0),
    ("matrix", lambda W, x: anp.sum(anp.tanh(W @ x) ** 2), (np.arange(6.0).reshape(3, 2) / 7, X[:2]), 0),
    ("second argument", lambda W, x: anp.sum(anp.tanh(W @ x) ** 2), (np.arange(6.0).reshape(3, 2) / 7, X[:2]), 1),
    ("both arguments", lambda W, x: anp.sum(anp.tanh(W @ x) ** 2), (np.arange(6.0).reshape(3, 2) / 7, X[:2]), (0, 1)),
    ("nested dict", lambda p: anp.sum(p["a"] * anp.cos(anp.array(p["b"]))), ({"a": X, "b": [0.1, 0.2, 0.3]},), 0),
]


@pytest.mark.parametrize("label, fun, args, argnum", CORRECT, ids=[c[0] for c in CORRECT])
def test_check_grads_passes_correct_gradients(label, fun, args, argnum):
    assert adjoint.check_grads(fun, *args, argnum=argnum, directions=4) is None


def test_check_grads_catches_a_wrong_rule_with_a_table():
    with pytest.raises(adjoint.GradientCheckError) as info:
        adjoint.check_grads(through(bad_sin), X, directions=3)
    message = str(info.value)
    assert isinstance(info.value, AssertionError) and isinstance(info.value, adjoint.AdjointError)
    assert "f_test_checks_bad_sin" in message
    assert "direction" in message and "analytic" in message and "numeric" in message
    assert "rel. error" in message and message.count("<- FAIL") == 3


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"directions": 0}, "directions must be a positive integer"),
        ({"eps": 0.0}, "eps must be a finite number > 0"),
        ({"rtol": -1.0}, "rtol must be a finite number >= 0"),
        ({"atol": float("nan")}, "atol must be a finite number >= 0"),
    ],
)
def test_check_grads_rejects_bad_settings(kwargs, match):
    with pytest.raises(adjoint.InvalidArgumentError, match=match):
        adjoint.check_grads(through(good_sin), X, **kwargs)


@pytest.mark.parametrize(
    "fun, x, expected",
    [
        (through(good_sin), X, 2.0),
        (lambda x: anp.sum(anp.sin(x) * anp.tanh(x)), X, 2.0),
        (lambda x: anp.exp(anp.sin(x)) * x, 0.4, 2.0),
        (through(bad_sin), X, 1.0),
    ],
    ids=["good rule", "builtin", "scalar", "bad rule"],
)
def test_taylor_orders(fun, x, expected):
    result = adjoint.taylor_test(fun, x)
    assert result.order == pytest.approx(expected, abs=0.1)
    assert np.all(np.abs(result.orders[np.isfinite(result.orders)] - expected) < 0.25)
    assert result.residuals.shape == result.hs.shape == (8,)
    assert np.all(np.diff(result.hs) < 0)


def test_taylor_given_direction_and_steps():
    d = np.array([1.0, 0.0, -1.0])
    result = adjoint.taylor_test(through(good_sin), X, direction=d, hs=[1e-1, 1e-2, 1e-3])
    g = adjoint.grad(through(good_sin))(X)
    assert result.slope == pytest.approx(float(g @ d), rel=1e-14)
    assert result.orders.shape == (2,) and result.order == pytest.approx(2.0, abs=0.05)


def test_taylor_affine_function_has_no_informative_order():
    """The remainder of an affine function is rounding error: the orders say NaN, not 2."""
    result = adjoint.taylor_test(lambda x: anp.sum(3.0 * x) + 1.0, X)
    assert np.all(np.isnan(result.orders)) and np.isnan(result.order)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"hs": [0.1]}, "at least two decreasing positive steps"),
        ({"hs": [0.1, 0.2]}, "at least two decreasing positive steps"),
        ({"hs": [0.1, -0.01]}, "at least two decreasing positive steps"),
        ({"direction": np.ones(2)}, "direction must have the structure and shapes of x"),
    ],
)
def test_taylor_rejects_bad_arguments(kwargs, match):
    with pytest.raises(adjoint.InvalidArgumentError, match=match):
        adjoint.taylor_test(through(good_sin), X, **kwargs)


def test_wrong_rule_inside_a_constraint_graph_is_caught_too():
    """The same wrong rule used by a graph's constraint: solve's gradient fails both checks."""
    graph = adjoint.ConstraintGraph()
    graph.add_input("x")
    graph.add_constraint("s", lambda x: bad_sin(x), ["x"])
    graph.add_constraint("J", lambda s, x: anp.sum(s * x), ["s", "x"])

    def J(x):  # the graph's objective as numpy code, for the checks
        return anp.sum(bad_sin(x) * x)

    sol = adjoint.solve(graph, {"x": X}, "J")
    assert np.allclose(sol.gradient["x"], adjoint.grad(J)(X), rtol=1e-14)
    with pytest.raises(adjoint.GradientCheckError):
        adjoint.check_grads(J, X)
    assert adjoint.taylor_test(J, X).order == pytest.approx(1.0, abs=0.1)
