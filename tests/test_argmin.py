"""``adjoint.argmin``: minimisers and hypergradients against closed forms and autograd.

Unconstrained: a table of inner problems — a quadratic (``z* = Q⁻¹ θ``), ridge regression with
a penalty per feature (hypergradient ``-w ⊙ K⁻¹ ∇_w L``), logistic regression (autograd, HIPS,
differentiating a Newton iteration unrolled until converged) and a smooth non-quadratic
``Σ cosh(z - θ) + ½ zᵀ C z`` (the implicit function theorem solved densely with numpy) —
crossed with the methods ``newton``, ``trust-ncg`` and ``lbfgs``. Second derivatives of the
outer loss are compared with central differences of the reference's first derivative.

Constrained (``constraints=h``, methods ``newton`` and ``slsqp``): the projections onto the unit
sphere and onto an affine subspace, whose minimisers, inner multipliers (the convention
``∇g + (∂h/∂z)ᵀ ν = 0``) and their derivatives have closed forms.
"""

from dataclasses import dataclass

import autograd
import autograd.numpy as agnp
import numpy as np
import pytest
from numpy.testing import assert_allclose

import adjoint
import adjoint.numpy as anp

METHODS = ("newton", "trust-ncg", "lbfgs")
CONSTRAINED = ("newton", "slsqp")

rng = np.random.default_rng(31)

# the quadratic
Q = rng.normal(size=(4, 4))
Q = Q @ Q.T + 4 * np.eye(4)
W_Q = rng.normal(size=4)

# ridge: training and validation sets
X_TR, X_VA = rng.normal(size=(12, 3)), rng.normal(size=(8, 3))
W_TRUE = np.array([1.0, -2.0, 0.5])
Y_TR = X_TR @ W_TRUE + 0.1 * rng.normal(size=12)
Y_VA = X_VA @ W_TRUE + 0.1 * rng.normal(size=8)

# logistic regression, labels ±1
X_LR, X_LV = rng.normal(size=(20, 3)), rng.normal(size=(10, 3))
Y_LR = np.where(X_LR @ W_TRUE + 0.8 * rng.normal(size=20) > 0, 1.0, -1.0)
Y_LV = np.where(X_LV @ W_TRUE + 0.8 * rng.normal(size=10) > 0, 1.0, -1.0)

# cosh with a coupling
C = rng.normal(size=(4, 4)) / 3
C = C @ C.T
T_COSH = rng.normal(size=4)


def central_differences(f, x, h=1e-5):
    """``∂f/∂x`` (``f(x).shape + x.shape``) by central differences, plain numpy."""
    x = np.asarray(x, dtype=float)
    columns = []
    for k in range(x.size):
        e = np.zeros(x.size)
        e[k] = h
        e = e.reshape(x.shape)
        columns.append((np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * h))
    return np.moveaxis(np.array(columns), 0, -1).reshape(np.shape(f(x)) + x.shape)


@dataclass
class Problem:
    """``argmin(g, z0, θ)`` and an outer loss ``L(z, θ)``; ``reference(θ) -> (z*, dL/dθ)`` without the library."""

    g: object
    z0: object
    theta: object
    loss: object
    reference: object


# --- the references --------------------------------------------------------------------------
def quadratic_reference(theta):
    z = np.linalg.solve(Q, theta)
    return z, np.linalg.solve(Q.T, W_Q * np.cos(z))  # dz/dθ = Q⁻¹


def ridge_reference(lam):
    """``w = K⁻¹ Xᵀ y``, ``K = XᵀX + diag λ``; ``dw/dλ_j = -K⁻¹ e_j w_j``."""
    K = X_TR.T @ X_TR + np.diag(lam)
    w = np.linalg.solve(K, X_TR.T @ Y_TR)
    dL_dw = X_VA.T @ (X_VA @ w - Y_VA)
    return w, -w * np.linalg.solve(K.T, dL_dw)


def logistic_gradient_hessian(w, lam):
    """The training loss's gradient and Hessian in ``w``, written out (autograd differentiates them)."""
    m = Y_LR * agnp.dot(X_LR, w)
    s = 1 / (1 + agnp.exp(m))  # σ(-m)
    gradient = -agnp.dot(X_LR.T, Y_LR * s) + lam * w
    hessian = agnp.dot(X_LR.T * (s * (1 - s)), X_LR) + agnp.diag(lam)
    return gradient, hessian


def logistic_unrolled(lam, steps=25):
    w = agnp.zeros(3)
    for _ in range(steps):
        gradient, hessian = logistic_gradient_hessian(w, lam)
        w = w - agnp.linalg.solve(hessian, gradient)
    return w


def logistic_validation(np_, w):
    return np_.sum(np_.logaddexp(0.0, -Y_LV * np_.dot(X_LV, w)))


def logistic_reference(lam):
    return logistic_unrolled(lam), autograd.grad(lambda lam: logistic_validation(agnp, logistic_unrolled(lam)))(lam)


def cosh_reference(theta):
    """``∇g = sinh(z - θ) + C z = 0``: ``dz/dθ = H⁻¹ diag(cosh(z - θ))``, ``H = diag(cosh(z - θ)) + C``."""
    z = np.zeros(4)
    for _ in range(60):
        step = np.linalg.solve(np.diag(np.cosh(z - theta)) + C, np.sinh(z - theta) + C @ z)
        z = z - step
        if np.max(np.abs(step)) < 1e-16:
            break
    H = np.diag(np.cosh(z - theta)) + C
    dz = np.linalg.solve(H, np.diag(np.cosh(z - theta)))
    return z, dz.T @ (z - T_COSH)


PROBLEMS = {
    "quadratic": Problem(
        g=lambda z, th: 0.5 * anp.dot(z, anp.dot(Q, z)) - anp.dot(th, z), z0=np.zeros(4),
        theta=rng.normal(size=4), loss=lambda z, th: anp.sum(W_Q * anp.sin(z)), reference=quadratic_reference,
    ),
    "ridge per-feature penalty": Problem(
        g=lambda w, lam: 0.5 * anp.sum((anp.dot(X_TR, w) - Y_TR) ** 2) + 0.5 * anp.sum(lam * w**2),
        z0=np.zeros(3), theta=np.array([0.5, 2.0, 5.0]),
        loss=lambda w, lam: 0.5 * anp.sum((anp.dot(X_VA, w) - Y_VA) ** 2), reference=ridge_reference,
    ),
    "logistic regression": Problem(
        g=lambda w, lam: anp.sum(anp.logaddexp(0.0, -Y_LR * anp.dot(X_LR, w))) + 0.5 * anp.sum(lam * w**2),
        z0=np.zeros(3), theta=np.array([0.3, 1.0, 2.0]),
        loss=lambda w, lam: logistic_validation(anp, w), reference=logistic_reference,
    ),
    "cosh": Problem(
        g=lambda z, th: anp.sum(anp.cosh(z - th)) + 0.5 * anp.dot(z, anp.dot(C, z)), z0=np.zeros(4),
        theta=rng.normal(size=4), loss=lambda z, th: 0.5 * anp.sum((z - T_COSH) ** 2), reference=cosh_reference,
    ),
}


def outer(problem, method):
    return lambda th: problem.loss(adjoint.argmin(problem.g, problem.z0, th, method=method), th)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", list(PROBLEMS))
def test_minimiser(name, method):
    problem = PROBLEMS[name]
    z, report = adjoint.argmin(problem.g, problem.z0, problem.theta, method=method, full_output=True)
    assert_allclose(z, problem.reference(problem.theta)[0], rtol=1e-9, atol=1e-10)
    assert isinstance(report, adjoint.ArgminReport) and report.multipliers is None
    assert report.block.converged
    assert (report.optimizer is None) == (method == "newton")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", list(PROBLEMS))
def test_hypergradient(name, method):
    problem = PROBLEMS[name]
    g = adjoint.grad(outer(problem, method))(problem.theta)
    assert_allclose(g, problem.reference(problem.theta)[1], rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", list(PROBLEMS))
def test_second_derivative_of_the_outer_loss(name, method):
    problem = PROBLEMS[name]
    hessian = adjoint.hessian(outer(problem, method))(problem.theta)
    expected = central_differences(lambda th: problem.reference(th)[1], problem.theta)
    assert_allclose(hessian, hessian.T, rtol=1e-8, atol=1e-10)
    assert_allclose(hessian, expected, rtol=1e-6, atol=1e-8)


def test_quadratic_jacobian_is_the_inverse_matrix():
    problem = PROBLEMS["quadratic"]
    jac = adjoint.jacobian(lambda th: adjoint.argmin(problem.g, problem.z0, th))(problem.theta)
    assert_allclose(jac, np.linalg.inv(Q), rtol=1e-10, atol=1e-12)


def test_logistic_hessian_against_autograd_unrolled():
    """The second derivative against autograd's, of the unrolled Newton iteration, directly."""
    problem = PROBLEMS["logistic regression"]
    expected = autograd.hessian(lambda lam: logistic_validation(agnp, logistic_unrolled(lam)))(problem.theta)
    assert_allclose(adjoint.hessian(outer(problem, "newton"))(problem.theta), expected, rtol=1e-9, atol=1e-11)


def test_pure_cosh_minimiser_is_theta():
    """``Σ cosh(z - θ)`` alone: ``z* = θ`` and ``dz/dθ = I``."""
    theta = np.array([0.3, -0.7, 1.1])
    for method in METHODS:
        f = lambda th, method=method: adjoint.argmin(lambda z, th: anp.sum(anp.cosh(z - th)), np.zeros(3), th,  # noqa: E731
                                                     method=method)
        assert_allclose(f(theta), theta, rtol=1e-9, atol=1e-10)
        assert_allclose(adjoint.jacobian(f)(theta), np.eye(3), atol=1e-9)


# --- equality constraints ----------------------------------------------------------------------
Y_SPHERE = np.array([0.6, -1.2, 0.9, 0.3])
A_PLANES = rng.normal(size=(2, 4))
C_PLANES = np.array([0.5, -1.0])
Y_PLANES = rng.normal(size=4)


def distance(z, y, c=None):
    return 0.5 * anp.sum((z - y) ** 2)


def sphere(z, y):
    return anp.sum(z**2) - 1.0


def planes(z, y, c):
    return anp.dot(A_PLANES, z) - c


def sphere_projection(method):
    """``z = y / ‖y‖``, ``ν = (‖y‖ - 1) / 2`` (from ``z - y + 2 ν z = 0``)."""
    def solve(y):
        return adjoint.argmin(distance, y, y, method=method, constraints=sphere, full_output=True)

    return solve


def plane_projection(method):
    """``z = y - Aᵀ ν``, ``ν = (AAᵀ)⁻¹ (A y - c)`` (from ``z - y + Aᵀ ν = 0``, ``A z = c``)."""
    def solve(y, c):
        return adjoint.argmin(distance, np.zeros(4), y, c, method=method, constraints=planes, full_output=True)

    return solve


@pytest.mark.parametrize("method", CONSTRAINED)
def test_sphere_projection(method):
    solve = sphere_projection(method)
    y, r = Y_SPHERE, np.linalg.norm(Y_SPHERE)
    z, report = solve(y)
    unit = y / r
    assert_allclose(z, unit, rtol=1e-10, atol=1e-12)
    assert_allclose(report.multipliers, [(r - 1) / 2], rtol=1e-10)
    assert report.block.converged and (report.optimizer is None) == (method == "newton")
    # dz/dy = (I - z zᵀ) / ‖y‖, dν/dy = y / (2‖y‖)
    assert_allclose(adjoint.jacobian(lambda y: solve(y)[0])(y), (np.eye(4) - np.outer(unit, unit)) / r,
                    rtol=1e-10, atol=1e-12)
    assert_allclose(adjoint.grad(lambda y: solve(y)[1].multipliers[0])(y), unit / 2, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("method", CONSTRAINED)
def test_sphere_projection_second_derivative(method):
    """``d²(wᵀz)/dy²`` against central differences of the closed-form ``(I - z zᵀ) w / ‖y‖``."""
    w = np.array([1.0, 0.5, -0.3, 2.0])
    solve = sphere_projection(method)

    def closed(y):
        unit = y / np.linalg.norm(y)
        return (np.eye(4) - np.outer(unit, unit)) @ w / np.linalg.norm(y)

    hessian = adjoint.hessian(lambda y: anp.dot(w, solve(y)[0]))(Y_SPHERE)
    assert_allclose(hessian, central_differences(closed, Y_SPHERE), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("method", CONSTRAINED)
def test_plane_projection(method):
    solve = plane_projection(method)
    gram_inv = np.linalg.inv(A_PLANES @ A_PLANES.T)
    nu = gram_inv @ (A_PLANES @ Y_PLANES - C_PLANES)
    z, report = solve(Y_PLANES, C_PLANES)
    assert_allclose(z, Y_PLANES - A_PLANES.T @ nu, rtol=1e-10, atol=1e-12)
    assert_allclose(A_PLANES @ z, C_PLANES, rtol=1e-10, atol=1e-12)
    assert_allclose(report.multipliers, nu, rtol=1e-10, atol=1e-12)
    # ∇g + (∂h/∂z)ᵀ ν = 0, the convention
    assert_allclose(z - Y_PLANES + A_PLANES.T @ report.multipliers, 0, atol=1e-10)
    projector = np.eye(4) - A_PLANES.T @ gram_inv @ A_PLANES
    assert_allclose(adjoint.jacobian(lambda y: solve(y, C_PLANES)[0])(Y_PLANES), projector, rtol=1e-10, atol=1e-12)
    assert_allclose(adjoint.jacobian(lambda c: solve(Y_PLANES, c)[0])(C_PLANES), A_PLANES.T @ gram_inv,
                    rtol=1e-10, atol=1e-12)
    # the multipliers are traced: dν/dy = (AAᵀ)⁻¹ A, dν/dc = -(AAᵀ)⁻¹
    assert_allclose(adjoint.jacobian(lambda y: solve(y, C_PLANES)[1].multipliers)(Y_PLANES), gram_inv @ A_PLANES,
                    rtol=1e-10, atol=1e-12)
    assert_allclose(adjoint.jacobian(lambda c: solve(Y_PLANES, c)[1].multipliers)(C_PLANES), -gram_inv,
                    rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("method", CONSTRAINED)
def test_constrained_tangent_matches_the_closed_form(method):
    """``make_jvp`` through the KKT root: ``ż = (I - z zᵀ) ẏ / ‖y‖``."""
    v = np.array([0.2, 0.1, -0.4, 1.0])
    unit, r = Y_SPHERE / np.linalg.norm(Y_SPHERE), np.linalg.norm(Y_SPHERE)
    _, tangent = adjoint.make_jvp(lambda y: sphere_projection(method)(y)[0])(Y_SPHERE)(v)
    assert_allclose(tangent, (v - unit * (unit @ v)) / r, rtol=1e-10, atol=1e-12)


# --- errors --------------------------------------------------------------------------------------
def quadratic_g(z, th):
    return 0.5 * anp.sum((z - th) ** 2)


def test_unknown_method():
    with pytest.raises(adjoint.InvalidArgumentError, match="unknown argmin method 'bfgs'"):
        adjoint.argmin(quadratic_g, np.zeros(3), np.ones(3), method="bfgs")


def test_trust_ncg_with_constraints():
    with pytest.raises(adjoint.InvalidArgumentError, match="unconstrained"):
        adjoint.argmin(quadratic_g, np.zeros(3), np.ones(3), method="trust-ncg", constraints=lambda z, th: anp.sum(z))


def test_slsqp_without_constraints():
    with pytest.raises(adjoint.InvalidArgumentError, match="constrained problems"):
        adjoint.argmin(quadratic_g, np.zeros(3), np.ones(3), method="slsqp")


@pytest.mark.parametrize("method", METHODS)
def test_g_returning_a_vector(method):
    with pytest.raises(adjoint.InvalidArgumentError, match=r"scalar.*\(3,\)"):
        adjoint.argmin(lambda z, th: (z - th) ** 2, np.zeros(3), np.ones(3), method=method)


@pytest.mark.parametrize("m", [3, 4])
def test_too_many_constraints(m):
    with pytest.raises(adjoint.InvalidArgumentError, match=f"{m} equality constraints on 3 unknowns"):
        adjoint.argmin(quadratic_g, np.zeros(3), np.ones(3), constraints=lambda z, th: anp.concatenate([z, z])[:m])


# --- adjoint methods, pytrees, second derivatives by other modes, no mutation ---------------------
@pytest.mark.parametrize("adjoint_method", ("auto", "direct", "gmres", "lgmres", "bicgstab"))
def test_adjoint_methods(adjoint_method):
    """The Hessian (positive definite) and the KKT matrix (indefinite) with every linear method."""
    tol = 1e-10 if adjoint_method in ("auto", "direct") else 1e-8
    problem = PROBLEMS["ridge per-feature penalty"]
    hypergradient = adjoint.grad(lambda lam: problem.loss(
        adjoint.argmin(problem.g, problem.z0, lam, adjoint=adjoint_method), lam))(problem.theta)
    assert_allclose(hypergradient, ridge_reference(problem.theta)[1], rtol=tol, atol=tol)
    if adjoint_method == "bicgstab":
        # BiCGSTAB breaks down on [[I, Aᵀ], [A, 0]] with a right-hand side [b; 0] (its first step
        # gives ω = 0, in exact arithmetic): the KKT check is for the other methods
        return
    gram_inv = np.linalg.inv(A_PLANES @ A_PLANES.T)
    jac = adjoint.jacobian(lambda y: adjoint.argmin(distance, np.zeros(4), y, C_PLANES, constraints=planes,
                                                    adjoint=adjoint_method))(Y_PLANES)
    assert_allclose(jac, np.eye(4) - A_PLANES.T @ gram_inv @ A_PLANES, rtol=tol, atol=tol)


def test_pytree_params():
    """Parameters in a dict holding a tuple; the hypergradient comes back in the same structure."""
    lam = np.array([0.5, 2.0, 5.0])

    def g(w, p):
        X, y = p["data"]
        return 0.5 * anp.sum((anp.dot(X, w) - y) ** 2) + 0.5 * anp.sum(p["lam"] * w**2)

    def loss(p):
        w = adjoint.argmin(g, np.zeros(3), p, method="newton")
        return 0.5 * anp.sum((anp.dot(X_VA, w) - Y_VA) ** 2)

    p = {"lam": lam, "data": (X_TR, Y_TR)}
    grads = adjoint.grad(loss)(p)
    assert set(grads) == {"lam", "data"} and isinstance(grads["data"], tuple)
    assert_allclose(grads["lam"], ridge_reference(lam)[1], rtol=1e-10, atol=1e-12)
    # d loss / d y_train = X (XᵀX + diag λ)⁻¹ ∇_w L
    w = ridge_reference(lam)[0]
    K = X_TR.T @ X_TR + np.diag(lam)
    assert_allclose(grads["data"][1], X_TR @ np.linalg.solve(K, X_VA.T @ (X_VA @ w - Y_VA)), rtol=1e-10, atol=1e-12)


def test_second_derivative_reverse_over_reverse():
    problem = PROBLEMS["logistic regression"]
    v = np.array([1.0, -0.5, 0.25])
    hv = adjoint.grad(lambda lam: anp.sum(adjoint.grad(outer(problem, "newton"))(lam) * v))(problem.theta)
    expected = autograd.hessian(lambda lam: logistic_validation(agnp, logistic_unrolled(lam)))(problem.theta) @ v
    assert_allclose(hv, expected, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("method", METHODS)
def test_nothing_passed_in_is_mutated(method):
    problem = PROBLEMS["cosh"]
    z0, theta = np.full(4, 0.1), problem.theta.copy()
    before = (z0.copy(), theta.copy())
    adjoint.argmin(problem.g, z0, theta, method=method)
    adjoint.hessian(lambda th: problem.loss(adjoint.argmin(problem.g, z0, th, method=method), th))(theta)
    np.testing.assert_array_equal(z0, before[0])
    np.testing.assert_array_equal(theta, before[1])
    y = Y_SPHERE.copy()
    adjoint.jacobian(lambda y: adjoint.argmin(distance, y, y, method="slsqp", constraints=sphere))(y)
    np.testing.assert_array_equal(y, Y_SPHERE)
