"""Tangent mode: ``adjoint.jvp`` on numpy code and ``adjoint.solve_tangent`` on graphs.

References are central finite differences of the values (step 1e-6, agreement 1e-7
relative), including through traced fixed points solved by every exact linear method; and the
duality ``⟨ȳ, ẏ⟩ = ⟨∇_x ⟨ȳ, y⟩, ẋ⟩`` between tangents and multipliers of the same graph.
"""

import numpy as np
import pytest

import adjoint
import adjoint.numpy as anp
import solvers

EPS, RTOL, ATOL = 1e-6, 1e-7, 1e-9
RNG = np.random.default_rng(6)
W = 0.4 * RNG.normal(size=(4, 4)) / 2.0
U = RNG.normal(size=(4, 3))
A = RNG.normal(size=(3, 3))


def central_difference(fun, x, t):
    return (np.asarray(fun(x + EPS * t)) - np.asarray(fun(x - EPS * t))) / (2 * EPS)


def deq(x, method="auto"):
    return adjoint.fixed_point(lambda z, W, U, x: anp.tanh(W @ z + U @ x), np.zeros(4), W, U, x,
                               adjoint=method)


def deq_in_weights(Wflat):
    return adjoint.fixed_point(lambda z, Wm, x: anp.tanh(Wm @ z + x), np.zeros(4), Wflat.reshape(4, 4),
                               np.ones(4))


FUNCTIONS = {
    "elementwise": (lambda x: anp.exp(anp.sin(x)) * x ** 2, RNG.normal(size=5)),
    "matmul and tanh": (lambda x: anp.tanh(A @ x) + x[::-1], RNG.normal(size=3)),
    "reduction to a scalar": (lambda x: anp.sum(anp.log1p(x ** 2)) * anp.max(x), RNG.normal(size=4)),
    "broadcast matrix": (lambda x: anp.outer(x, x) / (1 + anp.sum(x ** 2)), RNG.normal(size=3)),
    "fixed point in its input": (deq, RNG.normal(size=3)),
    "fixed point in its weights": (deq_in_weights, (0.2 * RNG.normal(size=(4, 4))).ravel()),
    "fixed point inside a loss": (lambda x: anp.sum(deq(x) ** 2) + anp.sin(x[0]), RNG.normal(size=3)),
    "two fixed points in a row": (lambda x: deq(deq(x)[:3]), RNG.normal(size=3)),
}


@pytest.mark.parametrize("name", FUNCTIONS)
def test_jvp_matches_central_differences(name):
    fun, x = FUNCTIONS[name]
    t = np.random.default_rng(1).normal(size=x.shape)
    value, tangent = adjoint.jvp(fun)(x, t)
    np.testing.assert_allclose(value, np.asarray(fun(x)), rtol=1e-14)
    np.testing.assert_allclose(tangent, central_difference(fun, x, t), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("method", ["direct", "gmres", "bicgstab", "lgmres", "fixed_point", "auto"])
def test_jvp_through_a_fixed_point_by_every_exact_linear_solver(method):
    x = np.array([0.3, -0.2, 0.5])
    t = np.array([1.0, 0.5, -1.0])
    _, tangent = adjoint.jvp(lambda x: deq(x, method))(x, t)
    np.testing.assert_allclose(tangent, central_difference(deq, x, t), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("method, k, close", [("neumann", 60, True), ("neumann", 0, False), ("jfb", None, False)])
def test_truncated_tangents_are_the_truncations_of_the_exact_one(method, k, close):
    x, t = np.array([0.3, -0.2, 0.5]), np.array([1.0, 0.5, -1.0])
    fun = lambda x: adjoint.fixed_point(  # noqa: E731
        lambda z, W, U, x: anp.tanh(W @ z + U @ x), np.zeros(4), W, U, x, adjoint=method,
        adjoint_options={} if k is None else {"k": k})
    _, tangent = adjoint.jvp(fun)(x, t)
    exact = central_difference(deq, x, t)
    assert np.allclose(tangent, exact, rtol=1e-7, atol=1e-9) is close
    # JFB and Neumann-0 both stop at the first term: (∂f/∂θ) θ̇ at z*
    if not close:
        z = deq(x)
        first_term = (1 - z ** 2) * (U @ t)
        np.testing.assert_allclose(tangent, first_term, rtol=1e-12)


def test_one_tangent_solve_serves_every_parameter_of_a_fixed_point(monkeypatch):
    calls = []
    real = solvers.solve_linear
    monkeypatch.setattr(solvers, "solve_linear", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    fun = lambda p: adjoint.fixed_point(  # noqa: E731  (three parameters, each with a tangent)
        lambda z, a, b, c: anp.tanh(a * z + b) * c, np.zeros(3), p[0], p[1], p[2], adjoint="gmres")
    p = np.array([0.3, 0.2, 0.9])
    _, tangent = adjoint.jvp(fun)(p, np.array([1.0, -1.0, 0.5]))
    assert calls == ["gmres"]
    np.testing.assert_allclose(tangent, central_difference(fun, p, np.array([1.0, -1.0, 0.5])), rtol=RTOL)


def test_jvp_with_several_arguments_and_a_tuple_result():
    fun = lambda x, y: (anp.sin(x) * y, anp.sum(x * y))  # noqa: E731
    x, y, tx, ty = np.array([0.1, 0.7]), np.array([1.5, -0.3]), np.array([1.0, 2.0]), np.array([-1.0, 0.5])
    (v1, v2), (t1, t2) = adjoint.jvp(fun, argnum=(0, 1))(x, y, (tx, ty))
    np.testing.assert_allclose(t1, np.cos(x) * tx * y + np.sin(x) * ty, rtol=1e-14)
    np.testing.assert_allclose(t2, np.sum(tx * y + x * ty), rtol=1e-14)


def test_jvp_of_a_function_that_ignores_its_argument_is_zero():
    value, tangent = adjoint.jvp(lambda x: np.ones(2))(np.zeros(3), np.ones(3))
    np.testing.assert_array_equal(tangent, np.zeros(2))


@pytest.mark.parametrize("call, message", [
    (lambda: adjoint.jvp(anp.sin)(np.zeros(3), np.ones(2)), "shape"),
    (lambda: adjoint.jvp(anp.sin)(), "needs the arguments"),
    (lambda: adjoint.jvp(lambda x, y: x * y, argnum=(0, 1))(1.0, 2.0, (1.0,)), "needs 2 tangents"),
])
def test_jvp_says_what_is_wrong(call, message):
    with pytest.raises(adjoint.InvalidArgumentError, match=message):
        call()


# --- graphs --------------------------------------------------------------------------------

def acyclic():
    g = adjoint.ConstraintGraph()
    g.add_input("x")
    g.add_constraint("a", lambda x: anp.sin(x) * x, ["x"])
    g.add_constraint("y", lambda a, x: a * anp.cos(x) + a ** 2, ["a", "x"])
    return g


def self_loop():
    g = adjoint.ConstraintGraph()
    g.add_input("x")
    g.add_constraint("z", lambda z, x: 0.5 * anp.tanh(z[::-1]) + x, ["z", "x"], init=np.zeros(3))
    g.add_constraint("y", lambda z: z * z, ["z"])
    return g


def cycle_with_interior():
    g = adjoint.ConstraintGraph()
    g.add_input("x")
    g.add_input("p")
    g.add_constraint("a", lambda c, x: 0.5 * anp.sin(c) + x, ["c", "x"], init=np.zeros(3))
    g.add_constraint("b", lambda a, p: anp.tanh(a * p), ["a", "p"])
    g.add_constraint("c", lambda b, a: 0.6 * b - 0.2 * a[::-1], ["b", "a"])
    g.add_constraint("y", lambda b, c: b * c + c, ["b", "c"])
    return g


GRAPHS = {"acyclic": acyclic, "self loop": self_loop, "cycle with interior": cycle_with_interior}
LINEAR = ["direct", "gmres", "bicgstab", "fixed_point", "auto"]


def point(graph):
    rng = np.random.default_rng(3)
    inputs = {x: rng.uniform(0.2, 0.8, size=3) for x in graph.inputs}
    tangents = {x: rng.normal(size=3) for x in graph.inputs}
    return inputs, tangents


@pytest.mark.parametrize("linear", LINEAR)
@pytest.mark.parametrize("name", GRAPHS)
def test_solve_tangent_matches_central_differences(name, linear):
    g = GRAPHS[name]()
    inputs, tangents = point(g)
    sol = adjoint.solve_tangent(g, inputs, tangents, linear=linear)
    shifted = [adjoint.solve(g, {x: inputs[x] + s * EPS * tangents[x] for x in inputs}).values for s in (1, -1)]
    for node in g.constraints:
        fd = (shifted[0][node] - shifted[1][node]) / (2 * EPS)
        np.testing.assert_allclose(sol.tangents[node], fd, rtol=RTOL, atol=ATOL, err_msg=node)
    for report in sol.blocks:
        assert report.tangent.converged and report.tangent.residual < 1e-9


@pytest.mark.parametrize("name", GRAPHS)
def test_tangents_and_multipliers_are_dual(name):
    g = GRAPHS[name]()
    inputs, tangents = point(g)
    ybar = np.array([0.3, -1.0, 2.0])
    ydot = adjoint.solve_tangent(g, inputs, tangents).tangents["y"]
    gradient = adjoint.solve(g, inputs, ("y", ybar)).gradient
    assert np.isclose(ybar @ ydot, sum(gradient[x] @ tangents[x] for x in inputs), rtol=1e-12)


def test_solve_tangent_with_a_zero_tangent_needs_no_solve():
    g = cycle_with_interior()
    inputs, _ = point(g)
    sol = adjoint.solve_tangent(g, inputs, {})
    assert all(np.all(t == 0) for t in sol.tangents.values())
    assert sol.blocks[0].tangent is None


@pytest.mark.parametrize("tangents, message", [
    ({"nope": np.ones(3)}, "not an input"),
    ({"x": np.ones(2)}, "shape"),
    ({"x": "abc"}, "not an array"),
])
def test_solve_tangent_says_what_is_wrong(tangents, message):
    g = self_loop()
    with pytest.raises(adjoint.InvalidArgumentError, match=message):
        adjoint.solve_tangent(g, {"x": np.zeros(3)}, tangents)
