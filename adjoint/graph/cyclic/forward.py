"""The forward pass of a cyclic block: a nonlinear solve on its iterates.

Given the iterates ``T``, the rest of the block is evaluated by substitution in the block's
order, which gives the map ``T ↦ F(T)`` the fixed-point solvers iterate (Jacobi: every node
reads the previous iterate; Gauss–Seidel: an iterate's new value is used as soon as it is
computed). Newton and Newton–Krylov solve ``T = F(T)`` for the Jacobi map, Newton with
``∂F/∂T`` assembled from sparse partials composed through the block, Newton–Krylov with
JVPs through the block: the equations are those of the iterates alone, so no interior node's
residual, on another scale, can stall the line search.
"""

import numpy as np

import solvers
from adjoint.diagnostics.progress import monitored
from adjoint.errors import GraphError, NonFiniteError
from adjoint.graph.cyclic.state import BlockState
from adjoint.graph.cyclic.substitution import forward_substitute_block
from adjoint.graph.linearisation import argument_values, evaluate, linearise
from adjoint.graph.local_partials import reduced_jacobian_matrix
from adjoint.graph.settings import AUTO_PICARD_RATE, PROBE_STEPS, resolve_forward_method
from solvers.tolerance import ITERATIVE_MAXITER


def initial_iterates(graph, block, values, check_finite):
    """Initial values of the iterates: ``init``, or one evaluation where arguments allow it."""
    local = {}
    for t in block.iterates:
        init = graph.nodes[t].get("init")
        if init is not None:
            local[t] = np.array(init, dtype=np.float64)  # a copy: the user's init stays intact
    missing = [t for t in block.iterates if t not in local]
    progress = True
    while missing and progress:
        progress = False
        for name in block.nodes:
            if name in local or not all(a in local or a in values for a in graph.nodes[name]["args"]):
                continue
            local[name] = evaluate(graph, name, argument_values(graph, name, local, values), None, check_finite)
            progress = True
        missing = [t for t in block.iterates if t not in local]
    if missing:
        raise GraphError(
            f"node '{missing[0]}' lies on a cycle through [{', '.join(sorted(map(repr, block.nodes)))}] and "
            f"has no init, and its shape cannot be inferred; give it an initial value with "
            f"add_constraint(..., init=...)"
        )
    return {t: local[t] for t in block.iterates}


def sweep(graph, block, values, iterates, check_finite, gauss_seidel=False, trace=False):
    """One pass through the block from the iterates: ``(F(T), node values, linearisations)``."""
    local = dict(iterates)
    new, lins = {}, {}
    is_iterate = set(block.iterates)
    for name in block.nodes:
        args = argument_values(graph, name, local, values)
        shape = np.shape(iterates[name]) if name in is_iterate else None
        if trace:
            lin = linearise(graph, name, args, shape, check_finite)
            lins[name], value = lin, lin.value
        else:
            value = evaluate(graph, name, args, shape, check_finite)
        if name in is_iterate:
            new[name] = value
            if gauss_seidel:
                local[name] = value
        else:
            local[name] = value
    return new, local, lins


def solve_forward(graph, block, values, method, settings, residual=False):
    """Solve the block's constraints; returns ``(linearisations at the solution, report)``.

    ``residual``: the block holds a residual constraint, so that ``"auto"`` means Newton.
    """
    iterates = initial_iterates(graph, block, values, settings.check_finite)
    state = BlockState(block.iterates, {t: np.shape(v) for t, v in iterates.items()})
    # Non-finite values inside an iteration end that solve (the solver reports "diverged"),
    # rather than raising from deep inside it.
    def F(vec):
        try:
            new, _, _ = sweep(graph, block, values, state.unpack(vec), True, gauss_seidel)
        except NonFiniteError:
            return np.full_like(vec, np.nan)
        return state.pack(new)

    probe = False
    if method == "auto":
        if set(block.nodes) == set(block.iterates):  # every node's size is known: no evaluation
            total = sum(np.size(v) for v in iterates.values())
        else:
            _, local, _ = sweep(graph, block, values, iterates, settings.check_finite)
            total = sum(np.size(v) for v in local.values())
        method = resolve_forward_method(method, total, residual)
        # a large derivative-free solve: Picard first, Anderson only if Picard crawls
        probe = method == "anderson" and settings.sweep == "jacobi" and not settings.forward_options
    needs = solvers.capabilities(method, "nonlinear")
    # A Gauss–Seidel map has other derivatives than the Jacobi map that Newton linearises.
    gauss_seidel = settings.sweep == "gauss_seidel" and needs.derivative_free
    options = settings.forward_options_for(method)
    if needs.needs_jacobian:
        options["jacobian"] = _reduced_jacobian(graph, block, values, state)
    if needs.needs_jvp:
        options["jvp"] = _reduced_jvp(graph, block, values, state, settings.check_finite)
    solve = monitored(solvers.solve_fixed_point, settings, block, "forward")
    if probe:
        z, report = _picard_then_anderson(solve, F, state.pack(iterates), settings)
    else:
        z, report = solve(method, F, state.pack(iterates), **settings.tolerances(), **options)
    z = state.unpack(z)
    if not np.all(np.isfinite(np.concatenate([np.ravel(v) for v in z.values()]))):
        z = iterates  # the report says why; values stay finite for the error message
    _, _, lins = sweep(graph, block, values, z, settings.check_finite and report.converged, gauss_seidel, trace=True)
    for t in block.iterates:  # the iterates hold the solution itself, not one more sweep of it
        lins[t].value = np.asarray(z[t], dtype=np.float64).reshape(np.shape(lins[t].value))
    return lins, report


def observed_contraction(report):
    """The rate at which a Picard solve's residual fell over its last steps, or ``None``.

    Picard's residual falls by the spectral radius of ``∂F/∂T`` per step, and the adjoint
    (and tangent) fixed-point iteration contracts at the same rate: ``forward="auto"`` and
    ``adjoint="auto"`` read it to choose between Picard and Anderson, fixed point and GMRES.
    """
    if report is None or report.method != "fixed_point":
        return None
    history = [r for r in report.residuals[-PROBE_STEPS:] if r > 0]
    if len(history) < 2:
        return 0.0 if report.converged else None  # converged at once: as fast as it gets
    return float((history[-1] / history[0]) ** (1.0 / (len(history) - 1)))


def _picard_then_anderson(solve, F, start, settings):
    """``forward="auto"`` on a large block: ``PROBE_STEPS`` Picard steps, then Picard or Anderson.

    Picard goes on where its residual fell by at most ``AUTO_PICARD_RATE`` per step (each of
    its steps is one evaluation of the map and nothing else); Anderson takes over from the
    last iterate where it fell more slowly. The report is that of the whole solve.
    """
    tolerances = settings.tolerances()
    budget = tolerances.get("maxiter") or solvers.Tolerance.nonlinear().with_default_maxiter(ITERATIVE_MAXITER).maxiter
    probe_budget = min(PROBE_STEPS, budget)
    F = _LastEvaluation(F)
    z, first = solve("fixed_point", F, start, **{**tolerances, "maxiter": probe_budget})
    rate = observed_contraction(first)
    if first.converged or first.code == "diverged" or budget <= probe_budget:
        return z, first
    method = "fixed_point" if rate is not None and rate <= AUTO_PICARD_RATE else "anderson"
    F.replay()
    z, second = solve(method, F, z, **{**tolerances, "maxiter": budget - first.iterations})
    report = solvers.SolveReport(
        method=method, converged=second.converged, iterations=first.iterations + second.iterations,
        residual=second.residual, residuals=first.residuals + second.residuals,
        reason=f"{second.reason} (forward='auto': {method} after {first.iterations} Picard steps at rate "
               f"{'unknown' if rate is None else format(rate, '.2g')})",
        exact=True, evaluations=first.evaluations + second.evaluations, code=second.code,
    )
    return z, report


class _LastEvaluation:
    """``F``, remembering its last evaluation: after ``replay()``, a first call at that same
    point is answered from memory (the second solve of ``_picard_then_anderson`` starts
    where the first evaluated last, and that evaluation is a matmul of a DEQ layer)."""

    def __init__(self, F):
        self.F, self.last, self._replay = F, None, False

    def replay(self):
        self._replay = True

    def __call__(self, z):
        if self._replay:
            self._replay = False
            z0, f0 = self.last
            if np.shape(z0) == np.shape(z) and np.array_equal(z0, z):
                return f0
        self.last = (z, self.F(z))
        return self.last[1]


def _reduced_jvp(graph, block, values, state, check_finite):
    """``(z, v) -> (∂F/∂T)(z) v`` by forward substitution through the block, cached per z."""
    cache = {}

    def jvp(vec, v):
        key = vec.tobytes()
        if key not in cache:
            cache.clear()
            cache[key] = sweep(graph, block, values, state.unpack(vec), check_finite, trace=True)[2]
        _, new = forward_substitute_block(block, cache[key], state.unpack(v), {})
        return state.pack(new)

    return jvp


def _reduced_jacobian(graph, block, values, state):
    """``z -> ∂F/∂T (z)``, assembled from the sparse partials through the block (for Newton)."""

    def jacobian(vec):
        lins = sweep(graph, block, values, state.unpack(vec), False, trace=True)[2]
        return reduced_jacobian_matrix(block, lins, state.offsets)

    return jacobian
