"""An inverse problem on a nonlinear PDE steady state: recover a source from noisy observations.

The state solves ``-Δu + c·exp(u) = s(θ)`` on the unit square (zero on the boundary), finite
differences on an ``n × n`` grid (``n = 100``; 16 with ``small``). The source is a sum of
Gaussian bumps on a 4 × 4 lattice, ``s = B θ``, and ``θ`` (16 amplitudes) is what we look for,
from noisy values of ``u`` at sensors on a coarser lattice.

The discretised PDE is written as constraints that form a cycle (Jacobi's splitting of the
five-point Laplacian: ``4u_ij - Σ_neighbours u = h² (s - c e^u)``):

    inputs  θ
    s = B θ                                         acyclic
    u = (N u + h² (s - c·exp(u))) / 4, init 0       a self-loop: the cyclic component
    J = ½ Σ ((u[sensors] - d) / σ)² + ½ β |θ|²       the objective

(``N``: the grid's neighbour matrix, through ``anp.sparse_matmul``). ``adjoint.solve`` solves
the cycle by Newton on the assembled sparse Jacobian ``∂u/∂u = N/4 - (h²c/4) diag(e^u)``
(composed from the primitives' sparse partials, never dense) and the adjoint by sparse LU
of ``(I - ∂u/∂u)ᵀ``, so ``value_and_grad`` costs a few sparse factorisations. ``scipy.optimize.minimize``
(L-BFGS-B, ``jac=True``) does the rest. The gradient is checked once against a central
difference.

Run: python examples/bratu_inverse.py
"""

import time

import numpy as np
import scipy.optimize
import scipy.sparse as sp

import adjoint
import adjoint.numpy as anp

C = 1.0  # reaction coefficient
BETA = 1e-4  # Tikhonov weight
NOISE = 0.01  # noise standard deviation, relative to max |u|


def neighbours(n):
    """The sparse matrix summing the (up to four) grid neighbours of each point."""
    path = sp.diags([np.ones(n - 1), np.ones(n - 1)], [-1, 1])
    eye = sp.identity(n)
    return (sp.kron(eye, path) + sp.kron(path, eye)).tocsr()


def bumps(n, k=4, width=0.12):
    """``B``: column j is a Gaussian bump centred on point j of a ``k × k`` lattice."""
    x = np.arange(1, n + 1) / (n + 1)
    X, Y = np.meshgrid(x, x, indexing="ij")
    centres = (np.arange(k) + 0.5) / k
    return np.stack(
        [np.exp(-((X - a) ** 2 + (Y - b) ** 2) / (2 * width**2)).ravel() for a in centres for b in centres],
        axis=1,
    )


def build(n, sensors, data, sigma):
    h = 1.0 / (n + 1)
    N, B = neighbours(n), bumps(n)
    g = adjoint.ConstraintGraph()
    g.add_input("theta")
    g.add_constraint("s", lambda theta: B @ theta, ["theta"])
    g.add_constraint(
        "u", lambda u, s: (anp.sparse_matmul(N, u) + h**2 * (s - C * anp.exp(u))) / 4,
        ["u", "s"], init=np.zeros(n * n),
    )
    g.add_constraint(
        "J", lambda u, theta: 0.5 * anp.sum(((u[sensors] - data) / sigma) ** 2) + 0.5 * BETA * anp.sum(theta**2),
        ["u", "theta"],
    )
    return g


def solve_state(g, theta, **options):
    return adjoint.solve(g, {"theta": theta}, forward="newton", **options).values["u"]


def main(small=False):
    n = 16 if small else 100
    rng = np.random.default_rng(1)
    theta_true = rng.uniform(10.0, 60.0, 16)
    grid = np.arange(n * n).reshape(n, n)
    sensors = grid[1::2, 1::2].ravel() if small else grid[2::4, 2::4].ravel()

    # Synthetic data: the state of the true source, plus noise.
    g = build(n, sensors, np.zeros(sensors.size), 1.0)
    u_true = solve_state(g, theta_true)
    sigma = NOISE * np.max(np.abs(u_true))
    data = u_true[sensors] + sigma * rng.normal(size=sensors.size)
    g = build(n, sensors, data, sigma)
    print(f"-Δu + {C}·exp(u) = Bθ on a {n}×{n} grid ({n * n} unknowns), {sensors.size} sensors, "
          f"noise σ = {sigma:.2e}; max u = {np.max(u_true):.3f}")

    evaluations = []

    def value_and_grad(theta):
        t = time.perf_counter()
        sol = adjoint.solve(g, {"theta": theta}, "J", forward="newton", adjoint="direct")
        g.nodes["u"]["init"] = sol.values["u"]  # warm start: the next θ is close
        block = sol.blocks[0]
        evaluations.append((sol.objective, block.forward_iterations, block.residual, time.perf_counter() - t))
        return sol.objective, sol.gradient["theta"]

    theta0 = np.full(16, 30.0)
    # The gradient, once, against a central difference along a random direction.
    J0, grad0 = value_and_grad(theta0)
    direction = rng.normal(size=16)
    step = 1e-3
    tight = {"forward": "newton", "rtol": 1e-13}
    J_plus = float(adjoint.solve(g, {"theta": theta0 + step * direction}, **tight).values["J"])
    J_minus = float(adjoint.solve(g, {"theta": theta0 - step * direction}, **tight).values["J"])
    fd = (J_plus - J_minus) / (2 * step)
    analytic = float(grad0 @ direction)
    fd_error = abs(analytic - fd) / abs(fd)
    print(f"gradient check at θ0 along a random d: ∇J·d = {analytic:+.10e}, central difference "
          f"{fd:+.10e}, relative error {fd_error:.1e}")

    trace = []
    t = time.perf_counter()
    result = scipy.optimize.minimize(
        value_and_grad, theta0, jac=True, method="L-BFGS-B",
        callback=lambda xk: trace.append(float(evaluations[-1][0])), options={"maxiter": 200},
    )
    elapsed = time.perf_counter() - t
    recovery = np.linalg.norm(result.x - theta_true) / np.linalg.norm(theta_true)
    start = np.linalg.norm(theta0 - theta_true) / np.linalg.norm(theta_true)

    print()
    print("L-BFGS-B trace (every few iterations)")
    print(" iteration   J")
    shown = sorted(set(list(range(0, len(trace), max(1, len(trace) // 8))) + [len(trace) - 1]))
    for k in shown:
        print(f"{k + 1:10d}   {trace[k]:.6e}")
    newton = [e[1] for e in evaluations[1:]]
    residuals = [e[2] for e in evaluations[1:]]
    print()
    print(f"{result.message}")
    print(f"iterations {result.nit}, value_and_grad calls {result.nfev}, {elapsed:.2f} s "
          f"({elapsed / result.nfev * 1e3:.0f} ms per call, {np.mean(newton):.1f} Newton steps on average, "
          f"adjoint KKT residual <= {max(residuals):.1e})")
    print(f"J: {J0:.4e} -> {result.fun:.4e}   (noise level: J ≈ {sensors.size / 2:.0f})")
    print(f"relative error of θ: {start:.3f} at the start -> {recovery:.3f} recovered")
    return {"result": result, "theta_true": theta_true, "recovery": recovery, "fd_error": fd_error,
            "evaluations": evaluations}


if __name__ == "__main__":
    main()
