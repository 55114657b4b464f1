"""The hypergradient of a logistic regression's regularisation strength, two ways.

The inner problem trains a logistic regression with an L2 penalty of strength ``α``,

    w*(α) = argmin_w  g(w, α) = (1/n) Σ_i [log(1 + exp(x_iᵀw)) - y_i x_iᵀw] + (α/2) ‖w‖²,

and the outer loss is the mean log-loss ``L(α)`` of ``w*(α)`` on a validation set. By the
implicit function theorem applied to the optimality condition ``∇_w g(w*, α) = 0``,

    dL/dα = -(∂²g/∂α∂w)ᵀ H⁻¹ ∇_w L = -w*ᵀ H⁻¹ ∇_w L,    H = ∇²_ww g = (1/n) Xᵀ diag(p(1-p)) X + α I,

one linear solve with the inner Hessian, whatever optimiser found ``w*``. ``adjoint.argmin``
builds that solve from the composed second derivatives of ``g``; here it is run with the
inner problem solved by its own Newton method, by L-BFGS-B and by trust-ncg (scipy), which must
all give the same hypergradient.

The reference differentiates the optimiser instead: 30 plain Newton steps from ``w = 0``,
written in ``autograd.numpy`` and differentiated by autograd (HIPS) through every step. Newton
has converged to round-off well before step 30, and the derivative of a converged, unrolled
Newton iteration is the implicit derivative (the error in ``dw_k/dα`` contracts with
Newton's error), so the two must agree to ~1e-9 — at a cost that grows with the number of steps
for the unrolled one, and is one Hessian solve for the implicit one.

Run: python examples/logistic_hyper.py
"""

import time

import numpy as np

import adjoint
import adjoint.numpy as anp

ALPHA = 0.01  # the regularisation strength at which the hypergradient is taken
UNROLLED_STEPS = 30
TOLERANCE = 1e-9  # relative agreement with the unrolled reference
# The inner stopping rule, ‖∇_w g‖ <= INNER_RTOL ‖w‖: the hypergradient inherits the inner residual
# divided by the Hessian's smallest eigenvalue (~0.07 here), so the default (1e-10) would leave
# ~1e-9 of difference to the unrolled reference, whose 30 steps go to round-off.
INNER_RTOL = 1e-13


def make_data(rng, n, d):
    """Overlapping classes (not separable, so the unregularised problem has a minimum too)."""
    w_true = rng.normal(size=d) * 2.0 / np.sqrt(d)  # logits x·w of standard deviation about 2
    X = rng.normal(size=(2 * n, d))
    y = (rng.uniform(size=2 * n) < 1.0 / (1.0 + np.exp(-X @ w_true))).astype(float)
    return (X[:n], y[:n]), (X[n:], y[n:])


def log_loss(w, X, y, np_=anp):
    """The mean logistic loss ``(1/n) Σ log(1 + e^{xᵀw}) - y xᵀw`` (``logaddexp``: no overflow)."""
    s = X @ w
    return np_.mean(np_.logaddexp(0.0, s) - y * s)


def inner(w, alpha, X, y):
    return log_loss(w, X, y) + 0.5 * alpha * anp.sum(w * w)


def unrolled_validation_loss(alpha, train, valid, steps=UNROLLED_STEPS):
    """The reference: ``steps`` Newton steps from ``w = 0`` in autograd.numpy, then the validation loss."""
    import autograd.numpy as agnp

    X, y = train
    n, d = X.shape
    w = agnp.zeros(d)
    for _ in range(steps):
        p = 1.0 / (1.0 + agnp.exp(-(X @ w)))
        gradient = X.T @ (p - y) / n + alpha * w
        hessian = (X.T * (p * (1.0 - p))) @ X / n + alpha * agnp.eye(d)
        w = w - agnp.linalg.solve(hessian, gradient)
    return log_loss(w, *valid, np_=agnp)


def main(small=False):
    n, d = (100, 5) if small else (2000, 40)
    rng = np.random.default_rng(3)
    train, valid = make_data(rng, n, d)
    print(f"logistic regression, {n} training and {n} validation samples, {d} features; α = {ALPHA}")

    try:
        import autograd
    except ImportError:  # pragma: no cover - autograd is a test dependency
        print("(autograd is not installed: pip install autograd for the reference)")
        return None
    t = time.perf_counter()
    ref_value, ref_grad = autograd.value_and_grad(unrolled_validation_loss)(ALPHA, train, valid)
    ref_time = time.perf_counter() - t

    rows = []
    for method in ("newton", "lbfgs", "trust-ncg"):
        def validation_loss(alpha, method=method):
            w = adjoint.argmin(inner, np.zeros(d), alpha, *train, method=method, rtol=INNER_RTOL)
            return log_loss(w, *valid)

        adjoint.value_and_grad(validation_loss)(ALPHA)  # once untimed: first-call setup is not the method's cost
        t = time.perf_counter()
        value, grad = adjoint.value_and_grad(validation_loss)(ALPHA)
        rows.append((f"argmin, {method}", float(value), float(grad), time.perf_counter() - t))
    rows.append((f"autograd, {UNROLLED_STEPS} Newton steps", float(ref_value), float(ref_grad), ref_time))

    print()
    print(f"{'method':30}  {'validation loss':>20}  {'dL/dα':>20}  {'rel. diff':>9}  {'time':>8}")
    errors = {}
    for label, value, grad, elapsed in rows:
        errors[label] = abs(grad - ref_grad) / abs(ref_grad)
        print(f"{label:30}  {value:20.14f}  {grad:+20.13e}  {errors[label]:9.1e}  {elapsed * 1e3:6.1f} ms")
    for label, error in errors.items():
        if not error <= TOLERANCE:
            raise AssertionError(f"{label}: dL/dα differs from the unrolled reference by {error:.1e} (relative), "
                                 f"more than {TOLERANCE:.0e}")
    value_error = max(abs(value - ref_value) for _, value, _, _ in rows) / abs(ref_value)
    if not value_error <= TOLERANCE:
        raise AssertionError(f"the validation loss differs from the reference by {value_error:.1e} (relative)")
    return rows


if __name__ == "__main__":
    main()
