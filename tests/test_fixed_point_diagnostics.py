"""Fixed-point diagnostics: Hutchinson estimates of ``‖∂f/∂z‖_F²`` and spectral radii.

The estimators are random; with a fixed seed they are reproducible, and each is held to
its own standard error (4σ: a fluke once in ~16,000 seeds) against the exact Frobenius norm
of the dense Jacobian. Spectral radii in the reports are checked against
``numpy.linalg.eigvals`` of the reduced Jacobian ``∂F/∂T`` built densely.
"""

import numpy as np
import pytest

import adjoint
import adjoint.numpy as anp
from adjoint.graph.cyclic.spectral import spectral_radius

RNG = np.random.default_rng(66)
W4 = 0.5 * RNG.normal(size=(4, 4)) / 2
U4 = RNG.normal(size=(4, 3))
X3 = RNG.normal(size=3)
A23 = RNG.normal(size=(2, 3))


def layer(z, W, U, x):
    return anp.tanh(W @ z + U @ x)


def batch_layer(Z, W, X):
    return anp.tanh(Z @ W.T + X)


def z_star(W, U=U4, x=X3):
    return adjoint.fixed_point(layer, np.zeros(len(W)), W, U, x, rtol=1e-13)


Z_BATCH = adjoint.fixed_point(batch_layer, np.zeros((5, 4)), W4, RNG.normal(size=(5, 4)))

CASES = {  # f, z, params, exact ‖∂f/∂z‖_F²
    "linear, square": (lambda z, A: A @ z, np.zeros(4), (W4,), np.sum(W4 ** 2)),
    "linear, 3 -> 2": (lambda z, A: A @ z, np.zeros(3), (A23,), np.sum(A23 ** 2)),
    "tanh layer at its fixed point": (
        layer, z_star(W4), (W4, U4, X3), np.sum(((1 - z_star(W4) ** 2)[:, None] * W4) ** 2)),
    "batch of 5 at its fixed point": (
        batch_layer, Z_BATCH, (W4, RNG.normal(size=(5, 4))), None),
}


def exact_frobenius(name):
    f, z, params, exact = CASES[name]
    if exact is None:  # the dense Jacobian, from adjoint.jacobian (checked against autograd elsewhere)
        J = adjoint.jacobian(lambda z: f(z, *params))(z)
        exact = np.sum(J ** 2)
    return exact


@pytest.mark.parametrize("name", CASES)
def test_hutchinson_estimate_agrees_with_the_exact_frobenius_norm(name):
    f, z, params, _ = CASES[name]
    exact = exact_frobenius(name)
    est = adjoint.frobenius_estimate(f, z, *params, samples=3000, seed=7)
    assert abs(est.value - exact) <= 4 * est.standard_error
    assert abs(est.value - exact) <= 0.05 * exact
    assert est.samples == 3000 and float(est) == est.value


def test_hutchinson_estimate_is_reproducible_with_a_seed_and_not_without():
    f, z, params, _ = CASES["tanh layer at its fixed point"]
    same = [adjoint.frobenius_estimate(f, z, *params, samples=5, seed=3).value for _ in range(2)]
    fresh = {adjoint.frobenius_estimate(f, z, *params, samples=5, seed=None).value for _ in range(6)}
    assert same[0] == same[1] and len(fresh) > 1


@pytest.mark.parametrize("name", CASES)
def test_penalty_is_hutchinson_with_exact_jvps(name):
    f, z, params, _ = CASES[name]
    penalty = adjoint.jacobian_penalty(f, z, *params, samples=4, seed=11)
    J = adjoint.jacobian(lambda z: f(z, *params))(z).reshape(-1, np.size(z))
    rng = np.random.default_rng(11)
    probes = [rng.choice([-1.0, 1.0], size=np.shape(z)).ravel() for _ in range(4)]
    assert np.isclose(penalty, np.mean([np.sum((J @ v) ** 2) for v in probes]), rtol=1e-12)


@pytest.mark.parametrize("name", CASES)
def test_penalty_agrees_with_the_exact_frobenius_norm_on_average(name):
    f, z, params, _ = CASES[name]
    assert np.isclose(adjoint.jacobian_penalty(f, z, *params, samples=3000, seed=5), exact_frobenius(name), rtol=0.05)


def penalty_at_fixed_point(Wflat):
    W = Wflat.reshape(4, 4)
    z = adjoint.fixed_point(layer, np.zeros(4), W, U4, X3, rtol=1e-13)
    return adjoint.jacobian_penalty(layer, z, W, U4, X3, samples=3, seed=2)


@pytest.mark.parametrize("fun, x", [
    ("through the fixed point", W4.ravel()),
    ("at a fixed z", W4.ravel()),
])
def test_penalty_gradient_matches_finite_differences(fun, x):
    if fun == "at a fixed z":
        z = z_star(W4)
        f = lambda w: adjoint.jacobian_penalty(layer, z, w.reshape(4, 4), U4, X3, samples=3, seed=2)  # noqa: E731
    else:
        f = penalty_at_fixed_point
    adjoint.check_grads(f, x, directions=4, eps=1e-5, rtol=1e-5)


def test_penalty_is_a_usable_regulariser_its_gradient_shrinks_the_jacobian():
    W = W4.copy()
    before = exact_frobenius("tanh layer at its fixed point")
    for _ in range(30):
        W = W - 0.05 * adjoint.grad(lambda w: penalty_at_fixed_point(w.ravel()))(W)
    z = z_star(W)
    after = np.sum(((1 - z ** 2)[:, None] * W) ** 2)
    assert after < 0.75 * before


@pytest.mark.parametrize("samples", [0, 1.5, "3"])
def test_estimators_reject_a_bad_number_of_samples(samples):
    with pytest.raises(ValueError, match="samples"):
        adjoint.frobenius_estimate(layer, np.zeros(4), W4, U4, X3, samples=samples)
    with pytest.raises(ValueError, match="samples"):
        adjoint.jacobian_penalty(layer, np.zeros(4), W4, U4, X3, samples=samples)


# --- spectral radius ---------------------------------------------------------------------------

ROTATION = 0.8 * np.array([[0.0, -1.0, 0, 0], [1.0, 0.0, 0, 0], [0, 0, 0.3, 0], [0, 0, 0.1, -0.2]])
SYMMETRIC = 0.3 * (W4 + W4.T)


def spike(n=60):
    rng = np.random.default_rng(1)
    u = rng.normal(size=n)
    u /= np.linalg.norm(u)
    return 0.25 * rng.normal(size=(n, n)) / np.sqrt(n) + 0.85 * np.outer(u, u)


@pytest.mark.parametrize("W", [W4, ROTATION, SYMMETRIC, spike()],
                         ids=["non-symmetric", "complex dominant pair", "symmetric", "n=60, default 20 steps"])
def test_fixed_point_report_carries_the_spectral_radius_of_df_dz(W):
    n = len(W)
    U, x = np.ones((n, 3)), np.array([0.1, -0.2, 0.3])

    def loss(x):
        z = adjoint.fixed_point(layer, np.zeros(n), W, U, x)
        reports.extend(z.tape.reports)
        return anp.sum(z)

    reports = []
    adjoint.grad(loss)(x)
    z = adjoint.fixed_point(layer, np.zeros(n), W, U, x)
    exact = np.max(np.abs(np.linalg.eigvals((1 - z ** 2)[:, None] * W)))
    (report,) = reports
    assert report.spectral_radius == pytest.approx(exact, rel=1e-8)


def test_graph_report_carries_the_spectral_radius_of_the_reduced_jacobian():
    g = adjoint.ConstraintGraph()
    g.add_input("x")
    g.add_input("p")
    g.add_constraint("a", lambda c, x: 0.9 * anp.sin(c) + x, ["c", "x"], init=np.zeros(3))
    g.add_constraint("b", lambda a, p: anp.tanh(a * p), ["a", "p"])
    g.add_constraint("c", lambda b, a: 0.6 * b - 0.5 * a[::-1], ["b", "a"])
    inputs = {"x": np.array([0.2, 0.5, -0.1]), "p": np.array([1.5, -0.7, 0.9])}
    sol = adjoint.solve(g, inputs, forward="newton")
    (report,) = sol.blocks
    assert report.iterates == ("a",)

    def F(a):  # the block's map on its iterate, written out
        return 0.9 * anp.sin(0.6 * anp.tanh(a * inputs["p"]) - 0.5 * a[::-1]) + inputs["x"]

    exact = np.max(np.abs(np.linalg.eigvals(adjoint.jacobian(F)(sol.values["a"]))))
    assert report.spectral_radius == pytest.approx(exact, rel=1e-10)


def test_spectral_radius_is_estimated_on_first_access_only():
    g = adjoint.ConstraintGraph()
    g.add_input("x")
    g.add_constraint("z", lambda z, x: 0.5 * anp.cos(z) + x, ["z", "x"], init=0.0)
    sol = adjoint.solve(g, {"x": 1.0})
    (report,) = sol.blocks
    assert report._spectral_radius is None  # the default costs nothing
    assert report.spectral_radius == pytest.approx(0.5 * abs(np.sin(sol.values["z"])), rel=1e-12)
    assert report._spectral_radius is not None


@pytest.mark.parametrize("A", [
    np.diag([0.9, -0.5, 0.1]),
    np.array([[0.0, -0.9], [0.9, 0.0]]),
    np.zeros((3, 3)),
    np.array([[0.5, 1.0], [0.0, 0.5]]),  # defective: a Jordan block
    np.random.default_rng(0).normal(size=(8, 8)),
], ids=["diagonal", "rotation", "zero", "Jordan block", "random 8x8"])
def test_arnoldi_estimate_is_exact_on_small_matrices(A):
    assert spectral_radius(A) == pytest.approx(np.max(np.abs(np.linalg.eigvals(A))), rel=1e-7, abs=1e-14)
