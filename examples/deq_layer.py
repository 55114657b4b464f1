"""A deep-equilibrium layer: exact, Neumann-k and Jacobian-free gradients compared.

The layer's output is the fixed point ``z* = tanh(W z* + U x + b)`` (one row per example of
a batch), found by ``adjoint.fixed_point`` inside an ordinary loss that ``adjoint.grad``
differentiates with respect to ``W``, ``U`` and ``b``. The fixed point is a cyclic
component of the traced program; its ``adjoint=`` option says how its multiplier is found:

* ``"direct"``: sparse LU of ``I - ∂f/∂z`` (assembled from sparse partials), exact;
* ``"gmres"``: GMRES on the matrix-free ``v ↦ v - (∂f/∂z)ᵀ v``, exact to its tolerance;
* ``"neumann"`` with ``k``: ``Σ_{m≤k} ((∂f/∂z)ᵀ)^m ḡ``, k trips around the cycle;
* ``"jfb"``: Jacobian-free backprop (Fung et al. 2021), one VJP of f at z* (k = 0).

The table shows, per method, the cosine of the gradient to the exact one, its relative
error, and the time of one gradient (the fixed point solved forward, then the adjoint).

Run: python examples/deq_layer.py
"""

import time

import numpy as np

import adjoint
import adjoint.numpy as anp

CONTRACTION = 0.8  # spectral norm of W: f is a contraction, every method is defined


def make_problem(batch, width, inputs, seed=0):
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(width, width))
    W *= CONTRACTION / np.linalg.norm(W, 2)
    U = rng.normal(size=(width, inputs)) / np.sqrt(inputs)
    b = rng.normal(size=width) * 0.1
    X = rng.normal(size=(batch, inputs))
    readout = rng.normal(size=width) / np.sqrt(width)
    targets = rng.normal(size=batch)
    return (W, U, b), X, readout, targets


def loss_for(X, readout, targets, method, options):
    def layer(z, W, U, b, X):
        return anp.tanh(z @ W.T + X @ U.T + b)

    def loss(W, U, b):
        z0 = np.zeros((X.shape[0], W.shape[0]))
        z = adjoint.fixed_point(layer, z0, W, U, b, X, forward="anderson", adjoint=method,
                                adjoint_options=options)
        return anp.mean((z @ readout - targets) ** 2)

    return loss


def flat(grads):
    return np.concatenate([np.ravel(g) for g in grads])


def timed_gradient(params, X, readout, targets, method, options, repeats):
    grad = adjoint.grad(loss_for(X, readout, targets, method, options), argnum=(0, 1, 2))
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        g = grad(*params)
        times.append(time.perf_counter() - t)
    return flat(g), min(times)


def main(small=False):
    batch, width, inputs = (16, 16, 4) if small else (128, 64, 16)
    repeats = 1 if small else 5
    params, X, readout, targets = make_problem(batch, width, inputs)
    print(f"DEQ layer z = tanh(W z + U x + b): batch {batch}, width {width}, inputs {inputs}; "
          f"||W||_2 = {CONTRACTION}; {sum(p.size for p in params)} parameters")

    methods = [("direct", "direct", {}), ("gmres", "gmres", {})]
    methods += [(f"neumann k={k}", "neumann", {"k": k}) for k in (1, 2, 5, 10, 20)]
    methods += [("jfb", "jfb", {})]
    rows = []
    exact = None
    for label, method, options in methods:
        g, seconds = timed_gradient(params, X, readout, targets, method, options, repeats)
        if exact is None:
            exact = g
        cosine = float(g @ exact / (np.linalg.norm(g) * np.linalg.norm(exact)))
        error = float(np.linalg.norm(g - exact) / np.linalg.norm(exact))
        rows.append((label, cosine, error, seconds))

    print()
    print("adjoint          cosine to exact   rel. error   time per gradient [ms]")
    for label, cosine, error, seconds in rows:
        print(f"{label:15}  {cosine:15.10f}   {error:10.1e}   {seconds * 1e3:10.1f}")
    loss = loss_for(X, readout, targets, "direct", {})
    forward = []
    for _ in range(repeats):
        t = time.perf_counter()
        loss(*params)
        forward.append(time.perf_counter() - t)
    print(f"(exact = direct; best of {repeats}; a gradient includes the forward fixed point, by Anderson, "
          f"which alone takes {min(forward) * 1e3:.1f} ms)")
    return rows


if __name__ == "__main__":
    main()
