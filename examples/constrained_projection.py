"""Projections as equality-constrained minimisers: values, multipliers and Jacobians against the formulas.

The Euclidean projection of ``y ∈ Rⁿ`` onto a set ``{z : h(z) = 0}`` is

    z*(y) = argmin_z ½ ‖z - y‖²   subject to   h(z) = 0.

With the inner Lagrangian ``½ ‖z - y‖² + νᵀ h(z)``, the KKT conditions are

    z - y + (∂h/∂z)ᵀ ν = 0,    h(z) = 0,

and ``adjoint.argmin(..., constraints=h)`` solves them for ``(z, ν)`` (by Newton on the KKT
system, or by scipy's SLSQP followed by a Newton polish). The implicit function theorem on the
same system gives ``dz*/dy`` and ``dν/dy``: one solve with the (indefinite) KKT matrix
``[[I + Σ ν_k ∇²h_k, (∂h/∂z)ᵀ], [∂h/∂z, 0]]`` per direction. Three sets, each with its closed form:

* the unit sphere, ``h = ‖z‖² - 1``: ``z = y / ‖y‖``; from ``z (1 + 2ν) = y``, ``ν = (‖y‖ - 1) / 2``;
  ``dz/dy = (I - z zᵀ) / ‖y‖``, ``dν/dy = y / (2 ‖y‖)``;
* the hyperplane ``h = Σ z - 1``: ``z = y - ν 1`` with ``ν = (Σ y - 1) / n``; ``dz/dy = I - 1 1ᵀ / n``,
  ``dν/dy = 1 / n``;
* their intersection, a sphere of radius ``r = √(1 - 1/n)`` about ``1/n`` inside the hyperplane,
  ``h = (‖z‖² - 1, Σ z - 1)``: with ``p = y - (Σ y / n) 1``, ``z = 1/n + r p / ‖p‖``; from
  ``z (1 + 2ν₁) = y - ν₂ 1``, ``ν₁ = (‖p‖ / r - 1) / 2`` and ``ν₂ = (Σ y - ‖p‖ / r) / n``;
  ``dz/dy = (r / ‖p‖) (I - p̂ p̂ᵀ - 1 1ᵀ / n)``.

Run: python examples/constrained_projection.py
"""

import time

import numpy as np

import adjoint
import adjoint.numpy as anp

TOLERANCE = {"z": 1e-10, "ν": 1e-10, "dz/dy": 1e-9, "dν/dy": 1e-9}  # relative (Frobenius) errors


def distance(z, y):
    return 0.5 * anp.sum((z - y) ** 2)


def sphere(z, y):
    return anp.reshape(anp.sum(z * z) - 1.0, (1,))


def hyperplane(z, y):
    return anp.reshape(anp.sum(z) - 1.0, (1,))


def circle(z, y):
    return anp.stack([anp.sum(z * z) - 1.0, anp.sum(z) - 1.0])


def sphere_exact(y):
    norm = np.linalg.norm(y)
    z = y / norm
    return z, np.array([(norm - 1.0) / 2.0]), (np.eye(y.size) - np.outer(z, z)) / norm, (y / (2.0 * norm))[None, :]


def hyperplane_exact(y):
    n = y.size
    nu = (y.sum() - 1.0) / n
    return y - nu, np.array([nu]), np.eye(n) - np.ones((n, n)) / n, np.full((1, n), 1.0 / n)


def circle_exact(y):
    n = y.size
    r = np.sqrt(1.0 - 1.0 / n)
    p = y - y.mean()
    norm = np.linalg.norm(p)
    unit = p / norm
    z = 1.0 / n + r * unit
    nu = np.array([(norm / r - 1.0) / 2.0, (y.sum() - norm / r) / n])
    dz = (r / norm) * (np.eye(n) - np.outer(unit, unit) - np.ones((n, n)) / n)
    # ν₁ = (‖p‖/r - 1)/2 and ν₂ = (Σy - ‖p‖/r)/n, with d‖p‖/dy = p̂ (p̂ ⊥ 1).
    dnu = np.stack([unit / (2.0 * r), (np.ones(n) - unit / r) / n])
    return z, nu, dz, dnu


CASES = [("sphere", sphere, sphere_exact), ("hyperplane", hyperplane, hyperplane_exact),
         ("sphere ∩ hyperplane", circle, circle_exact)]


def relative(a, b):
    scale = np.linalg.norm(b)
    return float(np.linalg.norm(np.asarray(a) - b) / (scale if scale > 0 else 1.0))


def main(small=False):
    n = 6 if small else 200
    rng = np.random.default_rng(5)
    y = rng.normal(size=n) + 0.5  # not symmetric about the origin: Σy and ‖y‖ are both generic
    # Newton finds the stationary point near its start, and the sphere has two (the nearest and the
    # farthest point): start on the near side, a perturbed guess rather than the answer.
    z0 = y / np.linalg.norm(y) + 0.3 * rng.normal(size=n) / np.sqrt(n)
    print(f"projections of y ∈ R^{n} (‖y‖ = {np.linalg.norm(y):.4f}, Σy = {y.sum():.4f}) by adjoint.argmin "
          f"with equality constraints")
    print()
    print(f"{'set':20}  {'method':7}  {'quantity':6}  {'‖value‖':>14}  {'‖reference‖':>14}  {'rel. error':>10}  "
          f"{'time':>8}")
    failures, rows = [], []
    for name, h, exact in CASES:
        z_ref, nu_ref, dz_ref, dnu_ref = exact(y)
        for method in ("newton", "slsqp"):
            def project(y, method=method, h=h):
                return adjoint.argmin(distance, z0, y, constraints=h, method=method, full_output=True)

            def stacked(y, project=project):
                z, report = project(y)
                return anp.concatenate([z, report.multipliers])

            t = time.perf_counter()
            z, report = project(y)
            t_value = time.perf_counter() - t
            t = time.perf_counter()
            # One Jacobian of (z, ν) stacked: both come out of the same KKT solve.
            both = np.asarray(adjoint.jacobian(stacked)(y))
            dz, dnu = both[:n], both[n:]
            t_jac = time.perf_counter() - t
            for quantity, ours, ref, elapsed in (("z", z, z_ref, t_value), ("ν", report.multipliers, nu_ref, None),
                                                 ("dz/dy", dz, dz_ref, t_jac), ("dν/dy", dnu, dnu_ref, None)):
                error = relative(ours, ref)
                rows.append((name, method, quantity, error))
                shown = f"{elapsed * 1e3:6.1f} ms" if elapsed is not None else ""
                print(f"{name:20}  {method:7}  {quantity:6}  {np.linalg.norm(ours):14.10f}  "
                      f"{np.linalg.norm(ref):14.10f}  {error:10.1e}  {shown:>8}")
                if not error <= TOLERANCE[quantity]:
                    failures.append(f"{name}, {method}, {quantity}: relative error {error:.1e} > "
                                    f"{TOLERANCE[quantity]:.0e}")
    print("(time on the z rows: the projection; on the dz/dy rows: both Jacobians, n directions each)")
    if failures:
        raise AssertionError("; ".join(failures))
    return rows


if __name__ == "__main__":
    main()
