"""Second derivatives through ``adjoint.fixed_point``: closed forms, and autograd unrolled.

A fixed point's VJP and JVP are themselves traced fixed points (``λ = ḡ + (∂f/∂z)ᵀ λ``,
``ż = (∂f/∂z) ż + (∂f/∂θ) θ̇``), so every composition of reverse and forward mode works.
References: the closed form ``z'' = -cos(z)/2 · z'³`` of ``z = cos(z)/2 + x``; autograd
differentiating twice a Picard iteration unrolled until it has converged to rounding; and,
for the truncated adjoints (JFB, Neumann), central differences of their own first-order
gradients, whose derivative the traced truncated series must be.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose

import adjoint
import adjoint.numpy as anp

autograd = pytest.importorskip("autograd")
agnp = pytest.importorskip("autograd.numpy")

EXACT = ["auto", "direct", "gmres", "fixed_point"]


def z_star(x, adjoint_method="auto"):
    return adjoint.fixed_point(lambda z, x: anp.cos(z) / 2 + x, 0.0, x, adjoint=adjoint_method, rtol=1e-14, atol=0)


def closed_form_second_derivative(x):
    z = z_star(x)
    first = 1.0 / (1.0 + np.sin(z) / 2)
    return -np.cos(z) / 2 * first ** 3


MODES = {
    "reverse-over-reverse": lambda f: adjoint.grad(adjoint.grad(f)),
    "forward-over-reverse": lambda f: lambda x: adjoint.jvp(adjoint.grad(f))(x, 1.0)[1],
    "reverse-over-forward": lambda f: adjoint.grad(lambda x: adjoint.jvp(f)(x, 1.0)[1]),
    "forward-over-forward": lambda f: lambda x: adjoint.jvp(lambda x: adjoint.jvp(f)(x, 1.0)[1])(x, 1.0)[1],
}


@pytest.mark.parametrize("method", EXACT)
@pytest.mark.parametrize("mode", list(MODES))
def test_scalar_second_derivative_matches_the_closed_form(mode, method):
    second = MODES[mode](lambda x: z_star(x, method))(0.8)
    assert_allclose(second, closed_form_second_derivative(0.8), rtol=1e-9)


def test_third_derivative_matches_central_differences_of_the_second():
    third = adjoint.grad(adjoint.grad(adjoint.grad(z_star)))(0.8)
    h = 1e-4
    fd = (closed_form_second_derivative(0.8 + h) - closed_form_second_derivative(0.8 - h)) / (2 * h)
    assert_allclose(third, fd, rtol=1e-6)


# --- a small equilibrium layer, against autograd unrolled ------------------------------------

rng = np.random.default_rng(4)
W = 0.4 * rng.normal(size=(4, 4)) / 2.0
U = rng.normal(size=(4, 3))
C = rng.normal(size=4)
X = rng.normal(size=3)
UNROLL = 120  # Picard steps: the contraction (‖W‖ < 0.5) reaches rounding well before


def deq_loss(np_, x, W, equilibrium):
    z = equilibrium(lambda z, x, W: np_.tanh(W @ z + U @ x), x, W)
    return np_.sum(C * z ** 2) + np_.sum(np_.sin(z) * x[:1])


def ours(z_f, x, W, method="auto"):
    return adjoint.fixed_point(z_f, np.zeros(4), x, W, adjoint=method, rtol=1e-14, atol=0)


def unrolled(z_f, x, W):
    z = np.zeros(4)
    for _ in range(UNROLL):
        z = z_f(z, x, W)
    return z


@pytest.mark.parametrize("method", EXACT)
def test_hessian_through_an_equilibrium_matches_autograd_unrolled(method):
    H = adjoint.hessian(lambda x: deq_loss(anp, x, W, lambda f, x, W: ours(f, x, W, method)))(X)
    reference = autograd.hessian(lambda x: deq_loss(agnp, x, W, unrolled))(X)
    assert_allclose(H, reference, rtol=1e-9, atol=1e-12)


def test_mixed_second_derivative_in_the_weights_matches_autograd_unrolled():
    # d/dW of ⟨∇_x loss, v⟩: parameters of the map on both sides of the second derivative.
    v = np.array([1.0, -2.0, 0.5])
    ours_ = adjoint.grad(lambda W: anp.sum(adjoint.grad(lambda x: deq_loss(anp, x, W, ours))(X) * v))(W)
    ref = autograd.grad(lambda W: agnp.sum(autograd.grad(lambda x: deq_loss(agnp, x, W, unrolled))(X) * v))(W)
    assert_allclose(ours_, ref, rtol=1e-9, atol=1e-12)


def autograd_truncated_equilibrium(k):
    """``z*`` as an autograd primitive whose VJP is the Neumann series of ``k`` terms (JFB: k=0).

    The VJP is written with autograd's traced operations at ``z*`` (``ans``), so autograd
    differentiates it again: every derivative of ``z*`` is the truncated one, which is what
    ``adjoint="jfb"`` / ``"neumann"`` mean at every order.
    """
    from autograd.extend import defvjp, primitive

    def f(z, x):
        return agnp.tanh(W @ z + U @ x)

    @primitive
    def equilibrium(x):
        return unrolled(lambda z, x, W: np.tanh(W @ z + U @ x), x, W)

    def vjp_maker(ans, x):
        def vjp(g):
            lam, term = g, g
            for _ in range(k):
                term = autograd.make_vjp(lambda z: f(z, x))(ans)[0](term)
                lam = lam + term
            return autograd.make_vjp(lambda x: f(ans, x))(x)[0](lam)
        return vjp

    defvjp(equilibrium, vjp_maker)
    return equilibrium


@pytest.mark.parametrize("method, k", [("jfb", 0), ("neumann", 3)])
def test_truncated_adjoints_are_truncated_at_every_order(method, k):
    options = {"k": k} if method == "neumann" else None
    ours_ = lambda f, x, W: adjoint.fixed_point(f, np.zeros(4), x, W, adjoint=method,  # noqa: E731
                                                adjoint_options=options, rtol=1e-14, atol=0)
    H = adjoint.hessian(lambda x: deq_loss(anp, x, W, ours_))(X)
    equilibrium = autograd_truncated_equilibrium(k)
    reference = autograd.hessian(lambda x: deq_loss(agnp, x, W, lambda f, x, W: equilibrium(x)))(X)
    assert_allclose(H, reference, rtol=1e-9, atol=1e-12)
    exact = adjoint.hessian(lambda x: deq_loss(anp, x, W, ours))(X)
    assert not np.allclose(H, exact, rtol=1e-6)  # a truncation, not the exact Hessian


def test_a_map_capturing_a_traced_value_is_refused():
    def outer(a):
        return adjoint.fixed_point(lambda z, x: anp.cos(z) / 2 + x * a, 0.0, 1.0)

    with pytest.raises(adjoint.GraphError, match="pass it as a parameter"):
        adjoint.grad(outer)(2.0)
