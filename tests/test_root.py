"""``adjoint.root``: every forward × adjoint method against independent references.

A table of problems ``F(z*, θ) = 0`` — a scalar cube root, a small nonlinear system
``A z + 0.1 z³ - b``, a system whose parameters are a pytree (a dict holding a tuple), and a
600-unknown sparse system through ``anp.sparse_matmul`` — crossed with the forward solvers
(Newton, Newton–Krylov) and the adjoint methods. The references never use the library's
derivatives: closed forms (the implicit function theorem written out, with the second
derivative ``z''`` from differentiating ``(∂F/∂z) z' = -∂F/∂θ`` once more, solved densely with
numpy), or autograd (HIPS) differentiating a Newton iteration unrolled until it has converged
(Newton's map has zero derivative in ``z`` at the root, so the unrolled derivatives of every
order converge to the implicit ones).
"""

import functools
from dataclasses import dataclass

import autograd
import autograd.numpy as agnp
import numpy as np
import pytest
import scipy.sparse
from numpy.testing import assert_allclose

import adjoint
import adjoint.numpy as anp

FORWARD = ("newton", "newton_krylov")
ADJOINT = ("auto", "direct", "gmres", "lgmres", "bicgstab")
DIRECT = ("auto", "direct")

rng = np.random.default_rng(2024)
N_SMALL = 5
A_SMALL = 3 * np.eye(N_SMALL) + rng.normal(size=(N_SMALL, N_SMALL)) / 2
B_SMALL = rng.normal(size=N_SMALL)
W_SMALL = rng.normal(size=N_SMALL)
M_TREE = rng.normal(size=(3, 3)) / 3
W_TREE = rng.normal(size=3)
N_LARGE = 600  # above the size where a dense Jacobian would be the natural choice
A_LARGE = scipy.sparse.diags(
    [-np.ones(N_LARGE - 1), 4 * np.ones(N_LARGE), -np.ones(N_LARGE - 1)], [-1, 0, 1], format="csr"
)
B_LARGE = rng.normal(size=N_LARGE)
W_LARGE = rng.normal(size=N_LARGE)


def tolerance(adjoint_method):
    """Direct solves agree to rounding; Krylov ones to their tolerance (rtol 1e-10 on the residual)."""
    return 1e-10 if adjoint_method in DIRECT else 1e-8


@dataclass
class Problem:
    """``root(F(anp), z0, *params(θ))`` and the scalar objective ``J = objective(np_, z)``.

    ``reference(θ)`` returns ``z*``, ``dz/dθ`` (``z.shape + θ.shape``), ``dJ/dθ`` and
    ``d²J/dθ²``, computed without the library. ``small``: the full Jacobian and Hessian are
    compared, else products with one random direction.
    """

    F: object
    z0: object
    theta: object
    params: object
    objective: object
    reference: object
    small: bool = True


def separable_reference(A, alpha, b, w):
    """``F = A z + α z³ - b`` and ``J = Σ w sin z``: the implicit function theorem, densely.

    ``K = ∂F/∂z = A + 3α diag(z²)``, ``z' = K⁻¹``; differentiating ``K z'_i = e_i`` along
    ``b_j``: ``z''_ij = -K⁻¹ (6α z ⊙ z'_i ⊙ z'_j)``, so with ``λ = K⁻ᵀ (w cos z)`` the
    Hessian of ``J`` is ``z'ᵀ diag(-w sin z) z' - 6α z'ᵀ diag(λ z) z'``.
    """
    z = np.linalg.solve(A, b)
    for _ in range(50):  # plain Newton on the dense system, to rounding
        step = np.linalg.solve(A + 3 * alpha * np.diag(z**2), A @ z + alpha * z**3 - b)
        z = z - step
        if np.max(np.abs(step)) < 1e-15 * (1 + np.max(np.abs(z))):
            break
    K = A + 3 * alpha * np.diag(z**2)
    dz = np.linalg.inv(K)
    lam = np.linalg.solve(K.T, w * np.cos(z))
    hess = (dz.T * (-w * np.sin(z) - 6 * alpha * lam * z)) @ dz
    return {"z": z, "dz": dz, "grad": lam, "hess": hess}


def cube_root_reference(a):
    """``z = a^(1/3)``, ``z' = 1 / (3 z²)``, ``z'' = -2/9 a^(-5/3)``; ``J = sin z``."""
    z = np.cbrt(a)
    dz, d2z = 1 / (3 * z**2), -2 / 9 * a ** (-5 / 3)
    return {"z": z, "dz": dz, "grad": np.cos(z) * dz, "hess": -np.sin(z) * dz**2 + np.cos(z) * d2z}


def tree_F(np_):
    def F(z, p):
        s0, s1 = p["scale"]
        return s0 * z**3 + s1 * (z + 0.3 * np_.tanh(np_.dot(M_TREE, z))) - p["shift"]

    return F


def tree_params(theta):
    """θ = [s0, s1, shift (3)] as the pytree ``{"scale": (s0, s1), "shift": shift}``."""
    return ({"scale": (theta[0], theta[1]), "shift": theta[2:]},)


def unrolled_newton(theta, steps=20):
    """autograd-differentiable Newton on the pytree problem, from the same z0."""
    F = tree_F(agnp)
    (p,) = tree_params(theta)
    z = agnp.zeros(3)
    for _ in range(steps):
        J = autograd.jacobian(F)(z, p)
        z = z - agnp.linalg.solve(J, F(z, p))
    return z


def tree_reference(theta):
    objective = lambda t: agnp.sum(W_TREE * agnp.sin(unrolled_newton(t)))  # noqa: E731
    return {"z": unrolled_newton(theta), "dz": autograd.jacobian(unrolled_newton)(theta),
            "grad": autograd.grad(objective)(theta), "hess": autograd.hessian(objective)(theta)}


PROBLEMS = {
    "cube root": Problem(
        F=lambda np_: lambda z, a: z**3 - a, z0=1.0, theta=8.0, params=lambda a: (a,),
        objective=lambda np_, z: np_.sin(z), reference=cube_root_reference,
    ),
    "nonlinear system": Problem(
        F=lambda np_: lambda z, b: np_.dot(A_SMALL, z) + 0.1 * z**3 - b, z0=np.zeros(N_SMALL), theta=B_SMALL,
        params=lambda b: (b,), objective=lambda np_, z: np_.sum(W_SMALL * np_.sin(z)),
        reference=lambda b: separable_reference(A_SMALL, 0.1, b, W_SMALL),
    ),
    "pytree params": Problem(
        F=tree_F, z0=np.zeros(3), theta=np.array([0.5, 2.0, 0.3, -1.2, 0.8]), params=tree_params,
        objective=lambda np_, z: np_.sum(W_TREE * np_.sin(z)), reference=tree_reference,
    ),
    "sparse 600": Problem(
        F=lambda np_: lambda z, b: anp.sparse_matmul(A_LARGE, z) + 0.1 * z**3 - b, z0=np.zeros(N_LARGE),
        theta=B_LARGE, params=lambda b: (b,), objective=lambda np_, z: np_.sum(W_LARGE * np_.sin(z)),
        reference=lambda b: separable_reference(A_LARGE.toarray(), 0.1, b, W_LARGE), small=False,
    ),
}


@functools.cache
def reference(name):
    problem = PROBLEMS[name]
    return problem.reference(problem.theta)


def z_of(problem, forward="newton", adjoint_method="auto", **kwargs):
    F = problem.F(anp)
    return lambda theta: adjoint.root(F, problem.z0, *problem.params(theta), forward=forward,
                                      adjoint=adjoint_method, **kwargs)


def J_of(problem, forward="newton", adjoint_method="auto"):
    z = z_of(problem, forward, adjoint_method)
    return lambda theta: problem.objective(anp, z(theta))


def direction(problem):
    return np.random.default_rng(7).normal(size=np.shape(problem.theta))


# --- the table -----------------------------------------------------------------------------
@pytest.mark.parametrize("forward", (*FORWARD, "auto"))
@pytest.mark.parametrize("name", list(PROBLEMS))
def test_root_zeroes_F(name, forward):
    problem = PROBLEMS[name]
    z = z_of(problem, forward)(problem.theta)
    F = problem.F(np)
    residual = F(z, *problem.params(problem.theta))
    assert np.shape(z) == np.shape(problem.z0)
    assert np.max(np.abs(residual)) < 1e-9
    assert_allclose(z, reference(name)["z"], rtol=1e-10, atol=1e-11)


@pytest.mark.parametrize("adjoint_method", ADJOINT)
@pytest.mark.parametrize("forward", FORWARD)
@pytest.mark.parametrize("name", list(PROBLEMS))
def test_gradient(name, forward, adjoint_method):
    problem = PROBLEMS[name]
    g = adjoint.grad(J_of(problem, forward, adjoint_method))(problem.theta)
    assert_allclose(g, reference(name)["grad"], rtol=tolerance(adjoint_method), atol=tolerance(adjoint_method))


@pytest.mark.parametrize("adjoint_method", ADJOINT)
@pytest.mark.parametrize("forward", FORWARD)
@pytest.mark.parametrize("name", list(PROBLEMS))
def test_jacobian(name, forward, adjoint_method):
    problem = PROBLEMS[name]
    expected = reference(name)["dz"]
    if problem.small:
        jac = adjoint.jacobian(z_of(problem, forward, adjoint_method))(problem.theta)
        assert_allclose(jac, expected, rtol=tolerance(adjoint_method), atol=tolerance(adjoint_method))
    else:  # one row by reverse mode: the VJP with e_k
        k = 17
        row = adjoint.grad(lambda b: z_of(problem, forward, adjoint_method)(b)[k])(problem.theta)
        assert_allclose(row, expected[k], rtol=tolerance(adjoint_method), atol=tolerance(adjoint_method))


@pytest.mark.parametrize("adjoint_method", ADJOINT)
@pytest.mark.parametrize("forward", FORWARD)
@pytest.mark.parametrize("name", list(PROBLEMS))
def test_jvp(name, forward, adjoint_method):
    problem = PROBLEMS[name]
    v = direction(problem)
    value, tangent = adjoint.make_jvp(z_of(problem, forward, adjoint_method))(problem.theta)(v)
    ref = reference(name)
    assert_allclose(value, ref["z"], rtol=1e-10, atol=1e-11)
    expected = ref["dz"] * v if np.ndim(v) == 0 else ref["dz"] @ v
    assert_allclose(tangent, expected, rtol=tolerance(adjoint_method), atol=tolerance(adjoint_method))


@pytest.mark.parametrize("adjoint_method", ADJOINT)
@pytest.mark.parametrize("forward", FORWARD)
@pytest.mark.parametrize("name", list(PROBLEMS))
def test_hessian(name, forward, adjoint_method):
    problem = PROBLEMS[name]
    J = J_of(problem, forward, adjoint_method)
    expected = reference(name)["hess"]
    tol = tolerance(adjoint_method)
    if problem.small:
        assert_allclose(adjoint.hessian(J)(problem.theta), expected, rtol=tol, atol=tol)
    else:
        v = direction(problem)
        assert_allclose(adjoint.hessian_vector_product(J)(problem.theta, v), expected @ v, rtol=tol, atol=tol)


@pytest.mark.parametrize("name", ["cube root", "nonlinear system", "pytree params"])
def test_second_derivative_by_forward_over_reverse(name):
    """``make_jvp`` of ``grad``: the Hessian times a direction, the other composition of modes."""
    problem = PROBLEMS[name]
    v = direction(problem)
    _, hv = adjoint.make_jvp(adjoint.grad(J_of(problem)))(problem.theta)(v)
    expected = reference(name)["hess"]
    assert_allclose(hv, expected * v if np.ndim(v) == 0 else expected @ v, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("adjoint_method", ADJOINT)
@pytest.mark.parametrize("name", ["cube root", "nonlinear system", "pytree params", "sparse 600"])
def test_second_derivative_by_reverse_over_reverse(name, adjoint_method):
    """``grad`` of ``⟨grad J, v⟩`` and ``grad`` of the JVP: ``H v`` by two more compositions of modes."""
    problem = PROBLEMS[name]
    J = J_of(problem, "newton", adjoint_method)
    v = direction(problem)
    expected = reference(name)["hess"]
    expected = expected * v if np.ndim(v) == 0 else expected @ v
    tol = tolerance(adjoint_method)
    reverse_over_reverse = adjoint.grad(lambda th: anp.sum(adjoint.grad(J)(th) * v))(problem.theta)
    assert_allclose(reverse_over_reverse, expected, rtol=tol, atol=tol)
    reverse_over_forward = adjoint.grad(lambda th: adjoint.make_jvp(J)(th)(v)[1])(problem.theta)
    assert_allclose(reverse_over_forward, expected, rtol=tol, atol=tol)


def test_third_derivative_of_the_cube_root():
    """``z''' = 10/27 a^(-8/3)`` for ``z = a^(1/3)``."""
    f = lambda a: adjoint.root(lambda z, a: z**3 - a, 1.0, a)  # noqa: E731
    assert_allclose(adjoint.grad(adjoint.grad(adjoint.grad(f)))(8.0), 10 / 27 * 8.0 ** (-8 / 3), rtol=1e-10)


def test_gradient_with_respect_to_a_pytree_has_its_structure():
    F = tree_F(anp)
    theta = PROBLEMS["pytree params"].theta
    p = {"scale": (theta[0], theta[1]), "shift": theta[2:]}
    g = adjoint.grad(lambda p: anp.sum(W_TREE * anp.sin(adjoint.root(F, np.zeros(3), p))))(p)
    assert set(g) == {"scale", "shift"} and isinstance(g["scale"], tuple) and len(g["scale"]) == 2
    flat = np.concatenate([[g["scale"][0], g["scale"][1]], g["shift"]])
    assert_allclose(flat, reference("pytree params")["grad"], rtol=1e-10, atol=1e-12)


def test_large_sparse_problem_is_solved_by_newton_by_default():
    problem = PROBLEMS["sparse 600"]
    for forward in ("auto", None):
        kwargs = {} if forward is None else {"forward": forward}
        z, report = adjoint.root(problem.F(anp), problem.z0, problem.theta, full_output=True, **kwargs)
        assert report.forward.method == "newton"
        assert report.forward.converged and report.converged
        assert report.forward.iterations < 20
        assert_allclose(z, reference("sparse 600")["z"], rtol=1e-10, atol=1e-11)


# --- refused adjoints, reports ---------------------------------------------------------------
@pytest.mark.parametrize("adjoint_method", ["jfb", "neumann", "fixed_point"])
def test_contraction_adjoints_are_refused(adjoint_method):
    f = lambda a: adjoint.root(lambda z, a: z**3 - a, 1.0, a, adjoint=adjoint_method)  # noqa: E731
    with pytest.raises(adjoint.InvalidArgumentError, match="contraction"):
        adjoint.grad(f)(8.0)


def test_full_output_returns_the_block_report():
    F = PROBLEMS["nonlinear system"].F(anp)
    z, report = adjoint.root(F, np.zeros(N_SMALL), B_SMALL, full_output=True)
    assert isinstance(report, adjoint.BlockReport)
    assert report.forward.method == "newton" and report.converged
    assert report.forward.iterations >= 1
    residuals = report.forward.residuals
    assert len(residuals) >= report.forward.iterations
    assert residuals[-1] <= 1e-10 and residuals[-1] < residuals[0]
    assert_allclose(z, reference("nonlinear system")["z"], rtol=1e-12)
    # traced, the value is the same and so is the report's shape
    def J(b):
        z, report = adjoint.root(F, np.zeros(N_SMALL), b, full_output=True)
        assert isinstance(report, adjoint.BlockReport)
        return anp.sum(W_SMALL * anp.sin(z))

    assert_allclose(adjoint.grad(J)(B_SMALL), reference("nonlinear system")["grad"], rtol=1e-10)


# --- errors --------------------------------------------------------------------------------
def test_residual_of_the_wrong_shape_names_the_shapes():
    with pytest.raises(adjoint.GraphError, match=r"shape \(\).*shape \(3,\)"):
        adjoint.root(lambda z, a: anp.sum(z) - a, np.ones(3), 2.0)
    with pytest.raises(adjoint.GraphError, match=r"\(2,\)"):
        adjoint.grad(lambda a: anp.sum(adjoint.root(lambda z, a: z[:2] - a, np.ones(3), a)))(2.0)


def test_residual_returning_none():
    with pytest.raises(adjoint.GraphError, match="None"):
        adjoint.root(lambda z, a: None, np.ones(3), 2.0)


def test_z0_none():
    with pytest.raises(adjoint.InvalidArgumentError, match="z0"):
        adjoint.root(lambda z, a: z - a, None, 2.0)


def test_captured_traced_value_is_refused():
    with pytest.raises(adjoint.GraphError, match="pass it as a parameter"):
        adjoint.grad(lambda a: adjoint.root(lambda z: z**3 - a, 1.0))(2.0)
    with pytest.raises(adjoint.GraphError, match="pass it as a parameter"):  # with a parameter, but not that one
        adjoint.grad(lambda a: adjoint.root(lambda z, c: z**3 - a * c, 1.0, 1.0))(2.0)


@pytest.mark.parametrize("z0", [0.3, 2.0])
def test_no_root_raises_convergence_error(z0):
    with pytest.raises(adjoint.ConvergenceError, match=r"(?s)residual.*iterations"):
        adjoint.root(lambda z, a: z**2 + a, z0, 1.0)


def test_no_root_warns_with_throw_false():
    with pytest.warns(adjoint.ConvergenceWarning, match=r"(?s)residual.*iterations"):
        z, report = adjoint.root(lambda z, a: z**2 + a, 0.3, 1.0, throw=False, full_output=True)
    assert not report.converged and not report.forward.converged
    assert np.isfinite(z)


def test_nothing_passed_in_is_mutated():
    F = tree_F(anp)
    theta = PROBLEMS["pytree params"].theta
    shift, z0 = theta[2:].copy(), np.zeros(3)
    p = {"scale": (np.array(0.5), np.array(2.0)), "shift": shift}
    before = (z0.copy(), shift.copy(), p["scale"][0].copy(), p["scale"][1].copy())
    z = adjoint.root(F, z0, p)
    z[...] = 99.0  # the result is the caller's to keep, not a view of z0
    adjoint.grad(lambda s: anp.sum(adjoint.root(F, z0, {"scale": p["scale"], "shift": s})))(shift)
    adjoint.hessian(lambda s: anp.sum(anp.sin(adjoint.root(F, z0, {"scale": p["scale"], "shift": s}))))(shift)
    after = (z0, p["shift"], p["scale"][0], p["scale"][1])
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)
    assert p["shift"] is shift and set(p) == {"scale", "shift"}
