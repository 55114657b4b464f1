"""The deep-equilibrium layer ``z = tanh(W z + U x)``: value and gradient w.r.t. ``W``, five ways.

Batch 64, tolerance 1e-8 (relative residual, forward and adjoint alike), ``‖W‖₂ = 0.9``:

* hand-written numpy: Picard forward, Picard adjoint ``λ = g + Wᵀ(d ⊙ λ)`` — the floor;
* ``adjoint.fixed_point`` with its defaults, and with ``forward=adjoint="fixed_point"``;
* PyTorch: Picard under ``no_grad``, one differentiable step, and a backward hook solving
  the adjoint by Picard (the usual hand-written implicit layer, Bai et al.);
* JAX: a ``custom_vjp`` fixed point (``lax.while_loop`` both ways) under ``jit``.

Every gradient is checked against numpy's (the solvers stop at 1e-8, so they agree to about
that); the rows give each time over numpy's, with the forward and adjoint iterations.
"""

import numpy as np
from timing import best_of

import adjoint
import adjoint.numpy as anp

TOL = 1e-8
BATCH = 64


def problem(width, seed=0):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((width, width))
    W *= 0.9 / np.linalg.norm(W, 2)
    U = rng.standard_normal((width, 32)) / np.sqrt(32)
    return W, U @ rng.standard_normal((32, BATCH))


def by_numpy(W, UX):
    """``(loss, dloss/dW, forward iterations, adjoint iterations)`` by hand."""
    z, forward = np.zeros_like(UX), 0
    while True:
        new, forward = np.tanh(W @ z + UX), forward + 1
        done = np.linalg.norm(new - z) <= TOL * np.linalg.norm(new)
        z = new
        if done:
            break
    g, d = 2 * z, 1 - z ** 2
    lam, backward = g.copy(), 0
    while True:
        new, backward = g + W.T @ (d * lam), backward + 1
        done = np.linalg.norm(new - lam) <= TOL * np.linalg.norm(new)
        lam = new
        if done:
            break
    return float(np.sum(z ** 2)), (d * lam) @ z.T, forward, backward


def by_adjoint(W, UX, **methods):
    reports = []

    def loss(W):
        z, report = adjoint.fixed_point(lambda z, W, UX: anp.tanh(W @ z + UX), np.zeros_like(UX), W, UX,
                                        rtol=TOL, full_output=True, **methods)
        reports.append(report)
        return anp.sum(z ** 2)

    value, grad = adjoint.value_and_grad(loss)(W)
    return value, grad, reports[-1]


def torch_layer(torch):
    """``W, UX -> loss`` with a DEQ layer whose backward hook solves the adjoint by Picard."""

    def picard(step, start):
        x = start
        for _ in range(1000):
            new = step(x)
            if torch.linalg.norm(new - x) <= TOL * torch.linalg.norm(new):
                return new
            x = new
        return x

    def loss(W, UX):
        with torch.no_grad():
            z = picard(lambda z: torch.tanh(W @ z + UX), torch.zeros_like(UX))
        z = torch.tanh(W @ z + UX)  # one differentiable step at the fixed point
        z0 = z.detach().requires_grad_()
        f0 = torch.tanh(W @ z0 + UX)

        def hook(g):
            return picard(lambda lam: torch.autograd.grad(f0, z0, lam, retain_graph=True)[0] + g, g)

        z.register_hook(hook)
        return torch.sum(z ** 2)

    return loss


def jax_layer(jax):
    import jax.numpy as jnp
    from jax import lax

    def picard(step, start):
        def cond(state):
            x, new = state
            return jnp.linalg.norm(new - x) > TOL * jnp.linalg.norm(new)

        def body(state):
            _, x = state
            return x, step(x)

        return lax.while_loop(cond, body, (start, step(start)))[1]

    @jax.custom_vjp
    def fixed_point(W, UX):
        return picard(lambda z: jnp.tanh(W @ z + UX), jnp.zeros_like(UX))

    def forward(W, UX):
        z = fixed_point(W, UX)
        return z, (W, UX, z)

    def backward(residuals, g):
        W, UX, z = residuals
        _, vjp_z = jax.vjp(lambda z: jnp.tanh(W @ z + UX), z)
        lam = picard(lambda lam: g + vjp_z(lam)[0], g)
        _, vjp_p = jax.vjp(lambda W, UX: jnp.tanh(W @ z + UX), W, UX)
        return vjp_p(lam)

    fixed_point.defvjp(forward, backward)
    return jax.jit(jax.value_and_grad(lambda W, UX: jnp.sum(fixed_point(W, UX) ** 2)))


def deq_case(cfg, width, optional, row, check):
    W, UX = problem(width)
    case = f"DEQ layer z = tanh(Wz + Ux), width {width}, batch {BATCH}, tol 1e-8"
    repeats = cfg.repeats
    t_numpy = best_of(lambda: by_numpy(W, UX), repeats)
    _, g_numpy, fwd, bwd = by_numpy(W, UX)
    rows = [row(case, "hand-written numpy (Picard both ways)", t_numpy, "s", note=f"{fwd} + {bwd} iterations")]
    for label, methods, goal in (("adjoint.fixed_point, default methods", {}, "<= 1.2"),
                                 ("adjoint.fixed_point, Picard both ways",
                                  {"forward": "fixed_point", "adjoint": "fixed_point"}, None)):
        t = best_of(lambda methods=methods: by_adjoint(W, UX, **methods), repeats)
        _, g, report = by_adjoint(W, UX, **methods)
        check(g, g_numpy, f"{label} vs numpy", rtol=1e-6)
        rows.append(row(case, f"{label} / numpy", t / t_numpy, goal=goal,
                        note=f"{report.forward_method} {report.forward_iterations} + {report.method} "
                             f"{report.iterations} iterations"))
    torch = optional("torch")
    if torch is not None:
        torch.set_num_threads(cfg.threads)
        loss = torch_layer(torch)
        Wt, UXt = torch.tensor(W, requires_grad=True), torch.tensor(UX)
        t_torch = best_of(lambda: torch.autograd.grad(loss(Wt, UXt), Wt), repeats)
        check(torch.autograd.grad(loss(Wt, UXt), Wt)[0].numpy(), g_numpy, "PyTorch DEQ vs numpy", rtol=1e-6)
        rows.append(row(case, "PyTorch, backward hook / numpy", t_torch / t_numpy))
        rows.append(row(case, "adjoint.fixed_point (defaults) / PyTorch",
                        rows[1]["value"] * t_numpy / t_torch, goal="<= 1"))
    jax = optional("jax")
    if jax is not None:
        jax.config.update("jax_enable_x64", True)
        f = jax_layer(jax)
        f(W, UX)[1].block_until_ready()
        t_jax = best_of(lambda: f(W, UX)[1].block_until_ready(), repeats)
        check(np.asarray(f(W, UX)[1]), g_numpy, "JAX DEQ vs numpy", rtol=1e-6)
        rows.append(row(case, "JAX custom_vjp under jit / numpy", t_jax / t_numpy))
    return rows
