"""Tangents of a constraint graph: ``(I - J_zz) ż = J_zx ẋ`` by block forward substitution.

The transposed story of ``adjoint.solve``. In a topological order of the strongly connected
components ``I - J_zz`` is block lower triangular, so tangents flow forward: an acyclic node
takes ``ż_i = Σ_j (∂f_i/∂z_j) ż_j`` (one JVP), a cyclic component solves
``(I - J_BB) ż_B = rhs_B`` with the linear solvers of the adjoint, non-transposed.
"""

import numpy as np

from adjoint.errors import NonFiniteError
from adjoint.graph.passes import input_tangents, solve_constraints, tangent_pass
from adjoint.graph.settings import checked_settings
from adjoint.graph.solution import Solution
from adjoint.pytree import refuse_traced


def solve_tangent(graph, inputs, tangents, *, forward="auto", linear="auto", rtol=None, atol=None,
                  maxiter=None, forward_options=None, linear_options=None, throw=True,
                  check_finite=True, sweep="jacobi", callback=None, progress=False):
    """Solve the constraints of ``graph`` and the tangent system for input tangents ``tangents``.

    Parameters
    ----------
    graph : ConstraintGraph
    inputs : dict
        Input name -> value.
    tangents : dict
        Input name -> tangent ``ẋ`` of the input's shape; inputs left out have zero tangent.
    forward, rtol, atol, maxiter, forward_options, throw, check_finite, sweep, callback, progress :
        As for ``adjoint.solve`` (the callback's phase is ``"forward"`` or ``"tangent"``).
    linear : str or dict
        The linear solver of each cyclic component's tangent system
        ``(I - J_BB) ż_B = rhs_B``: the names of ``adjoint=`` in ``adjoint.solve``
        (``"direct"``, ``"gmres"``, ``"neumann"``, ``"jfb"``, …), non-transposed.
    linear_options : dict
        Options of that solver (``k``, ``restart``, …).

    Returns
    -------
    Solution
        ``values``, ``tangents`` (node name -> ``ż``, inputs included) and ``blocks`` (each
        cyclic block's report, the tangent solve's in ``report.tangent``).

    Examples
    --------
    A steady state ``u = sin(u) / 3 + θ²`` and its tangent along ``θ̇ = 1``:

    >>> import adjoint
    >>> import adjoint.numpy as anp
    >>> g = adjoint.ConstraintGraph()
    >>> g.add_input("theta")
    >>> g.add_constraint("u", lambda u, th: anp.sin(u) / 3 + th ** 2, ["u", "theta"], init=0.0)
    >>> sol = adjoint.solve_tangent(g, {"theta": 0.5}, {"theta": 1.0})
    >>> u = sol.values["u"]                  # du/dθ = 2θ / (1 - cos(u) / 3)
    >>> bool(abs(sol.tangents["u"] - 2 * 0.5 / (1 - anp.cos(u) / 3)) < 1e-12)
    True
    """
    refuse_traced([inputs, tangents], "adjoint.solve_tangent")
    settings = checked_settings(graph, locals())
    values, blocks, lins, reports = solve_constraints(graph, inputs, settings)
    seeds = input_tangents(graph, values, tangents)
    dot = tangent_pass(blocks, lins, seeds, settings, reports)
    shaped = {n: np.array(np.broadcast_to(0.0 if dot.get(n) is None else dot[n], np.shape(values[n])))
              for n in values}
    if check_finite:
        bad = [n for n, t in shaped.items() if not np.all(np.isfinite(t))]
        if bad:
            raise NonFiniteError(
                f"the tangent of node {bad[0]!r} is not finite: a local derivative on the way is "
                f"infinite or NaN, or a cyclic tangent solve diverged; pass check_finite=False to see it"
            )
    return Solution(values, blocks=list(reports.values()), tangents=shaped)
