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

from adjoint.plans import scalar_interpreter
from adjoint.plans.replay import check_guards
from adjoint.pytree import as_float
from solvers.backend import array_namespace
from solvers.triangular import METHODS, TriangularPattern

#: ``"levels"``: one numpy call per level and primitive; ``"sequential"``: values record by
#: record (for narrow graphs such as chains), partials one numpy call per primitive;
#: ``"compiled"``: values by one loop compiled by numba (``adjoint.plans.scalar_interpreter``),
#: partials one numpy call per primitive.
FORWARD_MODES = ("levels", "sequential", "compiled")


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
    >>> from adjoint.plans.replay import TapeProgram
    >>> from adjoint.plans.scalar_layout import ScalarLayout
    >>> tape = Tape(); x = tape.input(np.float64(1.0)); y = tape.input(np.float64(2.0))
    >>> z = np.sin(x * y) + x
    >>> program = TapeProgram(tape, [0, 1], [0, 1], z.index)
    >>> engine = ScalarEngine(ScalarLayout(program), program, backward="levels")
    >>> value, (gx, gy) = engine.value_and_grad([np.float64(0.5), np.float64(3.0)])
    >>> bool(np.isclose(gx, 3.0 * np.cos(1.5) + 1.0)), bool(np.isclose(gy, 0.5 * np.cos(1.5)))
    (True, True)
    """

    def __init__(self, layout, program, backward="auto", forward="levels", xp=np):
        if backward != "auto" and backward not in METHODS:
            raise ValueError(f"unknown backward method {backward!r}; choose 'auto' or one of {METHODS}")
        if forward not in FORWARD_MODES:
            raise ValueError(f"unknown forward mode {forward!r}; choose one of {FORWARD_MODES}")
        if forward in ("sequential", "compiled") and xp is not np:
            raise ValueError(f"the {forward} forward pass runs on the host; use 'levels' with cupy")
        if forward == "compiled":
            why_not = scalar_interpreter.unsupported(layout)
            if why_not is not None:
                raise ValueError(f"the compiled forward pass cannot run this program: {why_not}")
            self._compiled = scalar_interpreter.CompiledForward(layout)
        self.layout, self.program, self.forward_mode, self.xp = layout, program, forward, xp
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
        self._device = {}

    # --- forward -----------------------------------------------------------------------
    def forward(self, inputs):
        """Node values and the partials vector; raises ``GuardFailed`` if a guard fails."""
        if self.forward_mode == "sequential":
            return self._forward_sequential(inputs)
        if self.forward_mode == "compiled":
            return self._forward_compiled(inputs)
        return self._forward_levels(inputs)

    def _forward_sequential(self, inputs):
        """Values record by record (``TapeProgram.forward``), partials by primitive group."""
        # A chain has nothing to vectorise in its values, but its partials still are one
        # call per primitive over all levels at once.
        layout = self.layout
        vals = self.program.forward([as_float(x) for x in inputs])  # checks the guards as it goes
        v, buffers = self._workspace(np)
        N = layout.n_nodes
        v[:N] = np.fromiter((vals[r] for r in layout.record_of_node), dtype=np.float64, count=N)
        return v, self._gathered_partials(v, buffers)

    def _forward_compiled(self, inputs):
        """Values by the compiled loop, the guards checked after it, partials by primitive group."""
        layout = self.layout
        v, buffers = self._workspace(np)
        v[:layout.n_inputs] = np.fromiter(inputs, dtype=np.float64, count=len(inputs))
        self._compiled(v)
        node = layout.node_of_record
        check_guards(self.program.guards, lambda record: v[node[record]])
        return v, self._gathered_partials(v, buffers)

    def _gathered_partials(self, v, buffers):
        """The partials, once every primitive group's arguments are gathered from the values."""
        for pg, B in zip(self.layout.prim_groups, buffers):
            for k, index in enumerate(pg.args):
                if not pg.constant[k]:
                    v.take(index, out=B[k], mode="clip")
        return self._partials(np, v, buffers)

    def _forward_levels(self, inputs):
        """Values one numpy call per level group, then the partials."""
        layout = self.layout
        xp = self.xp
        v, buffers = self._workspace(xp)
        steps = self._level_steps(xp)
        if all(array_namespace(x) is np for x in inputs[:1]):  # host scalars: one transfer
            v[:layout.n_inputs] = xp.asarray(np.fromiter(inputs, dtype=np.float64, count=len(inputs)))
        else:
            v[:layout.n_inputs] = xp.stack([xp.asarray(x, dtype=xp.float64).reshape(()) for x in inputs])
        node = layout.node_of_record
        value_of = lambda record: v[node[record]]  # noqa: E731 - for guard_holds
        if -1 in self.guards_after:
            check_guards(self.guards_after[-1], value_of)
        take = v.take
        clip = {"mode": "clip"} if xp is np else {}
        for takes, copies, impl, args, out, ufunc, guards in steps:
            for index, seg in takes:
                take(index, out=seg, **clip)
            for src, seg in copies:
                seg[...] = src
            if ufunc:
                impl(*args, out=out)
            else:
                out[...] = impl(*args)
            if guards is not None:
                check_guards(guards, value_of)
        return v, self._partials(xp, v, buffers)

    def _workspace(self, xp):
        """The value vector and the primitive groups' argument buffers.

        Made once per array namespace and reused by every call (so a plan is not
        re-entrant); nothing returned to the caller points into them."""
        key = ("workspace", xp.__name__)
        if key in self._device:
            return self._device[key]
        layout = self.layout
        N = layout.n_nodes
        v = xp.empty(N + layout.constants.size, dtype=xp.float64)
        v[N:] = self._on(xp, "constants", layout.constants)
        buffers = []
        for gi, pg in enumerate(layout.prim_groups):
            B = []
            for k, index in enumerate(pg.args):
                if pg.constant[k]:
                    B.append(v[self._on(xp, ("const", gi, k), index)])
                else:
                    B.append(xp.empty(pg.size, dtype=xp.float64))
            buffers.append(B)
        self._device[key] = (v, buffers)
        return self._device[key]

    def _level_steps(self, xp):
        """The level groups as ready-made views into the workspace:
        ``(takes, copies, impl, args, out, is_ufunc, guards)`` each."""
        key = ("steps", xp.__name__)
        if key in self._device:
            return self._device[key]
        layout = self.layout
        v, buffers = self._workspace(xp)
        steps = []
        for gi, g in enumerate(layout.groups):
            B = buffers[g.prim_group]
            args, takes, copies = [], [], []
            for k, gather in enumerate(g.gathers):
                seg = B[k][g.lo:g.hi]
                if gather.__class__ is slice:
                    copies.append((v[gather], seg))
                elif gather is not None:
                    takes.append((self._on(xp, (gi, k), gather), seg))
                args.append(seg)
            impl = layout.prim_groups[g.prim_group].prim.impl
            steps.append((tuple(takes), tuple(copies), impl, tuple(args), v[g.start:g.stop],
                          impl.__class__ is np.ufunc, self.guards_after.get(gi)))
        self._device[key] = steps
        return steps

    def _partials(self, xp, v, buffers):
        """Local partials of every primitive group: its VJP rules with a cotangent of ones."""
        layout = self.layout
        key = ("partials", xp.__name__)
        if key not in self._device:  # scratch, like the workspace
            self._device[key] = xp.empty(layout.partials_size, dtype=xp.float64)
        d = self._device[key]
        ones = self._ones_like(xp, max((pg.size for pg in layout.prim_groups), default=0))
        for gi, (pg, B) in enumerate(zip(layout.prim_groups, buffers)):
            if not pg.partials:
                continue
            size = pg.size
            out = v[pg.out] if pg.out.__class__ is slice else v[self._on(xp, ("out", gi), pg.out)]
            for k, offset in pg.partials:
                d[offset:offset + size] = pg.prim.vjp(k)(ones[:size], out, *B)
        if layout.select is not None:
            d = d[self._on(xp, "select", layout.select)]
        return d

    def _on(self, xp, key, host):
        """``host`` (an index array) in namespace ``xp``, copied to the device once."""
        if xp is np:
            return host
        full = (xp.__name__, key)
        if full not in self._device:
            self._device[full] = xp.asarray(host)
        return self._device[full]

    def _ones_like(self, xp, m):
        """A vector of at least ``m`` ones in ``xp``, kept for the next call."""
        key = ("ones", xp.__name__)
        if key not in self._device or self._device[key].size < m:
            self._device[key] = xp.ones(max(m, 1), dtype=xp.float64)
        return self._device[key]

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
        """The triangular method to use; ``None`` when this call timed them all."""
        chosen = getattr(self, "_chosen", None)
        if chosen is not None:
            return chosen
        candidates = self.pattern.candidates(host=self.xp is np)
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
        xp = self.xp
        lam = self.multipliers(d, xp)
        grads = lam[self._on(xp, "differentiated", self.differentiated)]
        if xp is not np:  # one transfer each: the gradient of host scalars comes home
            return v[self.out:self.out + 1].get()[0], grads.get()
        return v[self.out], grads
