"""``adjoint.jacobian`` against ``autograd.jacobian``, and sparse Jacobians by colouring.

Each function is written once against a numpy-like module ``np_`` and run with
``adjoint.numpy`` and ``autograd.numpy``; Jacobians agree to 1e-10 in forward, reverse and
automatic mode. A fixed point's reference is autograd through the plain iteration unrolled
until it has converged (a contraction of rate < 0.5, 200 steps). Sparse Jacobians of graphs
must equal the dense reference, cost exactly one tangent pass per colour (counted), and a
banded or diagonal Jacobian must need only a few colours whatever its size.
"""

import autograd
import autograd.numpy as agnp
import numpy as np
import pytest
import scipy.sparse as sp

import adjoint
import adjoint.numpy as anp
import solvers

RNG = np.random.default_rng(60)
A = RNG.normal(size=(5, 3))
W = 0.35 * RNG.normal(size=(4, 4)) / 2
U = RNG.normal(size=(4, 3))


def tanh_fixed_point(np_, x, steps=200):
    if np_ is anp:
        return adjoint.fixed_point(lambda z, W, U, x: anp.tanh(W @ z + U @ x), np.zeros(4), W, U, x)
    z = agnp.zeros(4)
    for _ in range(steps):  # converged: the reference for the implicit derivative
        z = agnp.tanh(agnp.dot(W, z) + agnp.dot(U, x))
    return z


FUNCTIONS = {
    "wide: 3 -> 5": (lambda np_, x: np_.tanh(np_.dot(A, x)) * np_.sum(x ** 2), RNG.normal(size=3)),
    "tall: 5 -> 2": (lambda np_, x: np_.array([np_.sum(np_.sin(x)), np_.prod(x[:3])]), RNG.normal(size=5)),
    "square elementwise": (lambda np_, x: np_.exp(x) / (1 + x ** 2), RNG.normal(size=4)),
    "matrix argument": (lambda np_, M: np_.dot(M, M.T).ravel(), RNG.normal(size=(2, 3))),
    "scalar result": (lambda np_, x: np_.sum(np_.log1p(x ** 2)), RNG.normal(size=4)),
    "fixed point": (tanh_fixed_point, RNG.normal(size=3)),
    "fixed point, then a loss": (lambda np_, x: tanh_fixed_point(np_, x) ** 2 + np_.sum(x), RNG.normal(size=3)),
}


@pytest.mark.parametrize("mode", ["auto", "forward", "reverse"])
@pytest.mark.parametrize("name", FUNCTIONS)
def test_jacobian_matches_autograd(name, mode):
    fun, x = FUNCTIONS[name]
    ours = adjoint.jacobian(lambda x: fun(anp, x), mode=mode)(x)
    reference = autograd.jacobian(lambda x: fun(agnp, x))(x)
    assert ours.shape == reference.shape
    np.testing.assert_allclose(ours, reference, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("n_in, n_out, expected, passes", [
    (2, 6, "forward_substitute", 2), (6, 2, "back_substitute", 2), (4, 4, "forward_substitute", 4),
])
def test_jacobian_chooses_the_mode_with_fewer_passes(monkeypatch, n_in, n_out, expected, passes):
    import adjoint.tape.jvp as tangent

    used = []
    for name in ("forward_substitute", "back_substitute"):
        real = getattr(tangent, name)
        monkeypatch.setattr(tangent, name, lambda *a, _real=real, _name=name: used.append(_name) or _real(*a))
    B = np.ones((n_out, n_in))
    adjoint.jacobian(lambda x: anp.sin(B @ x))(np.ones(n_in))
    assert used == [expected] * passes


@pytest.mark.parametrize("call, message", [
    (lambda: adjoint.jacobian(anp.sin, argnum=(0, 1)), "one argnum"),
    (lambda: adjoint.jacobian(anp.sin, mode="sideways"), "unknown mode"),
    (lambda: adjoint.jacobian(lambda p: p[0] * p[1])([1.0, 2.0]), "one array"),
])
def test_jacobian_says_what_is_wrong(call, message):
    with pytest.raises(adjoint.InvalidArgumentError, match=message):
        call()


# --- sparse Jacobians of graphs --------------------------------------------------------------

def stencil(np_, x):
    """A banded Jacobian: a nonlinear 3-point stencil (bandwidth 1)."""
    return np_.sin(x[1:-1]) * (x[:-2] - 2 * x[1:-1] + x[2:]) + x[1:-1] ** 3


def wide_stencil(np_, x):
    """A 5-point stencil: each output reads five consecutive inputs."""
    return np_.tanh(x[4:] * x[:-4]) + x[1:-3] * x[3:-1] + np_.sin(x[2:-2])


def elementwise(np_, x):
    return np_.exp(np_.sin(x)) * x


def arrowhead(np_, x):
    """Every output depends on x[0]: one dense column, the rest diagonal: two colours."""
    return x[1:] ** 2 + np_.sin(x[0]) * x[1:]


def interleaved(np_, x):
    """Outputs from pairs (x[2k], x[2k+1]): block diagonal with 2-wide blocks."""
    return x[0::2] * np_.cos(x[1::2])


SPARSE = {  # function, input size, the most colours it may take
    "diagonal": (elementwise, 40, 1),
    "tridiagonal (3-point stencil)": (stencil, 40, 3),
    "5-point stencil": (wide_stencil, 40, 5),
    "arrowhead": (arrowhead, 30, 2),
    "block diagonal": (interleaved, 30, 2),
}


def traced(fun, n):
    x = np.random.default_rng(n).uniform(-1, 1, size=n)
    graph, inputs, output = adjoint.trace(lambda x: fun(anp, x), x)
    return graph, inputs, output, x


@pytest.mark.parametrize("name", SPARSE)
def test_sparse_jacobian_matches_autograd_with_few_colours(name):
    fun, n, most = SPARSE[name]
    graph, inputs, output, x = traced(fun, n)
    jac = adjoint.sparse_jacobian(graph, inputs, output)
    reference = autograd.jacobian(lambda x: fun(agnp, x))(x)
    np.testing.assert_allclose(jac.matrix.toarray(), reference, rtol=1e-10, atol=1e-12)
    assert 1 <= jac.n_colours <= most < n
    assert sp.issparse(jac.matrix) and jac.matrix.nnz <= jac.pattern.nnz < reference.size


@pytest.mark.parametrize("name", SPARSE)
def test_sparse_jacobian_does_one_tangent_pass_per_colour(monkeypatch, name):
    import adjoint.sparse_jacobians.coloured_jacobian as module

    fun, n, _ = SPARSE[name]
    graph, inputs, output, _ = traced(fun, n)
    passes = []
    real = module.tangent_pass
    monkeypatch.setattr(module, "tangent_pass", lambda *a: passes.append(1) or real(*a))
    jac = adjoint.sparse_jacobian(graph, inputs, output)
    assert len(passes) == jac.n_colours == jac.tangent_passes


def cyclic_elementwise():
    """z = 0.3 sin(z) p + x elementwise, y = z²: a cyclic block with diagonal Jacobians."""
    g = adjoint.ConstraintGraph()
    g.add_input("x")
    g.add_input("p")
    g.add_constraint("z", lambda z, x, p: 0.3 * anp.sin(z) * p + x, ["z", "x", "p"], init=np.zeros(25))
    g.add_constraint("y", lambda z: z ** 2, ["z"])
    return g


@pytest.mark.parametrize("linear", ["direct", "gmres", "fixed_point"])
def test_sparse_jacobian_through_a_cyclic_block_solves_once_per_colour(monkeypatch, linear):
    g = cyclic_elementwise()
    x, p = np.linspace(-1, 1, 25), np.full(25, 0.9)
    solves = []
    real = solvers.solve_linear
    monkeypatch.setattr(solvers, "solve_linear", lambda *a, **k: solves.append(a[0]) or real(*a, **k))
    jac = adjoint.sparse_jacobian(g, {"x": x, "p": p}, "y", linear=linear, rtol=1e-14)
    # x[j] and p[j] both reach only row j: two colours, for 50 columns
    assert jac.n_colours == 2 and solves.count(linear) == jac.n_colours
    z = adjoint.solve(g, {"x": x, "p": p}, rtol=1e-14).values["z"]
    dz_dx = 1 / (1 - 0.3 * np.cos(z) * p)
    dz_dp = 0.3 * np.sin(z) * dz_dx
    expected = np.hstack([np.diag(2 * z * dz_dx), np.diag(2 * z * dz_dp)])
    np.testing.assert_allclose(jac.matrix.toarray(), expected, rtol=1e-10, atol=1e-13)


def test_a_cycle_coupling_neighbours_fills_in_its_pattern():
    # (I - J_BB)⁻¹ of a tridiagonal J_BB is dense: every column meets every row.
    g = adjoint.ConstraintGraph()
    g.add_input("x")
    g.add_constraint("z", lambda z, x: 0.2 * (z[[5, 0, 1, 2, 3, 4]] + z[[1, 2, 3, 4, 5, 0]]) * anp.cos(z) + x, ["z", "x"],
                     init=np.zeros(6))
    jac = adjoint.sparse_jacobian(g, {"x": np.linspace(0, 1, 6)}, "z")
    assert jac.pattern.nnz == 36 and jac.n_colours == 6


def test_a_given_pattern_is_used_as_is():
    graph, inputs, output, x = traced(stencil, 12)
    first = adjoint.sparse_jacobian(graph, inputs, output)
    again = adjoint.sparse_jacobian(graph, inputs, output, pattern=first.pattern)
    np.testing.assert_array_equal(again.matrix.toarray(), first.matrix.toarray())
    with pytest.raises(adjoint.InvalidArgumentError, match="pattern has shape"):
        adjoint.sparse_jacobian(graph, inputs, output, pattern=np.ones((3, 3)))
