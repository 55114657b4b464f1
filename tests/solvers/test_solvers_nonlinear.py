"""solve_fixed_point: every method on every case, checked through the residual."""

import time

import numpy as np
import pytest
import scipy.sparse as sp

from solvers import nonlinear_methods, solve_fixed_point

NONLINEAR_METHODS = nonlinear_methods()


def cosine_case():
    """z = cos(z) / 2 + x, elementwise: a contraction with factor 1/2."""
    x = np.linspace(-1.0, 1.0, 5)
    return dict(
        F=lambda z: np.cos(z) / 2 + x,
        jacobian=lambda z: sp.diags_array(-np.sin(z) / 2),
        jvp=lambda z, v: -np.sin(z) / 2 * v,
        z0=np.zeros(5),
    )


def bratu_case(side=10, lam=2.0):
    """-Laplace(u) = lam exp(u) on the unit square, zero on the boundary, as a Jacobi sweep.

    u_ij = (sum of the 4 neighbours + h^2 lam exp(u_ij)) / 4: a fixed-point map with a
    sparse Jacobian (neighbours + diagonal) / 4.
    """
    h = 1.0 / (side + 1)
    path = sp.diags_array([np.ones(side - 1), np.ones(side - 1)], offsets=[-1, 1])
    neighbours = (sp.kron(path, sp.identity(side)) + sp.kron(sp.identity(side), path)).tocsr()
    source = h * h * lam
    return dict(
        F=lambda u: (neighbours @ u + source * np.exp(u)) / 4,
        jacobian=lambda u: ((neighbours + sp.diags_array(source * np.exp(u))) / 4).tocsr(),
        jvp=lambda u, v: (neighbours @ v + source * np.exp(u) * v) / 4,
        z0=np.zeros(side * side),
    )


def tanh_case(n=30):
    """z = tanh(W z + c) with ||W||_2 = 0.9: a deep-equilibrium layer.

    W is symmetric, so its spectrum spreads over [-0.9, 0.9], where acceleration pays
    off (a Gaussian W has a disk spectrum, on which Anderson, like GMRES, gains little).
    """
    rng = np.random.default_rng(3)
    A = rng.standard_normal((n, n))
    W = (A + A.T) / 2
    W *= 0.9 / np.linalg.norm(W, 2)
    c = 0.5 * rng.standard_normal(n)
    return dict(
        F=lambda z: np.tanh(W @ z + c),
        jacobian=lambda z: (1 - np.tanh(W @ z + c) ** 2)[:, None] * W,
        jvp=lambda z, v: (1 - np.tanh(W @ z + c) ** 2) * (W @ v),
        z0=np.zeros(n),
    )


CASES = {"cosine": cosine_case, "bratu": bratu_case, "tanh": tanh_case}
RTOL, ATOL = 1e-10, 1e-12


def solve(method, case, **kwargs):
    return solve_fixed_point(method, case["F"], case["z0"], jacobian=case["jacobian"],
                             jvp=case["jvp"], **kwargs)


@pytest.mark.parametrize("method", NONLINEAR_METHODS)
@pytest.mark.parametrize("name", CASES)
def test_fixed_point_is_found(name, method):
    case = CASES[name]()
    z, report = solve(method, case)
    assert report.converged, report.reason
    assert report.reason.startswith("converged")
    residual = np.linalg.norm(case["F"](z) - z)
    assert residual <= max(RTOL * np.linalg.norm(z), ATOL)
    assert report.residual == pytest.approx(residual / np.linalg.norm(z), rel=1e-6, abs=1e-16)
    assert len(report.residuals) == report.iterations
    assert report.evaluations > report.iterations


def test_cosine_fixed_point_is_the_analytic_one():
    # z = cos(z)/2 + x elementwise, so each entry solves a scalar equation: check by bisection
    case = cosine_case()
    z, _ = solve("newton", case)
    x = np.linspace(-1.0, 1.0, 5)
    for zi, xi in zip(z, x):
        lo, hi = -5.0, 5.0
        for _ in range(200):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if np.cos(mid) / 2 + xi - mid > 0 else (lo, mid)
        assert zi == pytest.approx(lo, abs=1e-12)


def test_anderson_needs_fewer_iterations_than_picard_on_tanh():
    case = tanh_case()
    _, picard = solve("fixed_point", case)
    _, anderson = solve("anderson", case)
    assert picard.converged and anderson.converged
    assert anderson.iterations < picard.iterations


def test_newton_converges_quadratically_on_bratu():
    _, report = solve("newton", bratu_case())
    assert report.iterations <= 6


@pytest.mark.parametrize("method", NONLINEAR_METHODS)
def test_map_without_fixed_point_stops_promptly(method):
    n = 3
    start = time.perf_counter()
    z, report = solve_fixed_point(method, lambda z: z + 1, np.zeros(n),
                                  jacobian=lambda z: sp.identity(n, format="csr"),
                                  jvp=lambda z, v: v)
    assert time.perf_counter() - start < 5
    assert not report.converged
    assert report.reason
    assert np.all(np.isfinite(z))
    expected = {
        "fixed_point": "maxiter reached",
        "anderson": "maxiter reached",
        "newton": "singular Jacobian at iteration 1",
        "newton_krylov": "linear solve failed at iteration 1",
    }[method]
    assert report.reason.startswith(expected)


@pytest.mark.parametrize("method", NONLINEAR_METHODS)
def test_nan_at_the_start_is_reported_as_divergence(method):
    def F(z):
        with np.errstate(invalid="ignore"):
            return np.sqrt(z - 1.0)

    z, report = solve_fixed_point(method, F, np.zeros(2), jacobian=lambda z: np.eye(2),
                                  jvp=lambda z, v: v)
    assert not report.converged
    assert report.reason == "diverged: non-finite residual at iteration 0"
    assert np.array_equal(z, np.zeros(2))


@pytest.mark.parametrize("method", ["fixed_point", "anderson"])
def test_nan_later_is_reported_with_its_iteration(method):
    F = lambda z: np.where(z > 2.5, np.nan, z + 1)  # noqa: E731
    z, report = solve_fixed_point(method, F, np.zeros(2))
    assert not report.converged
    assert report.reason.startswith("diverged: non-finite residual at iteration")
    assert np.all(np.isfinite(z))


def test_exploding_map_is_stopped_as_diverged():
    z, report = solve_fixed_point("fixed_point", lambda z: 3 * z + 1, np.zeros(2))
    assert not report.converged
    assert report.reason.startswith("diverged: residual grew")
    assert report.iterations < 100


def test_nonlinear_fixed_point_callback_once_per_iteration():
    case = cosine_case()
    calls = []
    _, report = solve("fixed_point", case, callback=lambda k, z, r: calls.append((k, r)))
    assert [k for k, _ in calls] == list(range(1, report.iterations + 1))
    assert [r for _, r in calls] == report.residuals


def test_options_reach_the_methods():
    case = tanh_case()
    _, damped = solve("fixed_point", case, damping=0.5)
    _, plain = solve("fixed_point", case)
    assert damped.converged and damped.iterations > plain.iterations
    _, memoryless = solve("anderson", case, memory=0)
    assert memoryless.iterations == plain.iterations
    _, fixed_forcing = solve("newton_krylov", case, forcing=1e-3)
    assert fixed_forcing.converged
    _, no_search = solve("newton", case, line_search=False)
    assert no_search.converged


def test_newton_on_singular_jacobian_reports_the_iteration():
    z, report = solve_fixed_point("newton", lambda z: z ** 2 + 1.0, np.zeros(1),
                                  jacobian=lambda z: np.array([[2.0 * z[0] + 1.0]]) - 0.0 * z)
    # (I - J) = 1 - (2 z + 1) = -2 z, singular at z = 0
    assert not report.converged
    assert report.reason.startswith("singular Jacobian at iteration 1")


@pytest.mark.parametrize("method", ["fixed_point", "anderson"])
@pytest.mark.parametrize("damping", [1.0, 0.7])
def test_a_map_writing_into_one_buffer_gets_the_right_fixed_point(method, damping):
    buffer = np.empty(5)

    def F(z):
        np.multiply(np.cos(z), 0.5, out=buffer)  # the same array at every call
        return buffer

    options = {"damping": damping} if method == "fixed_point" else {}
    z, report = solve_fixed_point(method, F, np.zeros(5), rtol=1e-12, **options)
    assert report.converged
    assert np.max(np.abs(z - 0.5 * np.cos(z))) < 1e-11
    assert report.iterations > 3  # not a false convergence on a residual of zero
