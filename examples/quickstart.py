"""The Lagrangian view of an ordinary program.

Vieira's example (2017): z3 = z1 * z2, z4 = sin(z3), z5 = z4 + z1, objective J = z5.
We build the constraint graph, solve it, and print the values, the Lagrange multipliers
(λ_i = dJ/dε_i for a perturbation z_i = f_i(...) + ε_i), and the gradient; then the same
program as plain numpy code, differentiated by ``adjoint.grad`` and by autograd.

Run: python examples/quickstart.py
"""

import numpy as np

import adjoint
import adjoint.numpy as anp


def build_graph():
    g = adjoint.ConstraintGraph()
    g.add_input("z1")
    g.add_input("z2")
    g.add_constraint("z3", lambda a, b: a * b, ["z1", "z2"])
    g.add_constraint("z4", lambda a: anp.sin(a), ["z3"])
    g.add_constraint("z5", lambda a, b: a + b, ["z4", "z1"])
    return g


def program(x, np_=anp):
    """The same program as numpy code: x = [z1, z2]."""
    z3 = x[0] * x[1]
    z4 = np_.sin(z3)
    return z4 + x[0]


def main(small=False):
    inputs = {"z1": 0.7, "z2": -1.3}
    sol = adjoint.solve(build_graph(), inputs, "z5")
    print("node  value        multiplier λ")
    for name in ("z3", "z4", "z5"):
        print(f"{name:4}  {float(sol.values[name]):+.9f}  {float(sol.multipliers[name]):+.9f}")
    print()
    x = np.array([inputs["z1"], inputs["z2"]])
    ours = adjoint.grad(program)(x)
    rows = [("Lagrangian (solve)", np.array([sol.gradient["z1"], sol.gradient["z2"]])), ("adjoint.grad", ours)]
    try:
        import autograd
        import autograd.numpy as agnp

        rows.append(("autograd.grad", autograd.grad(lambda x: program(x, agnp))(x)))
    except ImportError:  # pragma: no cover - autograd is a test dependency
        print("(autograd is not installed: pip install autograd for the comparison)")
    reference = rows[-1][1]
    print("method                dJ/dz1         dJ/dz2         max |diff| to last row")
    for label, g in rows:
        print(f"{label:20}  {g[0]:+.10f}  {g[1]:+.10f}  {np.max(np.abs(g - reference)):.1e}")
    return sol, rows


if __name__ == "__main__":
    main()
