"""Singular points: derivatives refused at a fold, given where the problem is merely ill-conditioned.

The fold ``z = z²/4 + x`` (the root ``F = z²/4 - z + x``) has the solution
``z = 2 (1 - √(1 - x))`` for ``x <= 1`` and ``dz/dx = 1 / √(1 - x)``: at ``x = 1`` the two
branches meet, ``1 - ∂f/∂z = 1 - z/2`` vanishes and no derivative exists, which must raise
``SingularSystemError`` (not return a huge number); past it (``x = 1.001``) there is no solution
at all and the forward solve raises ``ConvergenceError``. Close to the fold (``x = 0.9999``,
gradient 100) and on a linear fixed point ``z = a z + x`` with ``1 - a = 1e-6`` (gradient 1e6,
exactly) the system is regular and the derivative is given. A Neumann adjoint on a block that
does not contract (``z = 1.5 z + x``) diverges and says so; on one that does, it truncates.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

import adjoint
import adjoint.numpy as anp

FOLD_FORWARD = ("auto", "anderson", "newton")
FOLD_ADJOINT = ("direct", "gmres", "neumann")


def fold_map(z, x):
    return z**2 / 4 + x


def fold_residual(z, x):
    return z**2 / 4 - z + x


def fold_fixed_point(forward="auto", adjoint_method="direct"):
    return lambda x: adjoint.fixed_point(fold_map, 0.0, x, forward=forward, adjoint=adjoint_method)


def fold_root(forward="newton", adjoint_method="auto"):
    return lambda x: adjoint.root(fold_residual, 0.0, x, forward=forward, adjoint=adjoint_method)


def fold_solution(x):
    return 2 * (1 - np.sqrt(1 - x))


# --- at the fold -------------------------------------------------------------------------------
@pytest.mark.parametrize("adjoint_method", FOLD_ADJOINT)
@pytest.mark.parametrize("forward", FOLD_FORWARD)
def test_fixed_point_at_the_fold(forward, adjoint_method):
    f = fold_fixed_point(forward, adjoint_method)
    assert abs(f(1.0) - 2.0) < 1e-4  # the value exists (converging slowly onto the double root)
    with pytest.raises(adjoint.SingularSystemError, match="singular"):
        adjoint.grad(f)(1.0)
    with pytest.raises(adjoint.SingularSystemError, match="singular"):
        adjoint.make_jvp(f)(1.0)(1.0)
    with pytest.raises(adjoint.SingularSystemError):
        adjoint.jvp(f)(1.0, 1.0)


@pytest.mark.parametrize("adjoint_method", ("auto", "direct", "gmres"))
@pytest.mark.parametrize("forward", ("newton", "newton_krylov"))
def test_root_at_the_fold(forward, adjoint_method):
    f = fold_root(forward, adjoint_method)
    assert abs(f(1.0) - 2.0) < 1e-4
    with pytest.raises(adjoint.SingularSystemError, match="singular"):
        adjoint.grad(f)(1.0)
    with pytest.raises(adjoint.SingularSystemError, match="singular"):
        adjoint.make_jvp(f)(1.0)(1.0)


def test_fold_through_a_loss_and_a_second_parameter():
    """The fold is refused whatever sits around it: a loss after it, a parameter that is not at fault."""
    def loss(x, c):
        return anp.sin(adjoint.root(lambda z, x, c: z**2 / 4 - z + x * c, 0.0, x, c)) * c

    with pytest.raises(adjoint.SingularSystemError):
        adjoint.grad(loss, 1)(1.0, 1.0)


# --- past the fold --------------------------------------------------------------------------------
@pytest.mark.parametrize("forward", FOLD_FORWARD)
def test_fixed_point_past_the_fold_does_not_converge(forward):
    with pytest.raises(adjoint.ConvergenceError, match="did not converge"):
        fold_fixed_point(forward)(1.001)


def test_root_past_the_fold_does_not_converge():
    with pytest.raises(adjoint.ConvergenceError, match="did not converge"):
        fold_root()(1.001)
    with pytest.raises(adjoint.ConvergenceError):
        adjoint.grad(fold_root())(1.001)


# --- regular, if ill-conditioned ----------------------------------------------------------------
@pytest.mark.parametrize("adjoint_method", ("direct", "gmres"))
@pytest.mark.parametrize("forward", ("auto", "newton"))
def test_near_the_fold_the_gradient_is_given(forward, adjoint_method):
    x = 0.9999
    for f in (fold_fixed_point(forward, adjoint_method), fold_root("newton", adjoint_method)):
        assert_allclose(f(x), fold_solution(x), rtol=1e-7)
        assert_allclose(adjoint.grad(f)(x), 1 / np.sqrt(1 - x), rtol=1e-6)  # 100
        assert_allclose(adjoint.make_jvp(f)(x)(1.0)[1], 1 / np.sqrt(1 - x), rtol=1e-6)


@pytest.mark.parametrize("adjoint_method", ("direct", "gmres"))
def test_ill_conditioned_linear_fixed_point(adjoint_method):
    """``z = a z + x`` with ``1 - a = 1e-6``: ``dz/dx = 1 / (1 - a)`` exactly, a million."""
    a = 1 - 1e-6

    def f(x):
        return adjoint.fixed_point(lambda z, x: a * z + x, 0.0, x, forward="newton", adjoint=adjoint_method)

    assert_allclose(f(1.0), 1 / (1 - a), rtol=1e-6)
    assert_allclose(adjoint.grad(f)(1.0), 1 / (1 - a), rtol=1e-6)
    assert_allclose(adjoint.make_jvp(f)(1.0)(1.0)[1], 1 / (1 - a), rtol=1e-6)
    # and as a root, a z + x - z = 0
    r = adjoint.root(lambda z, x: (a - 1) * z + x, 0.0, 1.0)
    assert_allclose(r, 1 / (1 - a), rtol=1e-6)
    assert_allclose(adjoint.grad(lambda x: adjoint.root(lambda z, x: (a - 1) * z + x, 0.0, x))(1.0), 1 / (1 - a),
                    rtol=1e-6)


def test_ill_conditioned_vector_fixed_point():
    """A 2×2 linear map with one eigenvalue 1 - 1e-6: the dense solve's gradient, to 1e-6."""
    rng = np.random.default_rng(0)
    V = rng.normal(size=(2, 2)) + 2 * np.eye(2)
    K = V @ np.diag([1 - 1e-6, 0.3]) @ np.linalg.inv(V)
    w = np.array([1.0, -0.5])

    def J(x):
        return anp.dot(w, adjoint.fixed_point(lambda z, x: anp.dot(K, z) + x, np.zeros(2), x, forward="newton",
                                              adjoint="direct"))

    expected = np.linalg.solve((np.eye(2) - K).T, w)
    assert_allclose(adjoint.grad(J)(np.array([0.3, 0.2])), expected, rtol=1e-6)


# --- Neumann on a block that does not contract -------------------------------------------------
def linear_graph(a):
    g = adjoint.ConstraintGraph()
    g.add_input("x")
    g.add_constraint("z", lambda z, x: a * z + x, ["z", "x"], init=0.0)
    return g


def test_neumann_on_a_non_contractive_block_raises():
    with pytest.raises(adjoint.ConvergenceError, match="(?s)neumann.*diverged"):
        adjoint.solve(linear_graph(1.5), {"x": 1.0}, "z", forward="newton", adjoint="neumann")
    f = lambda x: adjoint.fixed_point(lambda z, x: 1.5 * z + x, 0.0, x, forward="newton", adjoint="neumann")  # noqa: E731
    assert_allclose(f(1.0), -2.0, rtol=1e-12)  # the forward solve, by Newton, is fine
    with pytest.raises(adjoint.ConvergenceError, match="diverged"):
        adjoint.grad(f)(1.0)


def test_neumann_on_a_non_contractive_block_warns_with_throw_false():
    with pytest.warns(adjoint.ConvergenceWarning, match="diverged"):
        sol = adjoint.solve(linear_graph(1.5), {"x": 1.0}, "z", forward="newton", adjoint="neumann", throw=False)
    (report,) = sol.blocks
    assert report.forward.converged
    assert report.adjoint.converged is False and report.adjoint.code == "diverged"
    assert report.converged is False
    assert report.adjoint.residual >= 1

    reports = []

    def J(x):
        z, report = adjoint.fixed_point(lambda z, x: 1.5 * z + x, 0.0, x, forward="newton", adjoint="neumann",
                                        throw=False, full_output=True)
        reports.append(report)
        return z

    with pytest.warns(adjoint.ConvergenceWarning, match="diverged"):
        adjoint.grad(J)(1.0)
    assert reports[0].adjoint.converged is False and reports[0].adjoint.code == "diverged"


@pytest.mark.parametrize("k", [3, 10])
def test_neumann_on_a_contractive_block_truncates(k):
    """``z = z/2 + x``: the series ``Σ_{j<=k} 2^-j`` exactly, and a report that converged ("truncated")."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", adjoint.ConvergenceWarning)
        sol = adjoint.solve(linear_graph(0.5), {"x": 1.0}, "z", forward="newton", adjoint="neumann",
                            adjoint_options={"k": k})
    (report,) = sol.blocks
    assert report.adjoint.converged is True and report.adjoint.code == "truncated"
    assert report.converged and not report.exact
    assert_allclose(sol.gradient["x"], sum(0.5**j for j in range(k + 1)), rtol=1e-14)

    reports = []

    def J(x):
        z, report = adjoint.fixed_point(lambda z, x: 0.5 * z + x, 0.0, x, forward="newton", adjoint="neumann",
                                        adjoint_options={"k": k}, full_output=True)
        reports.append(report)
        return z

    assert_allclose(adjoint.grad(J)(1.0), sum(0.5**j for j in range(k + 1)), rtol=1e-14)
    assert reports[0].adjoint.converged is True and reports[0].adjoint.code == "truncated"
