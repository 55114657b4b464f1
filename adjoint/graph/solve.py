"""``adjoint.solve``: the forward pass and the block back-substitution over a graph."""

import numpy as np

from adjoint.errors import InvalidArgumentError, NonFiniteError
from adjoint.graph.linearisation import holds_none
from adjoint.graph.passes import adjoint_pass, solve_constraints
from adjoint.graph.settings import checked_settings
from adjoint.graph.solution import Solution
from adjoint.graph.triangular import triangular_multipliers
from adjoint.pytree import refuse_traced
from graphs.gc_pause import paused_gc


def solve(graph, inputs, objective=None, *, cotangent=None, forward="auto", adjoint="auto", rtol=None, atol=None,
          maxiter=None, forward_options=None, adjoint_options=None, throw=True, check_finite=True,
          sweep="jacobi", callback=None, progress=False):
    """Solve the constraints of ``graph`` and the adjoint system of ``objective``.

    Parameters
    ----------
    graph : ConstraintGraph
    inputs : dict
        Input name -> value. Not modified.
    objective : node name, or (node name, cotangent), optional
        A node holding a scalar, or a node and a cotangent of its shape (a vector–Jacobian
        product). ``None`` solves the constraints only. A tuple that is itself a node is that
        node; one that is a node *and* whose first item is a node too is ambiguous, and raises
        ``InvalidArgumentError``: spell it ``objective=node, cotangent=...``.
    cotangent : array_like, optional
        The cotangent ``∇_z J`` for the node ``objective``, of its shape: the unambiguous
        spelling of ``(node, cotangent)``, for any node name, tuples included.
    forward : str or dict
        The nonlinear solver of each cyclic component: ``"auto"``, ``"fixed_point"``,
        ``"anderson"``, ``"newton"``, ``"newton_krylov"``; or a dict from node name to method
        (a component takes the method of its named nodes; key ``None`` sets the default).
        ``"auto"`` is Newton on the assembled Jacobian for components of at most
        ``AUTO_NEWTON_MAX_SIZE`` scalars, else Anderson.
    adjoint : str or dict
        The linear solver of each cyclic component: ``"auto"``, ``"direct"``, ``"gmres"``,
        ``"bicgstab"``, ``"lgmres"``, ``"fixed_point"``, ``"neumann"``, ``"jfb"``, or a dict as
        for ``forward``. ``"auto"`` is sparse direct up to ``AUTO_DIRECT_MAX_SIZE`` scalars,
        else GMRES. For an acyclic graph, ``"triangular"`` assembles ``I - J_zz`` and solves
        it with ``scipy.sparse.linalg.spsolve_triangular``.
    rtol, atol, maxiter :
        Tolerances of every solve, by the rule of ``solvers.tolerance``: converged when
        ``‖r‖ <= max(rtol ‖b‖, atol)``. Defaults are tight (rtol 1e-10).
    forward_options, adjoint_options : dict
        Method options passed to the solvers (``damping``, ``memory``, ``k``, ``restart``, ...).
    throw : bool
        Raise ``ConvergenceError`` when a solve does not converge (default); if false, warn and
        go on with the best iterate, the report saying ``converged=False``.
    check_finite : bool
        Raise ``NonFiniteError`` naming the first node whose value or multiplier is NaN/Inf.
    sweep : {"jacobi", "gauss_seidel"}
        How the fixed-point map of a component is evaluated.

    callback : callable, optional
        ``callback(block_nodes, phase, iteration, residual)`` after every iteration of a cyclic
        component's solve; ``phase`` is ``"forward"`` or ``"adjoint"``, ``residual`` relative.
    progress : bool
        Show a progress bar per cyclic solve (tqdm if installed, else plain lines on stderr).

    Returns
    -------
    Solution

    Examples
    --------
    A fixed point ``z = cos(z) / 2 + x``; its gradient is the implicit function theorem's:

    >>> import adjoint
    >>> import adjoint.numpy as anp
    >>> g = adjoint.ConstraintGraph()
    >>> g.add_input("x")
    >>> g.add_constraint("z", lambda z, x: anp.cos(z) / 2 + x, ["z", "x"], init=0.0)
    >>> sol = adjoint.solve(g, {"x": 1.0}, "z")
    >>> z = sol.values["z"]
    >>> bool(abs(sol.gradient["x"] - 1 / (1 + anp.sin(z) / 2)) < 1e-12)
    True

    A vector–Jacobian product, ``cotangent`` naming the weights of the node's entries:

    >>> g.add_constraint("w", lambda z, x: anp.stack([z, 3 * x]), ["z", "x"])
    >>> float(adjoint.solve(g, {"x": 1.0}, "w", cotangent=[0.0, 1.0]).gradient["x"])
    3.0
    """
    refuse_traced(inputs, "adjoint.solve")
    settings = checked_settings(graph, locals())
    with paused_gc():  # the linearisations of every node live until the end: see graphs.gc_pause
        return _solve(graph, inputs, objective, cotangent, adjoint, check_finite, settings)


def _solve(graph, inputs, objective, cotangent, adjoint, check_finite, settings):
    values, blocks, lins, reports = solve_constraints(graph, inputs, settings)
    if objective is None:
        if cotangent is not None:
            raise InvalidArgumentError("a cotangent was given but no objective; pass objective=<node name>")
        return Solution(values, blocks=list(reports.values()))

    name, seed, value = _objective(graph, objective, cotangent, values)
    if adjoint == "triangular":
        lam = triangular_multipliers(graph, blocks, lins, values, {name: seed})
    else:
        lam = adjoint_pass(blocks, lins, {name: seed}, settings, reports)
    multipliers = {n: _shaped(lam.get(n), values[n]) for n in graph.constraints}
    gradient = {x: _shaped(lam.get(x), values[x]) for x in graph.inputs}
    if check_finite:
        _check_multipliers(graph, blocks, multipliers, gradient)
    return Solution(values, multipliers, gradient, list(reports.values()), value)


def _objective(graph, objective, cotangent, values):
    """``(node name, seed, J or None)`` from ``objective`` and the ``cotangent`` keyword."""
    if cotangent is not None:
        if objective not in graph:
            raise InvalidArgumentError(
                f"objective {objective!r} is not a node of the graph; with cotangent=, objective names the node itself"
            )
        return objective, _cotangent(objective, cotangent, values), None
    pair = isinstance(objective, tuple) and len(objective) == 2 and objective[0] in graph
    if pair and objective in graph:
        # networkx names nodes by any hashable, tuples included: both readings are possible
        raise InvalidArgumentError(
            f"objective {objective!r} is ambiguous: it is a node, and it also reads as node {objective[0]!r} "
            f"with cotangent {objective[1]!r}; say which with the cotangent keyword: "
            f"solve(graph, inputs, {objective!r}, cotangent=1.0) for the node {objective!r} (of shape "
            f"{values[objective].shape}, cotangent of that shape), or "
            f"solve(graph, inputs, {objective[0]!r}, cotangent={objective[1]!r}) for node {objective[0]!r}"
        )
    if pair:
        name, cotangent = objective
        return name, _cotangent(name, cotangent, values), None
    if objective not in graph:
        raise InvalidArgumentError(f"objective {objective!r} is not a node of the graph")
    value = values[objective]
    if value.size != 1 or value.ndim != 0:
        raise InvalidArgumentError(
            f"objective {objective!r} has shape {value.shape}, not a scalar; pass ({objective!r}, cotangent), "
            f"or cotangent=, with a cotangent of that shape for a vector–Jacobian product"
        )
    return objective, np.ones(()), float(value)


def _cotangent(name, cotangent, values):
    """The cotangent for objective ``name`` as a float array of the node's shape, or ``InvalidArgumentError``."""
    if holds_none(cotangent):  # else numpy makes it NaN, and the error would be a non-finite multiplier
        raise InvalidArgumentError(f"the cotangent for objective {name!r} holds None; give an array of its shape")
    try:
        seed = np.asarray(cotangent, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise InvalidArgumentError(f"the cotangent for objective {name!r} is not an array of numbers: {e}") from e
    if seed.shape != values[name].shape:
        raise InvalidArgumentError(
            f"the cotangent for objective {name!r} has shape {seed.shape}, but the node has "
            f"shape {values[name].shape}"
        )
    return seed


def _shaped(lam, value):
    """``lam`` as a float array of ``value``'s shape (a copy), zeros for ``None``."""
    if lam is None:
        return np.zeros_like(value)
    if lam.__class__ in _SHAPED and lam.shape == value.shape:  # most multipliers: no broadcast to make
        return np.array(lam, dtype=np.float64)
    return np.array(np.broadcast_to(lam, value.shape), dtype=np.float64)


_SHAPED = (np.ndarray, np.float64)


def _check_multipliers(graph, blocks, multipliers, gradient):
    """Raise ``NonFiniteError`` at the first non-finite multiplier in back-substitution order.

    That node's users with finite multipliers are where it came from: one of their local
    derivatives with respect to it is infinite or NaN.
    """
    lam = {**multipliers, **gradient}
    if _all_finite(lam.values()):
        return
    order = [n for block in reversed(blocks) for n in reversed(block.nodes)] + list(graph.inputs)
    for name in order:
        if np.all(np.isfinite(lam[name])):
            continue
        users = [u for u in graph.successors(name) if u != name and np.all(np.isfinite(lam[u]))]
        what = f"the gradient of input {name!r}" if name in gradient else f"the multiplier of node {name!r}"
        via = (
            f"the derivative of {', '.join(map(repr, users))} with respect to {name!r} is infinite "
            f"or NaN (e.g. sqrt or log at 0)" if users else
            "a local derivative there is infinite or NaN (e.g. sqrt or log at 0), or a cyclic solve diverged"
        )
        raise NonFiniteError(f"{what} is not finite: {via}; move the point, or pass check_finite=False")


def _all_finite(arrays):
    """Whether every entry of every float array in ``arrays`` is finite: one vectorised check of the scalars."""
    scalars = []
    for a in arrays:
        if a.ndim == 0:
            scalars.append(a)
        elif not np.isfinite(a).all():
            return False
    return bool(np.isfinite(np.fromiter(scalars, np.float64, len(scalars))).all())
