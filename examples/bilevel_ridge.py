"""Bilevel ridge regression: one penalty per feature, tuned on a validation set.

The inner problem fits the weights for given penalties ``λ`` (one per feature),

    w*(λ) = argmin_w  ½ ‖X w - y‖² + ½ Σ_j λ_j w_j²,

and the outer problem scores them on held-out data, ``L(λ) = ½ ‖X_v w*(λ) - y_v‖²``. The
hypergradient ``dL/dλ`` goes through the minimiser: ``w*`` is the root of the inner
gradient ``∇_w g = (XᵀX + diag λ) w - Xᵀy = 0``, so by the implicit function theorem
``dw*/dλ = -A⁻¹ ∂(∇_w g)/∂λ = -A⁻¹ diag(w)`` with ``A = XᵀX + diag λ`` (the inner Hessian),
and

    dL/dλ = -(A⁻¹ X_vᵀ (X_v w - y_v)) ⊙ w = -μ ⊙ w.

``μ`` is the adjoint of the inner optimality condition. ``adjoint.argmin`` builds exactly that
adjoint system from the composed second derivatives of ``g``; here its answer is checked
against the closed form, to round-off. Then ``scipy.optimize.minimize`` (L-BFGS-B,
``jac=True``) tunes ``s = log λ`` (so the penalties stay positive), within wide bounds
(``e⁻⁸ <= λ <= e¹²``: a feature the validation set wants gone sends its ``λ`` to infinity).
The data have a few relevant features and many irrelevant ones: the tuned penalties mostly
shrink the irrelevant ones hard and leave the relevant ones (all but the tiny ones) nearly
free, which no single shared penalty can do; a fresh test set shows how much of the gain is
real rather than fitted to the validation set.

Run: python examples/bilevel_ridge.py
"""

import time

import numpy as np
import scipy.optimize

import adjoint
import adjoint.numpy as anp

NOISE = 1.0  # noise standard deviation of the targets
GRADIENT_TOLERANCE = 1e-10  # relative, against the closed form


def make_data(rng, n_samples, n_features, n_relevant, n_test=1000):
    """Training, validation and test sets of a linear model with only ``n_relevant`` nonzero weights."""
    w_true = np.zeros(n_features)
    w_true[:n_relevant] = rng.normal(0.0, 2.0, n_relevant)

    def sample(n):
        X = rng.normal(size=(n, n_features))
        return X, X @ w_true + NOISE * rng.normal(size=n)

    return sample(n_samples), sample(n_samples), sample(n_test)


def inner_loss(w, lam, X, y):
    """``½ ‖X w - y‖² + ½ Σ λ_j w_j²``: the ridge objective with a penalty per feature."""
    r = X @ w - y
    return 0.5 * anp.sum(r * r) + 0.5 * anp.sum(lam * w * w)


def closed_form(lam, X, y, Xv, yv):
    """The validation loss and its gradient in ``λ``, from the formulas in the module docstring."""
    A = X.T @ X + np.diag(lam)
    w = np.linalg.solve(A, X.T @ y)
    rv = Xv @ w - yv
    mu = np.linalg.solve(A, Xv.T @ rv)
    return 0.5 * rv @ rv, -mu * w


def relative(a, b):
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)) / np.linalg.norm(b))


def main(small=False):
    n_samples, n_features, n_relevant = (40, 8, 3) if small else (100, 50, 10)
    rng = np.random.default_rng(0)
    (X, y), (Xv, yv), (Xt, yt) = make_data(rng, n_samples, n_features, n_relevant)
    w0 = np.zeros(n_features)

    def validation_loss(lam):
        w = adjoint.argmin(inner_loss, w0, lam, X, y)
        rv = Xv @ w - yv
        return 0.5 * anp.sum(rv * rv)

    print(f"ridge regression, {n_samples} training and {n_samples} validation samples, noise σ = {NOISE}, "
          f"{n_features} features ({n_relevant} relevant), one penalty per feature")
    print()

    # The hypergradient at a spread of penalties, against the closed form.
    lam = np.exp(rng.uniform(-1.0, 2.0, n_features))
    t = time.perf_counter()
    value, grad = adjoint.value_and_grad(validation_loss)(lam)
    elapsed = time.perf_counter() - t
    value_ref, grad_ref = closed_form(lam, X, y, Xv, yv)
    rows = [("validation loss", float(value), float(value_ref), abs(float(value) - value_ref) / abs(value_ref)),
            ("dL/dλ (vector, norm)", np.linalg.norm(grad), np.linalg.norm(grad_ref), relative(grad, grad_ref))]
    print(f"{'quantity':22}  {'adjoint.argmin':19}  {'closed form':19}  relative error")
    for label, ours, ref, err in rows:
        print(f"{label:22}  {ours:+.12e}  {ref:+.12e}  {err:.1e}")
    print(f"(value_and_grad: {elapsed * 1e3:.1f} ms)")
    for label, _, _, err in rows:
        if not err <= GRADIENT_TOLERANCE:
            raise AssertionError(f"{label}: relative error {err:.1e} against the closed form exceeds "
                                 f"{GRADIENT_TOLERANCE:.0e}")

    # Tuning: minimise over s = log λ, so that λ = exp(s) > 0; the bounds only stop s running off to ±∞.
    def objective(s):
        value, grad = adjoint.value_and_grad(lambda s: validation_loss(anp.exp(s)))(s)
        return float(value), np.asarray(grad)

    # Start from the best single shared penalty on a coarse grid: a fair baseline.
    grid = np.logspace(-2, 3, 21)
    shared = [closed_form(np.full(n_features, a), X, y, Xv, yv)[0] for a in grid]
    alpha = grid[int(np.argmin(shared))]
    s0 = np.full(n_features, np.log(alpha))
    t = time.perf_counter()
    result = scipy.optimize.minimize(objective, s0, jac=True, method="L-BFGS-B",
                                     bounds=[(-8.0, 12.0)] * n_features, options={"maxiter": 500})
    elapsed = time.perf_counter() - t
    lam_tuned = np.exp(result.x)
    before, after = objective(s0)[0], result.fun
    # The optimiser's answer, re-scored by the closed form (independent of the library).
    after_ref = closed_form(lam_tuned, X, y, Xv, yv)[0]

    print()
    print(f"tuning log λ by L-BFGS-B: {result.message}")
    print(f"iterations {result.nit}, value_and_grad calls {result.nfev}, {elapsed:.2f} s "
          f"({elapsed / result.nfev * 1e3:.1f} ms per call)")
    print(f"validation loss: shared λ = {alpha:.3g} -> {before:.6f};  tuned per feature -> {after:.6f} "
          f"(closed form {after_ref:.6f})")
    relevant, irrelevant = lam_tuned[:n_relevant], lam_tuned[n_relevant:]
    test_before = closed_form(np.exp(s0), X, y, Xt, yt)[0] / yt.size
    test_after = closed_form(lam_tuned, X, y, Xt, yt)[0] / yt.size
    print(f"mean loss on {yt.size} fresh test samples (not used in tuning): {test_before:.4f} -> {test_after:.4f} "
          f"(noise floor {0.5 * NOISE**2:.2f})")
    print(f"tuned λ, relevant features:   median {np.median(relevant):.3g}  (range {relevant.min():.3g} .. "
          f"{relevant.max():.3g})")
    print(f"tuned λ, irrelevant features: median {np.median(irrelevant):.3g}  (range {irrelevant.min():.3g} .. "
          f"{irrelevant.max():.3g})")
    if not after < before:
        raise AssertionError(f"tuning did not lower the validation loss ({before} -> {after})")
    if not abs(after - after_ref) <= 1e-8 * abs(after_ref):
        raise AssertionError(f"the tuned validation loss {after} disagrees with the closed form {after_ref}")
    return {"gradient_error": rows[1][3], "before": before, "after": after, "test": (test_before, test_after),
            "lam": lam_tuned, "result": result}


if __name__ == "__main__":
    main()
