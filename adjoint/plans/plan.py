"""``adjoint.compile``: trace and analyse once, evaluate value and gradient many times.

An optimisation loop calls the gradient of one function at new points thousands of times;
tracing it anew each time repeats work whose result does not change. A ``Plan`` traces once
per *key* (the structure and shapes of the arguments and the values of the static ones, see
``adjoint.plans.arguments``), keeps the program the objective needs, and replays it: the
recorded primitives on the new values, then back-substitution of the multipliers by the loop
``grad`` uses (``adjoint.tape.reverse``). Graphs of scalar nodes go to a vectorised engine
(``adjoint.plans.scalar_engine``) when the cost model says it is faster.
"""

import threading

import numpy as np

from adjoint.errors import InvalidArgumentError
from adjoint.plans import scalar_interpreter
from adjoint.plans.arguments import CallArguments
from adjoint.plans.backend import as_backend_float, resolve_backend
from adjoint.plans.gradient_program import gradient_replay
from adjoint.plans.replay import GuardFailed, TapeProgram
from adjoint.plans.scalar_engine import FORWARD_MODES, ScalarEngine
from adjoint.plans.scalar_layout import ScalarLayout, scalar_graph_reason
from adjoint.pytree import argnums, per_argnum, refuse_traced
from adjoint.tape.grad import index_on
from adjoint.tape.reverse import depends_on, gradient, made_here, recorded_values
from graphs.gc_pause import paused_gc
from graphs.guards import replayable_guards
from graphs.primitive import PRIMITIVES
from graphs.tape import Tape, Traced
from solvers import compiled_loops
from solvers.triangular import METHODS as TRIANGULAR_METHODS
from solvers.triangular import TriangularPattern

ENGINES = ("auto", "tape", "scalar")

# Cost model of one forward + backward evaluation (seconds), measured on the benchmark
# machine: replaying a record costs about a microsecond forward and one per VJP; a level
# group costs a handful of numpy calls plus a few nanoseconds per node and edge.
TAPE_STEP_COST, TAPE_EDGE_COST = 1.0e-6, 1.0e-6
GROUP_COST, NODE_COST = 15e-6, 60e-9
COMPILED_STEP_COST = 8e-9  # a node of the loop compiled by numba (adjoint.plans.scalar_interpreter)

#: Arrays from this many entries (32 KB of float64) up make the tape engine record its
#: backward pass and replay it into kept buffers (``adjoint.plans.gradient_program``):
#: smaller arrays cost no page faults to allocate, and more records cost more Python.
BUFFERED_BACKWARD_ENTRIES = 4096

#: How many traces (guard outcomes) are kept per key before the oldest is dropped.
MAX_VARIANTS = 8


def compile(fun, *example_args, argnum=0, engine="auto", forward="auto", backward="auto",  # noqa: A001
            backend=None, **example_kwargs):
    """A reusable plan for the value and gradient of scalar-valued ``fun``.

    ``fun`` is traced at ``example_args`` once; ``plan(*args)`` then gives
    ``adjoint.grad(fun, argnum)(*args)`` and ``plan.value_and_grad(*args)`` gives
    ``adjoint.value_and_grad(fun, argnum)(*args)`` by replaying the recorded primitives on the
    new values and back-substituting, with no Python-level tracing.

    Parameters
    ----------
    fun : callable
        Written with ``adjoint.numpy`` (or numpy functions that dispatch), returning a scalar.
    *example_args, **example_kwargs :
        Arguments to trace at. They fix the first key; other keys compile when met.
        Keyword arguments are static (part of the key).
    argnum : int or tuple of int
        The differentiated arguments, as for ``adjoint.grad``.
    engine : {"auto", "tape", "scalar"}
        ``"tape"`` replays record by record and back-substitutes VJP by VJP. ``"scalar"``
        (graphs of scalar nodes only, else an error) computes values one numpy call per
        level and primitive (or record by record on narrow graphs such as chains), local
        partials one numpy call per group, and solves the assembled triangular adjoint
        system. ``"auto"`` picks by a cost model; ``plan.reason`` gives its estimates.
    forward : {"auto", "levels", "sequential", "compiled"}
        The forward pass of the ``"scalar"`` engine: one numpy call per level and primitive,
        record by record (narrow graphs), or one loop compiled by numba (if installed, and
        for the primitives of ``adjoint.plans.scalar_interpreter.OPCODES``); ``"auto"``
        picks by the cost model.
    backward : {"auto", "levels", "spsolve", "compiled"}
        The triangular solve of the ``"scalar"`` engine: level by level with scatter-adds,
        ``scipy.sparse.linalg.spsolve_triangular``, or back-substitution in a loop compiled
        by numba; ``"auto"`` times those the cost model does not rule out on the first call.
    backend : {None, "numpy", "cupy"}
        The array library: ``None`` follows the arguments (cupy arrays select cupy).
        With ``"cupy"`` the scalar engine keeps its values, partials and triangular solve
        (``cupyx.scipy.sparse.linalg.spsolve_triangular`` or level sweeps) on the GPU; the
        tape engine replays the primitives on cupy arrays through NumPy's dispatch
        protocols. See the README's "GPU" note for what has been run where.

    Returns
    -------
    Plan

    Notes
    -----
    *What is replayed, what is retraced.* The differentiated arguments and every float64
    leaf (Python float, float64 scalar or array) of the other arguments are new values at
    each call. The structure of the arguments, the shapes of those leaves and the other
    leaves (ints, strings, integer arrays, keyword arguments) form the plan's key: a call
    with another key is traced and compiled again (``plan.compiles`` counts them). Values the
    function captures from its enclosing scope are constants frozen at tracing time, as in
    any trace.

    *Value-dependent control flow.* A comparison of traced values (``x > 0``, ``x == y``), a
    truth test (``if x:``), a piecewise-constant numpy function of them (``np.sign``,
    ``np.argmax``, ``np.isfinite``, ...) and a traced ``where`` condition are recorded as
    *guards*: the outcome the trace saw. On replay each guard is re-evaluated where it was
    met; if an outcome differs, the replay stops and the function is traced again at the new
    arguments (``plan.retraces`` counts it), so the gradient is always that of the branch
    the arguments take. Up to ``MAX_VARIANTS`` traces are kept per key and tried in turn,
    so alternating branches do not retrace every time. Masks that change at every call are
    cheaper as primitives that are replayed, not guarded: ``anp.maximum(x, 0)``,
    ``anp.abs``, ``anp.clip``.

    *Static arguments are keyed by value.* Ints, strings, integer arrays, keyword arguments
    and the like are compared by value, not identity (``adjoint.plans.arguments.static_key``),
    and the trace is made on copies of them: a list or array changed in place gives a new key
    and a new compile, never the old trace. An object with no value to compare (a class
    instance that hashes by identity, an unhashable one) is refused with an
    ``InvalidArgumentError``; functions, classes and modules are keyed by identity.

    *Buffers and threads.* A plan keeps its intermediate arrays from call to call (fresh
    multi-MB arrays cost page faults each time), and the tape engine the records of its last
    replay until the next call. Where some array has ``BUFFERED_BACKWARD_ENTRIES`` entries or
    more, the tape engine also records the backward pass (the rules trace) and replays
    forward and backward as one program, its dead buffers reused, so that only the
    gradients handed out are allocated; a backward pass that would add guards (``maximum``,
    ``abs``, ``sort``: their rules compare values) keeps calling the rules instead. A lock
    makes the calls of one plan take turns, so a plan may be shared between threads (they
    do not run it in parallel: give each thread its own plan for that). Calling a plan from
    inside its own function raises an ``InvalidArgumentError``. Values and gradients it
    returns are never overwritten.

    *Not replayable.* A function containing ``adjoint.fixed_point``, ``root`` or ``argmin`` (its
    solve is a one-off primitive of its trace), or a guard on traced values inside a container, is traced at
    every call; ``plan.engine`` is then ``"retrace"`` and ``plan.reason`` says why.

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> import adjoint.numpy as anp
    >>> def f(x):
    ...     for _ in range(3):
    ...         x = anp.sin(x) * 1.5 + 0.1
    ...     return x
    >>> plan = adjoint.compile(f, 0.3)
    >>> bool(abs(plan(0.7) - adjoint.grad(f)(0.7)) < 1e-12)
    True
    >>> def relu_sum(x):
    ...     return anp.sum(x * x) if anp.sum(x) > 0 else -anp.sum(x)
    >>> plan = adjoint.compile(relu_sum, np.array([1.0, 2.0]))
    >>> plan(np.array([1.0, 2.0])), plan(np.array([-1.0, -2.0])), plan.retraces
    (array([2., 4.]), array([-1., -1.]), 1)
    """
    plan = Plan(fun, argnum, engine=engine, forward=forward, backward=backward, backend=backend)
    plan.value_and_grad(*example_args, **example_kwargs)
    return plan


class Plan:
    """A compiled value-and-gradient of one function; see ``adjoint.compile``.

    Attributes
    ----------
    compiles : int
        Traces made for new keys (shapes, structure or static arguments).
    retraces : int
        Traces made because a guard's outcome changed.
    engine : str
        Engine of the last evaluation: ``"tape"``, ``"scalar"`` or ``"retrace"``.
    reason : str
        Why that engine (the cost model's estimates, or what prevents replaying).
    """

    def __init__(self, fun, argnum=0, engine="auto", forward="auto", backward="auto", backend=None):
        if engine not in ENGINES:
            raise InvalidArgumentError(f"unknown engine {engine!r}; choose one of {ENGINES}")
        if forward not in ("auto",) + FORWARD_MODES:
            raise InvalidArgumentError(f"unknown forward {forward!r}; choose 'auto' or one of {FORWARD_MODES}")
        if backward not in ("auto",) + TRIANGULAR_METHODS:
            raise InvalidArgumentError(f"unknown backward {backward!r}; choose 'auto' or one of {TRIANGULAR_METHODS}")
        self.fun, self.argnum = fun, argnum
        self.engine_option, self.forward_option, self.backward_option = engine, forward, backward
        resolve_backend(backend, [])  # validates the name (and that cupy imports, if asked for)
        self.backend = backend
        self.compiles = self.retraces = 0
        self.engine = self.reason = None
        self._dynamic_others = True
        self._variants = {}  # key -> list of _Variant, most recently used first
        self._lock, self._busy = threading.RLock(), False

    def __call__(self, *args, **kwargs):
        """The gradient of ``fun`` with respect to ``args[argnum]`` (as ``adjoint.grad``)."""
        return self.value_and_grad(*args, **kwargs)[1]

    def value_and_grad(self, *args, **kwargs):
        """``(fun(*args, **kwargs), gradient)``, as ``adjoint.value_and_grad(fun, argnum)``.

        Keyword arguments are static: part of the key by value, like ints and strings."""
        refuse_traced([list(args), kwargs], "a compiled plan")
        # The buffers, the variants and the counters are shared by every call: one call at a
        # time (a lock costs ~0.3 µs; per-thread buffers would copy every program per thread).
        with self._lock:
            if self._busy:  # the same thread, from inside fun: the lock lets it in
                raise InvalidArgumentError(
                    "a compiled plan was called from inside its own function; call adjoint.grad "
                    "there, or a second plan of the function"
                )
            self._busy = True
            try:
                return self._value_and_grad(args, kwargs)
            finally:
                self._busy = False

    def _value_and_grad(self, args, kwargs):
        """``value_and_grad`` under the plan's lock."""
        positions = argnums(self.argnum, len(args))
        call = CallArguments(args, positions, self._dynamic_others, kwargs)
        xp = resolve_backend(self.backend, call.dynamic)
        call.key = (xp.__name__, call.key)
        with paused_gc():
            variants = self._variants.get(call.key, [])
            for k, variant in enumerate(variants):
                try:
                    value, grads, fresh = variant.run(call)
                except GuardFailed:
                    continue
                variants.insert(0, variants.pop(k))
                return self._result(variant, value, grads, fresh, call)
            if variants:
                self.retraces += 1
            else:
                self.compiles += 1
            variant, call = self._compile(args, positions, call, xp, kwargs)
            value, grads, fresh = variant.run(call)
            variants = self._variants.setdefault(call.key, [])
            variants.insert(0, variant)
            del variants[MAX_VARIANTS:]
            return self._result(variant, value, grads, fresh, call)

    def _result(self, variant, value, grads, fresh, call):
        """Note the engine used; the gradients in the form of the arguments."""
        self.engine, self.reason = variant.engine, variant.reason
        return value, per_argnum(self.argnum, call.gradients(grads, fresh))

    # --- compiling ---------------------------------------------------------------------
    def _compile(self, args, positions, call, xp, kwargs):
        """Trace for this call's key: ``(variant, call)`` (the call remade if floats turn static)."""
        try:
            tape, out, inputs = self._trace(call, xp)
        except Exception:
            if not self._dynamic_others or not any(kd == "d" for _, _, kinds, _ in call.others for kd in kinds):
                raise
            # The function does something with a non-differentiated float argument that a
            # traced value cannot do (scipy, float(), a shape): treat those as static.
            self._dynamic_others = False
            call = CallArguments(args, positions, False, kwargs)
            call.key = (xp.__name__, call.key)
            tape, out, inputs = self._trace(call, xp)
        n_diff = sum(call.n_differentiated)
        return self._variant(tape, out, inputs, inputs[:n_diff], xp, call), call

    def _trace(self, call, xp=np):
        """Run ``fun`` on traced dynamic leaves: ``(tape, out, input record of each leaf)``."""
        tape = Tape()
        traced = [tape.input(as_backend_float(xp, v)) for v in call.dynamic]
        n_diff = sum(call.n_differentiated)
        out = self.fun(*call.rebuild(traced[:n_diff], traced[n_diff:]), **call.traced_kwargs())
        value = out.value if isinstance(out, Traced) else out
        if np.ndim(value) != 0:
            raise InvalidArgumentError(
                f"compile needs a scalar-valued function, but it returned shape {np.shape(value)}; "
                f"reduce it to a scalar"
            )
        return tape, out, [t.index for t in traced]

    def _variant(self, tape, out, inputs, differentiated, xp, call):
        """The engine for one trace, chosen by the options and the cost model."""
        why_not = _not_replayable(tape, out)
        if why_not:
            return _Retrace(self, why_not, xp)
        program = TapeProgram(tape, inputs, differentiated, out.index)
        choice, reason = "tape", ""
        if self.engine_option != "tape":
            not_scalar = scalar_graph_reason(program)
            if not_scalar is not None:
                if self.engine_option == "scalar":
                    raise InvalidArgumentError(f"engine='scalar' needs a graph of scalar nodes, but {not_scalar}")
                reason = f"tape: not a graph of scalar nodes ({not_scalar})"
            else:
                layout = ScalarLayout(program)
                tape_cost = TAPE_STEP_COST * len(program.steps) + TAPE_EDGE_COST * layout.rows.size
                costs = _scalar_costs(layout, program, host=xp is np, asked=self.forward_option)
                forward = min(costs, key=costs.get) if self.forward_option == "auto" else self.forward_option
                # A pass asked for by name that cannot run here is refused by the engine, by name.
                scalar_cost = costs.get(forward, min(costs.values()))
                reason = (f"estimated {tape_cost * 1e3:.3g} ms by tape, {scalar_cost * 1e3:.3g} ms by "
                          f"the scalar engine with a {forward} forward pass ({layout.n_groups} groups, "
                          f"{layout.n_levels} levels, {layout.n_nodes} scalar nodes)")
                if self.engine_option == "scalar" or scalar_cost < tape_cost:
                    choice = "scalar"
        if choice == "scalar":
            engine = ScalarEngine(layout, program, backward=self.backward_option, forward=forward, xp=xp)
            program.records = None  # the layout holds what it needs; free the tape
            return _Variant("scalar", reason, engine, xp)
        reason = reason or "engine='tape' was asked for"
        if xp is np and _largest_value(program) >= BUFFERED_BACKWARD_ENTRIES:
            replay = gradient_replay(self.fun, self.argnum, call, len(tape.guards))
            if replay is not None:
                return _Variant("tape", reason + "; the backward pass recorded and replayed into kept buffers",
                                replay, xp)
        program.records = None
        return _Variant("tape", reason, program, xp)


def _largest_value(program):
    """The most entries of a live array value of ``program``'s trace."""
    return max((np.size(rec[4]) for rec, live in zip(program.records, program.live)
                if live and rec[4].__class__ is np.ndarray), default=0)


def _scalar_costs(layout, program, host=True, asked="auto"):
    """Estimated seconds of the scalar engine by forward mode, backward included (on a GPU,
    ``host=False``: levels only, the others being loops on the host). The compiled loop is
    a candidate from ``WORTH_COMPILING`` nodes up, or when ``asked`` for."""
    entries = NODE_COST * (layout.n_nodes + layout.rows.size)
    backward = TriangularPattern.estimate(layout.n_nodes, layout.rows.size, layout.n_levels)
    if not host:
        backward.pop("compiled", None)
        return {"levels": GROUP_COST * layout.n_groups + entries + min(backward.values())}
    backward = min(backward.values())
    partials = GROUP_COST * len(layout.prim_groups) + entries + backward
    costs = {"levels": GROUP_COST * layout.n_groups + entries + backward,
             "sequential": TAPE_STEP_COST * len(program.steps) + partials}
    big = layout.n_nodes >= compiled_loops.WORTH_COMPILING or asked == "compiled"
    if big and scalar_interpreter.unsupported(layout) is None:
        costs["compiled"] = COMPILED_STEP_COST * len(program.steps) + partials
    return costs


class _Variant:
    """One trace of the function, replayable by one engine."""

    def __init__(self, engine, reason, runner, xp):
        self.engine, self.reason, self.runner, self.xp = engine, reason, runner, xp

    def run(self, call):
        """``(value, gradient leaves, which of them are fresh)`` of ``call`` (see
        ``adjoint.tape.reverse.made_here``); raises ``GuardFailed`` for another branch."""
        if self.engine == "scalar":  # it converts the whole vector of inputs at once
            return (*self.runner.value_and_grad(call.dynamic), None)
        xp = self.xp
        value, grads = self.runner.value_and_grad([as_backend_float(xp, v) for v in call.dynamic])
        return value, grads, made_here(grads, self.runner.held())


class _Retrace:
    """A trace that cannot be replayed: every call traces and back-substitutes again, as
    ``grad`` does (the other traced float arguments are data: no VJP flows into them)."""

    engine = "retrace"

    def __init__(self, plan, reason, xp):
        self.plan, self.reason, self.xp = plan, reason, xp

    def run(self, call):
        """``(value, gradient leaves, which of them are fresh)`` of ``call``, by tracing it."""
        tape, out, inputs = self.plan._trace(call, self.xp)
        differentiated = inputs[:sum(call.n_differentiated)]
        needed = depends_on(tape.records, differentiated) if len(differentiated) < len(inputs) else None
        index = index_on(out, tape)
        grads = gradient(tape, index, differentiated, needed)
        return (out if index is None else out.value), grads, made_here(grads, recorded_values(tape))


def _not_replayable(tape, out):
    """Why ``tape`` cannot be replayed on new values, or ``""``."""
    if index_on(out, tape) is None:
        return "the result does not depend on the traced arguments"
    if tape.reports:
        return "it contains an implicit node (fixed_point, root or argmin), whose solve is specific to each trace"
    for rec in tape.records:
        prim = rec[0]
        if prim is not None and PRIMITIVES.get(prim.name) is not prim:
            return f"primitive '{prim.name}' is not a registered primitive"
    if not replayable_guards(tape.guards):
        return "a guard compares traced values inside a container"
    return ""

