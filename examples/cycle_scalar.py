"""The smallest cycle: ``z = cos(z)/2 + x``, by every forward and every adjoint method.

One constraint that uses its own node is a cyclic component. Its forward pass is a
nonlinear solve, its multiplier solves ``(1 - ∂f/∂z) λ = 1``, and the gradient
``dz/dx = λ · ∂f/∂x`` has the closed form ``1 / (1 + sin(z)/2)`` (the implicit function
theorem). The table gives the error of every forward × adjoint combination against it:
exact methods reach rounding or their tolerance (rtol 1e-10); Neumann-k (k = 10 here) and
JFB are approximations, and their error says how much they drop.

Run: python examples/cycle_scalar.py
"""

import numpy as np

import adjoint
import adjoint.numpy as anp

FORWARD = ("fixed_point", "anderson", "newton", "newton_krylov", "auto")
ADJOINT = ("direct", "gmres", "bicgstab", "lgmres", "fixed_point", "neumann", "jfb", "auto")


def build():
    g = adjoint.ConstraintGraph()
    g.add_input("x")
    g.add_constraint("z", lambda z, x: anp.cos(z) / 2 + x, ["z", "x"], init=0.0)
    return g


def reference(x):
    """``z*`` by scalar Newton to rounding, and the analytic ``dz/dx`` there."""
    z = 0.0
    for _ in range(50):
        z -= (z - np.cos(z) / 2 - x) / (1 + np.sin(z) / 2)
    return z, 1 / (1 + np.sin(z) / 2)


def main(small=False):
    x = 1.0
    z_ref, dzdx = reference(x)
    g = build()
    print(f"z = cos(z)/2 + x at x = {x}:  z* = {z_ref:.15f},  dz/dx = 1/(1 + sin(z*)/2) = {dzdx:.15f}")
    print()
    errors = {}
    forward_rows = []
    for f in FORWARD:
        for a in ADJOINT:
            sol = adjoint.solve(g, {"x": x}, "z", forward=f, adjoint=a)
            errors[f, a] = abs(float(sol.gradient["x"]) - dzdx)
            report = sol.blocks[0]
        forward_rows.append((f, report.forward_method, report.forward_iterations, abs(float(sol.values["z"]) - z_ref)))

    print("forward         (ran as)       iterations   |z - z*|")
    for f, ran, iterations, err in forward_rows:
        print(f"{f:15} {ran:14} {iterations:10d}   {err:.1e}")
    print()
    print("|dz/dx - analytic|   adjoint method")
    print("forward         " + "".join(f"{a:>12}" for a in ADJOINT))
    for f in FORWARD:
        print(f"{f:15} " + "".join(f"{errors[f, a]:12.1e}" for a in ADJOINT))
    return {"z": z_ref, "dzdx": dzdx, "errors": errors, "forward": forward_rows}


if __name__ == "__main__":
    main()
