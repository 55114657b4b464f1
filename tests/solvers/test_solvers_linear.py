"""solve_linear: every method on every form of K, against a dense numpy.linalg.solve."""

import functools
import time

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as sla

from solvers import linear_methods, solve_linear
from solvers.errors import SolverSettingError

LINEAR_METHODS = linear_methods()

ITERATIVE = ("gmres", "bicgstab", "lgmres", "fixed_point")
RTOL = 1e-10


def random_sparse_with_spectral_radius(n, radius, seed, nonzeros_per_row=6):
    rng = np.random.default_rng(seed)
    K = sp.random_array((n, n), density=min(1.0, nonzeros_per_row / n), rng=rng,
                        format="csr")
    K.data -= 0.5  # entries of both signs: a nonsymmetric, nonnormal K
    if n > 200:
        largest = abs(sla.eigs(K, k=1, which="LM", return_eigenvectors=False)[0])
    else:
        largest = max(abs(np.linalg.eigvals(K.toarray())))
    return (K * (radius / largest)).tocsr()


def dense_nonsymmetric(n, radius, seed):
    rng = np.random.default_rng(seed)
    K = rng.standard_normal((n, n))
    return K * (radius / max(abs(np.linalg.eigvals(K))))


@functools.cache
def case(name):
    """Return (K in the form under test, K as a dense array, b)."""
    n, radius, form = {
        "sparse n=50 rho=0.5": (50, 0.5, "sparse"),
        "sparse n=50 rho=0.9": (50, 0.9, "sparse"),
        "sparse n=2000 rho=0.5": (2000, 0.5, "sparse"),
        "sparse n=2000 rho=0.9": (2000, 0.9, "sparse"),
        "dense nonsymmetric n=40": (40, 0.8, "dense-random"),
        "dense array n=50 rho=0.9": (50, 0.9, "dense"),
        "LinearOperator n=50 rho=0.9": (50, 0.9, "operator"),
        "callable n=50 rho=0.9": (50, 0.9, "callable"),
    }[name]
    if form == "dense-random":
        K_dense = dense_nonsymmetric(n, radius, seed=7)
        K = K_dense
    else:
        K_sparse = random_sparse_with_spectral_radius(n, radius, seed=n + int(10 * radius))
        K_dense = K_sparse.toarray()
        K = {
            "sparse": K_sparse,
            "dense": K_dense,
            "operator": sla.aslinearoperator(K_sparse),
            "callable": lambda v: K_sparse @ v,
        }[form]
    b = np.random.default_rng(n).standard_normal(n)
    return K, K_dense, b


@functools.cache
def reference(name):
    _, K_dense, b = case(name)
    return np.linalg.solve(np.eye(b.size) - K_dense, b)


def true_relative_residual(K_dense, b, x):
    return np.linalg.norm(b - (x - K_dense @ x)) / np.linalg.norm(b)


CASES = (
    "sparse n=50 rho=0.5",
    "sparse n=50 rho=0.9",
    "sparse n=2000 rho=0.5",
    "sparse n=2000 rho=0.9",
    "dense nonsymmetric n=40",
    "dense array n=50 rho=0.9",
    "LinearOperator n=50 rho=0.9",
    "callable n=50 rho=0.9",
)
MATRIX_FREE = ("LinearOperator n=50 rho=0.9", "callable n=50 rho=0.9")
TABLE = [
    (name, method)
    for name in CASES
    for method in ("direct",) + ITERATIVE
    if not (method == "direct" and name in MATRIX_FREE)
]


@pytest.mark.parametrize("name, method", TABLE)
def test_solution_matches_dense_solve(name, method):
    K, K_dense, b = case(name)
    x, report = solve_linear(method, K, b, rtol=RTOL)
    expected = reference(name)
    error = np.linalg.norm(x - expected) / np.linalg.norm(expected)
    assert error <= (1e-10 if method == "direct" else 1e-8)
    assert report.converged, report.reason
    assert report.reason.startswith("converged")
    assert report.method == method
    assert report.exact
    residual = true_relative_residual(K_dense, b, x)
    assert residual <= RTOL
    assert report.residual <= RTOL
    assert report.residual == pytest.approx(residual, rel=1e-6, abs=1e-15)
    assert 1 <= report.iterations <= 1000
    assert report.evaluations >= (1 if method == "direct" else report.iterations)


@pytest.mark.parametrize("name", MATRIX_FREE)
def test_direct_refuses_matrix_free_K(name):
    K, _, b = case(name)
    with pytest.raises(ValueError, match="iterative method"):
        solve_linear("direct", K, b)


@pytest.mark.parametrize("k", [0, 1, 5, 10])
@pytest.mark.parametrize("name", ["sparse n=50 rho=0.9", "callable n=50 rho=0.9"])
def test_neumann_is_the_truncated_sum_of_powers(name, k):
    K, K_dense, b = case(name)
    x, report = solve_linear("neumann", K, b, k=k)
    powers = [np.linalg.matrix_power(K_dense, m) @ b for m in range(k + 1)]
    np.testing.assert_allclose(x, np.sum(powers, axis=0), rtol=1e-12, atol=1e-12)
    assert report.exact is False
    assert report.converged
    assert report.iterations == k
    assert len(report.residuals) == k
    assert report.residual == pytest.approx(true_relative_residual(K_dense, b, x), rel=1e-9)
    # the residual of a truncated Neumann sum is the next power
    next_power = np.linalg.matrix_power(K_dense, k + 1) @ b
    assert report.residual == pytest.approx(
        np.linalg.norm(next_power) / np.linalg.norm(b), rel=1e-9)


def test_neumann_default_is_ten_terms():
    K, _, b = case("sparse n=50 rho=0.5")
    _, report = solve_linear("neumann", K, b)
    assert report.iterations == 10 and not report.exact


@pytest.mark.parametrize("method", LINEAR_METHODS)
def test_zero_right_hand_side_returns_zero_at_once(method):
    K, _, _ = case("sparse n=50 rho=0.9")
    x, report = solve_linear(method, K, np.zeros(50))
    assert np.array_equal(x, np.zeros(50))
    assert report.converged and report.iterations == 0 and report.evaluations == 0
    assert report.residual == 0.0


@pytest.mark.parametrize("K", [sp.identity(4, format="csr"), np.eye(4)],
                         ids=["sparse", "dense"])
def test_direct_on_singular_system_raises(K):
    with pytest.raises(np.linalg.LinAlgError, match="I - K is singular"):
        solve_linear("direct", K, np.ones(4))


def test_fixed_point_with_spectral_radius_above_one_stops_as_not_converged():
    _, K_dense, b = case("sparse n=50 rho=0.9")
    K = K_dense * (1.5 / 0.9)
    start = time.perf_counter()
    x, report = solve_linear("fixed_point", K, b)
    assert time.perf_counter() - start < 5
    assert not report.converged
    assert "diverged" in report.reason or "maxiter" in report.reason
    assert np.all(np.isfinite(x))
    assert report.residual == pytest.approx(true_relative_residual(K, b, x), rel=1e-9)


@pytest.mark.parametrize("method", ITERATIVE)
def test_tiny_budget_reports_non_convergence_with_its_residual(method):
    K, K_dense, b = case("sparse n=2000 rho=0.9")
    x, report = solve_linear(method, K, b, maxiter=2)
    assert not report.converged
    assert report.iterations <= 2
    assert report.reason.startswith("maxiter reached")
    assert report.residual > RTOL
    assert report.residual == pytest.approx(true_relative_residual(K_dense, b, x), rel=1e-9)


def test_gmres_budget_is_exact_across_restarts():
    K, _, b = case("sparse n=2000 rho=0.9")
    _, report = solve_linear("gmres", K, b, maxiter=27, restart=10)
    assert report.iterations == 27 and not report.converged
    assert len(report.residuals) == 27


def test_fixed_point_callback_once_per_iteration_with_decreasing_residuals():
    K, _, b = case("sparse n=50 rho=0.5")
    calls = []
    _, report = solve_linear("fixed_point", K, b,
                             callback=lambda k, x, r: calls.append((k, x.copy(), r)))
    assert [k for k, _, _ in calls] == list(range(1, report.iterations + 1))
    residuals = [r for _, _, r in calls]
    assert residuals == report.residuals
    assert all(later < earlier for earlier, later in zip(residuals, residuals[1:]))
    assert residuals[-1] == report.residual


def test_gmres_callback_once_per_step_with_nonincreasing_estimates():
    K, _, b = case("sparse n=50 rho=0.9")
    calls = []
    _, report = solve_linear("gmres", K, b, callback=lambda k, x, r: calls.append((k, x, r)))
    assert [k for k, _, _ in calls] == list(range(1, report.iterations + 1))
    assert all(x is None for _, x, _ in calls)
    estimates = [r for _, _, r in calls]
    assert all(later <= earlier * (1 + 1e-12) for earlier, later in zip(estimates, estimates[1:]))


@pytest.mark.parametrize("method", ["bicgstab", "lgmres"])
def test_krylov_callbacks_carry_iterates_and_true_residuals(method):
    K, K_dense, b = case("sparse n=50 rho=0.9")
    calls = []
    solve_linear(method, K, b, callback=lambda k, x, r: calls.append((k, x.copy(), r)))
    assert calls
    for _, x, r in calls:
        assert r == pytest.approx(true_relative_residual(K_dense, b, x), rel=1e-9)
    assert [k for k, _, _ in calls] == sorted({k for k, _, _ in calls})


def test_damped_fixed_point_and_starting_point():
    K, _, b = case("sparse n=50 rho=0.5")
    expected = reference("sparse n=50 rho=0.5")
    x, report = solve_linear("fixed_point", K, b, damping=0.5, x0=expected)
    assert report.converged and report.iterations == 0
    x, report = solve_linear("fixed_point", K, b, damping=0.5)
    assert report.converged
    np.testing.assert_allclose(x, expected, rtol=1e-8)


@pytest.mark.parametrize("method", LINEAR_METHODS)
def test_input_vectors_are_not_modified_or_aliased(method):
    K, _, b = case("sparse n=50 rho=0.5")
    b_before, x0 = b.copy(), np.zeros(50)
    x, _ = solve_linear(method, K, b, x0=x0)
    assert x is not b and x is not x0
    assert np.array_equal(b, b_before) and not x0.any()


@pytest.mark.parametrize("ordering", ["COLAMD", "MMD_AT_PLUS_A", "MMD_ATA", "NATURAL"])
def test_direct_takes_each_superlu_ordering(ordering):
    rng = np.random.default_rng(5)
    n = 60
    K = sp.random_array((n, n), density=0.05, random_state=rng) * 0.3
    b = rng.standard_normal(n)
    x, report = solve_linear("direct", K, b, permc_spec=ordering)
    assert report.converged
    np.testing.assert_allclose(x, np.linalg.solve(np.eye(n) - K.toarray(), b), rtol=1e-12, atol=1e-12)


def test_direct_refuses_an_unknown_ordering_by_name():
    with pytest.raises(SolverSettingError, match="permc_spec must be one of 'COLAMD'.*got 'AMD'"):
        solve_linear("direct", np.zeros((2, 2)), np.ones(2), permc_spec="AMD")
