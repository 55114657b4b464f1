"""Rate constants of a reaction network, fitted to noisy measurements of its steady state.

``N`` species (``N = 2000``; 50 with ``small``) sit on the nodes of a sparse random directed
network (local: each converts into a few species nearby along a pathway). Species ``i`` is fed
at a fixed rate ``s_i`` (a small basal one for most of them, a large one for a fifth), converted
into its out-neighbours by first-order mass action (rate ``k_t`` per edge), removed by a
second-order mass-action reaction ``2 C_i → ∅`` (rate ``k_2``) and degraded by a saturating
Michaelis–Menten enzyme (``V c / (K + c)``). The steady state ``c*(θ)``, ``θ = (k_t, k_2, V, K)``,
is the root of

    F(c, θ) = s + k_t (P c - d ⊙ c) - k_2 c² - V c / (K + c) = 0,

with ``P[i, j] = 1`` for an edge ``j → i`` and ``d`` the out-degrees (the columns of ``P - diag d``
sum to zero: conversion conserves mass). Well posed: ``∂F/∂c = k_t (P - diag d) - diag(2 k_2 c
+ V K / (K + c)²)`` has nonnegative off-diagonal entries and columns that sum to a negative
number wherever ``c >= 0``, so ``-∂F/∂c`` is a nonsingular M-matrix (a P-matrix) there, and ``F``
is one-to-one on ``c >= 0`` (Gale–Nikaidô). ``F`` points inwards on the boundary of ``c >= 0``
(``F_i >= s_i > 0`` where ``c_i = 0``) and degradation bounds ``c``, so there is exactly one
nonnegative steady state for every positive ``θ``; it is positive, and smooth in ``θ``.

``adjoint.root(F, c0, θ)`` finds it by Newton with the sparse Jacobian assembled from the
primitives' partials (the transport through ``anp.sparse_matmul``), and differentiates it by the
implicit function theorem, ``dc*/dθ = -(∂F/∂c)⁻¹ ∂F/∂θ``, applied in reverse: one sparse
adjoint solve ``(∂F/∂c)ᵀ μ = ∇_c J`` per gradient, whatever the number of species. The misfit
``J = ½ Σ ((c* - data) / σ)²`` is minimised over ``log θ`` (positive rate constants, and one
scale for all four) by L-BFGS-B with ``jac=True``, after one check of the gradient against a
central difference.

Run: python examples/kinetics_steady_state.py
"""

import time

import numpy as np
import scipy.optimize
import scipy.sparse as sp

import adjoint
import adjoint.numpy as anp

THETA_TRUE = np.array([0.8, 0.3, 2.0, 0.5])  # k_t, k_2, V, K
NAMES = ("k_t", "k_2", "V", "K")
NOISE = 0.01  # relative noise of the measurements
OUT_DEGREE = 3
REACH = 8
BASAL = 0.05  # feed of every species
FD_TOLERANCE = 1e-6  # relative, gradient against the central difference


def network(rng, n):
    """``P`` (``P[i, j] = 1`` for an edge ``j → i``) and the out-degrees ``d``.

    Species ``j`` converts into ``OUT_DEGREE`` distinct species among its ``REACH`` neighbours on
    either side along a chain (a pathway): random, but local, so the sparse LU of ``∂F/∂c`` stays
    sparse (a network with random long-range edges fills it in almost completely).
    """
    offsets = np.concatenate([np.arange(-REACH, 0), np.arange(1, REACH + 1)])
    sources = np.repeat(np.arange(n), OUT_DEGREE)
    targets = sources + np.concatenate([rng.choice(offsets, OUT_DEGREE, replace=False) for _ in range(n)])
    keep = (targets >= 0) & (targets < n)  # the chain is open: edges off its ends are dropped
    P = sp.csr_matrix((np.ones(keep.sum()), (targets[keep], sources[keep])), shape=(n, n))
    return P, np.asarray(P.sum(axis=0)).ravel()


def residual(P, d, s):
    """``F(c, θ)``: production minus consumption of each species, in ``adjoint.numpy``."""

    def F(c, theta):
        k_t, k_2, V, K = theta[0], theta[1], theta[2], theta[3]
        return s + k_t * (anp.sparse_matmul(P, c) - d * c) - k_2 * c * c - V * c / (K + c)

    return F


def main(small=False):
    n = 50 if small else 2000
    rng = np.random.default_rng(7)
    P, d = network(rng, n)
    # A small basal feed everywhere (so every concentration is positive), a large one for a fifth of them.
    s = BASAL + np.where(rng.uniform(size=n) < 0.2, rng.uniform(1.0, 10.0, n), 0.0)
    F = residual(P, d, s)
    c_start = np.full(n, 1.0)

    def steady_state(theta, c0=c_start, **options):
        return adjoint.root(F, c0, theta, **options)

    c_true, report = steady_state(THETA_TRUE, rtol=1e-13, full_output=True)
    c_true = np.asarray(c_true)
    if not np.all(c_true > 0.0):
        raise AssertionError("the steady state has a concentration that is not positive")
    sigma = NOISE * c_true  # relative noise
    data = c_true + sigma * rng.normal(size=n)
    print(f"{n} species, {P.nnz} conversions, {np.count_nonzero(s > BASAL)} fed; steady state from c = 1 in "
          f"{report.forward.iterations} Newton steps, c in [{c_true.min():.3g}, {c_true.max():.3g}], "
          f"{NOISE:.0%} noise")

    state = {"c": c_start}
    calls = []

    def misfit(log_theta):
        c = steady_state(anp.exp(log_theta), state["c"])
        J = 0.5 * anp.sum(((c - data) / sigma) ** 2)
        return J, (J, c)

    def value_and_grad(log_theta):
        t = time.perf_counter()
        grad, (J, c) = adjoint.grad_and_aux(misfit)(log_theta)
        state["c"] = c  # warm start: the next θ is close
        calls.append(time.perf_counter() - t)
        return float(J), np.asarray(grad)

    log_theta0 = np.log(np.array([2.0, 1.0, 0.5, 2.0]))  # off by factors of 2.5 .. 4
    # The gradient, once, against a central difference along a random direction in log θ.
    state["c"] = c_start
    J0, grad0 = value_and_grad(log_theta0)
    direction = rng.normal(size=4)
    direction /= np.linalg.norm(direction)
    step = 1e-4

    def tight_misfit(log_theta):
        c = np.asarray(steady_state(np.exp(log_theta), c_start, rtol=1e-14))
        return 0.5 * np.sum(((c - data) / sigma) ** 2)

    fd = (tight_misfit(log_theta0 + step * direction) - tight_misfit(log_theta0 - step * direction)) / (2 * step)
    analytic = float(grad0 @ direction)
    fd_error = abs(analytic - fd) / abs(fd)
    print(f"gradient check at θ0 along a random d: ∇J·d = {analytic:+.10e}, central difference {fd:+.10e}, "
          f"relative error {fd_error:.1e}")
    if not fd_error <= FD_TOLERANCE:
        raise AssertionError(f"the gradient disagrees with the central difference by {fd_error:.1e} (relative), "
                             f"more than {FD_TOLERANCE:.0e}")

    t = time.perf_counter()
    result = scipy.optimize.minimize(value_and_grad, log_theta0, jac=True, method="L-BFGS-B",
                                     options={"maxiter": 200})
    elapsed = time.perf_counter() - t
    theta = np.exp(result.x)
    # The spread expected from the noise: the Gauss–Newton covariance (JᵀJ)⁻¹ of log θ at the answer.
    sensitivity = np.asarray(adjoint.jacobian(lambda lt: steady_state(anp.exp(lt), state["c"]) / sigma)(result.x))
    std_log = np.sqrt(np.diag(np.linalg.inv(sensitivity.T @ sensitivity)))

    print()
    print(f"L-BFGS-B on log θ: {result.message}")
    print(f"iterations {result.nit}, value_and_grad calls {result.nfev}, {elapsed:.2f} s "
          f"({elapsed / result.nfev * 1e3:.1f} ms per call); J: {J0:.4e} -> {result.fun:.4e} "
          f"(noise level: J ≈ {n / 2:.0f})")
    print()
    print("parameter   start      recovered   true       relative error   expected from noise (1 s.d.)")
    errors = np.abs(theta - THETA_TRUE) / THETA_TRUE
    for name, start, got, true, err, sd in zip(NAMES, np.exp(log_theta0), theta, THETA_TRUE, errors, std_log):
        print(f"{name:10}  {start:9.4f}  {got:10.6f}  {true:9.4f}  {err:14.2e}   {sd:.2e}")
    # Recovery within the noise: each parameter within 5 standard deviations of the truth.
    misses = np.abs(result.x - np.log(THETA_TRUE)) > 5.0 * std_log
    if np.any(misses):
        raise AssertionError(f"parameters {[NAMES[i] for i in np.flatnonzero(misses)]} not recovered within 5 s.d. "
                             f"of the noise: {theta} vs {THETA_TRUE}")
    return {"result": result, "theta": theta, "fd_error": fd_error, "std_log": std_log, "calls": calls}


if __name__ == "__main__":
    main()
