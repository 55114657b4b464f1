"""Vectorised evaluation of a scalar program: one numpy call per level and primitive.

The forward pass runs the groups of a ``ScalarLayout`` in order: gather the arguments,
apply the primitive to whole arrays, store the values in the group's slice, and evaluate
each traced argument's VJP rule with a cotangent of ones, which for an elementwise
primitive is the vector of local partials ``∂f_i/∂z_j``. Those fill the Jacobian's COO
entries in one pass. The adjoint system ``(I - J)ᵀ λ = e_out`` is then solved by
``solvers.triangular``: level by level with ``bincount`` scatter-adds, or by
``spsolve_triangular``; with ``backward="auto"`` both are timed on the first call (when
neither is clearly slower by the cost model) and the faster is kept.

Arrays follow the namespace of the inputs (``solvers.backend``): numpy here, cupy when the
plan is given cupy arrays.
"""

import time

import numpy as np

from graphs.guards import guard_holds
from solvers.backend import array_namespace
from solvers.triangular import METHODS, TriangularPattern

from .replay import GuardFailed, _rule

#: ``"levels"``: one numpy call per level and primitive; ``"sequential"``: values record by
#: record (for narrow graphs such as chains), partials one numpy call per primitive.
FORWARD_MODES = ("levels", "sequential")


class ScalarEngine:
    """Forward values, local partials and the adjoint solve of a ``ScalarLayout``.

    Parameters
    ----------
    layout : ScalarLayout
    program : TapeProgram
        The program the layout was made from (its inputs, objective and guards).
    backward : {"auto", "levels", "spsolve"}

    Examples
    --------
    >>> import numpy as np
    >>> from graphs.tape import Tape
    >>> from adjoint.replay import TapeProgram
    >>> from adjoint.scalar_layout import ScalarLayout
    >>> tape = Tape(); x = tape.input(np.float64(1.0)); y = tape.input(np.float64(2.0))
    >>> z = np.sin(x * y) + x
    >>> program = TapeProgram(tape, [0, 1], [0, 1], z.index)
    >>> engine = ScalarEngine(ScalarLayout(program), program, backward="levels")
    >>> value, (gx, gy) = engine.value_and_grad([np.float64(0.5), np.float64(3.0)])
    >>> bool(np.isclose(gx, 3.0 * np.cos(1.5) + 1.0)), bool(np.isclose(gy, 0.5 * np.cos(1.5)))
    (True, True)
    """

    def __init__(self, layout, program, backward="auto", forward="levels"):
        if backward != "auto" and backward not in METHODS:
            raise ValueError(f"unknown backward method {backward!r}; choose 'auto' or one of {METHODS}")
        if forward not in FORWARD_MODES:
            raise ValueError(f"unknown forward mode {forward!r}; choose one of {FORWARD_MODES}")
        self.layout, self.program, self.forward_mode = layout, program, forward
        self.pattern = TriangularPattern(layout.n_nodes, layout.rows, layout.cols, layout.level_starts)
        node = layout.node_of_record
        self.out = int(node[program.out])
        self.differentiated = node[np.asarray(program.differentiated, dtype=np.int64)]
        self.backward = backward
        self.timings = {}  # seconds per backward method, when auto timed them
        # Each guard is checked once the last group of its operands' deepest level is done.
        self.guards_after = {}
        last_group_of_level = {int(L): g for g, L in enumerate(layout.group_levels)}
        for guard in program.guards:
            levels = [int(layout.level_of_node[node[p]]) for p in guard[4] if p >= 0]
            group = last_group_of_level.get(max(levels, default=0), -1)
            self.guards_after.setdefault(group, []).append(guard)
        self._ones = {}
        self._device = {}

    # --- forward -----------------------------------------------------------------------
    def forward(self, inputs):
        """Node values and the partials vector; raises ``GuardFailed`` if a guard fails."""
        if self.forward_mode == "sequential":
            return self._forward_sequential(inputs)
        return self._forward_levels(inputs)

    def _forward_sequential(self, inputs):
        # Values one record at a time (a chain has nothing to vectorise), then the partials
        # one call per primitive over all levels at once.
        layout = self.layout
        vals = self.program.forward(inputs)  # checks the guards as it goes
        N = layout.n_nodes
        v = np.empty(N + layout.constants.size, dtype=np.float64)
        v[:N] = np.fromiter((vals[r] for r in layout.record_of_node), dtype=np.float64, count=N)
        v[N:] = layout.constants
        d = np.empty(layout.partials_size, dtype=np.float64)
        ones = self._ones_like(np, max((nodes.size for _, nodes, _, _ in layout.prim_groups), default=0))
        for prim, nodes, arg_slots, partials in layout.prim_groups:
            args = [v[a] for a in arg_slots]
            out = v[nodes]
            for k, dest in partials:
                d[dest] = _rule(prim, k)(ones[:nodes.size], out, *args)
        if layout.select is not None:
            d = d[layout.select]
        return v, d

    def _forward_levels(self, inputs):
        layout = self.layout
        xp = array_namespace(inputs[0]) if len(inputs) else np
        N = layout.n_nodes
        v = xp.empty(N + layout.constants.size, dtype=xp.float64)
        v[:layout.n_inputs] = xp.asarray(inputs, dtype=xp.float64).reshape(-1) if xp is not np else np.fromiter(
            inputs, dtype=np.float64, count=len(inputs))
        v[N:] = self._on(xp, "constants", layout.constants)
        d = xp.empty(layout.partials_size, dtype=xp.float64)
        ones = self._ones_like(xp, max((g.stop - g.start for g in layout.groups), default=0))
        node = layout.node_of_record
        value_of = lambda record: v[node[record]]  # noqa: E731 - for guard_holds
        guards_after = self.guards_after
        if -1 in guards_after:
            self._check(guards_after[-1], value_of)
        for gi, g in enumerate(layout.groups):
            args = [v[a] for a in self._args(xp, g)]
            out = g.prim.impl(*args)
            v[g.start:g.stop] = out
            m = g.stop - g.start
            for k, offset in g.partials:
                d[offset:offset + m] = _rule(g.prim, k)(ones[:m], out, *args)
            if gi in guards_after:
                self._check(guards_after[gi], value_of)
        if layout.select is not None:
            d = d[self._on(xp, "select", layout.select)]
        return v, d

    @staticmethod
    def _check(guards, value_of):
        for guard in guards:
            if not guard_holds(guard, value_of):
                raise GuardFailed(guard)

    def _args(self, xp, group):
        if xp is np:
            return group.args
        return [a if isinstance(a, slice) else self._on(xp, ("args", id(group), k), a) for k, a in enumerate(group.args)]

    def _on(self, xp, key, host):
        if xp is np:
            return host
        full = (xp.__name__, key)
        if full not in self._device:
            self._device[full] = xp.asarray(host)
        return self._device[full]

    def _ones_like(self, xp, m):
        key = xp.__name__
        if key not in self._ones or self._ones[key].size < m:
            self._ones[key] = xp.ones(max(m, 1), dtype=xp.float64)
        return self._ones[key]

    # --- backward ----------------------------------------------------------------------
    def multipliers(self, d, xp=np):
        """λ of every node for the objective's seed 1, by the chosen triangular method."""
        b = xp.zeros(self.layout.n_nodes, dtype=xp.float64)
        b[self.out] = 1.0
        method = self.backward
        if method == "auto":
            method = self._choose(d, b)
            if method is None:  # this call timed the candidates; it has the answer
                return self._timed_answer
        return self.pattern.solve(d, b, method)

    def _choose(self, d, b):
        chosen = getattr(self, "_chosen", None)
        if chosen is not None:
            return chosen
        candidates = self.pattern.candidates()
        if len(candidates) == 1:
            self._chosen = candidates[0]
            return self._chosen
        for method in candidates:
            start = time.perf_counter()
            self._timed_answer = self.pattern.solve(d, b, method)
            self.timings[method] = time.perf_counter() - start
        self._chosen = min(self.timings, key=self.timings.get)
        return None

    @property
    def backward_method(self):
        """The triangular method in use (``None`` for ``"auto"`` before the first call)."""
        return self.backward if self.backward != "auto" else getattr(self, "_chosen", None)

    def value_and_grad(self, inputs):
        """``(objective value, [gradient of each differentiated input])`` as float64 scalars."""
        v, d = self.forward(inputs)
        xp = array_namespace(v)
        lam = self.multipliers(d, xp)
        grads = lam[self._on(xp, "differentiated", self.differentiated)]
        if xp is np:
            return v[self.out], list(grads)
        return v[self.out], grads
