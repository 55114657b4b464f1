"""One constraint of a graph, evaluated plainly or linearised by tracing it.

Linearising ``z_i = f_i(z_α(i))`` at its argument values traces ``f_i`` onto a tape of its
own; its VJP is back-substitution through that tape and its JVP forward substitution. A
primitive node (``graphs.primitive_graph.PrimitiveConstraint``) is one primitive: its impl is
called directly and its VJP rules applied directly, the one-record tape built only when asked
for (sparse partials, JVPs). Same values, same rules, same order: the same answers.
"""

import math

import numpy as np

from adjoint.errors import NonFiniteError
from adjoint.pytree import tree_flatten
from adjoint.tape.forward import forward_substitute
from adjoint.tape.reverse import back_substitute, depends_on
from graphs.errors import AdjointError, GraphError
from graphs.primitive_graph import PrimitiveConstraint
from graphs.tape import Tape, Traced


class LinearisedConstraint:
    """``f_i`` traced at its arguments: its ``value`` and its VJP / JVP per argument position."""

    # block_positions: the argument positions inside the node's cyclic block, found once by the
    # block's back-substitution (``adjoint.graph.cyclic.substitution``)
    __slots__ = ("name", "args", "tape", "leaves", "out", "value", "_needed", "block_positions")

    def __init__(self, name, args, tape, leaves, out, value):
        self.name, self.args, self.tape, self.leaves = name, args, tape, leaves
        self.out, self.value = out, value
        self._needed, self.block_positions = {}, None

    def vjp(self, g, positions=None):
        """Per argument position ``(∂f/∂z_arg)ᵀ g``, or ``None`` where f does not depend on it.

        ``positions`` (a tuple of argument positions): only those are wanted, the others are
        ``None``, and the VJPs on paths from the others only are skipped. An iteration over a
        cyclic block wants the block's own arguments, not the parameters': for
        ``tanh(W z + U x)`` that skips ``g zᵀ``, the costlier half of the matmul's VJP.
        """
        if self.out is None:
            return [None] * len(self.leaves)
        if positions is None:
            lam = back_substitute(self.tape, {self.out: g})
            return [lam[leaf] for leaf in self.leaves]
        needed = self._needed.get(positions)
        if needed is None:
            needed = self._needed[positions] = depends_on(self.tape.records, [self.leaves[k] for k in positions])
        lam = back_substitute(self.tape, {self.out: g}, needed)
        return [lam[leaf] if k in positions else None for k, leaf in enumerate(self.leaves)]

    def jvp(self, tangents):
        """``Σ_arg (∂f/∂z_arg) t_arg`` for per-position tangents (``None`` meaning zero)."""
        seeds = {leaf: t for leaf, t in zip(self.leaves, tangents) if t is not None}
        if self.out is None or not seeds:
            return np.zeros_like(self.value)
        dot = forward_substitute(self.tape, seeds)[self.out]
        return np.zeros_like(self.value) if dot is None else np.broadcast_to(dot, self.value.shape)


class PrimitiveLinearisation:
    """A primitive node linearised without a tape: ``LinearisedConstraint``'s interface.

    ``full`` are the primitive's argument values (constants at their positions), ``ans``
    its raw result (what a trace would record), ``positions`` the positions of the node's
    arguments in ``full``. ``tape``, ``leaves`` and ``out`` describe the one-record tape that
    tracing would have made; it is built on first use.
    """

    __slots__ = ("name", "args", "value", "prim", "full", "params", "ans", "positions", "_tape", "block_positions")

    def __init__(self, name, args, value, prim, full, params, ans, positions):
        self.name, self.args, self.value, self.prim = name, args, value, prim
        self.full, self.params, self.ans, self.positions = full, params, ans, positions
        self._tape, self.block_positions = None, None

    def vjp(self, g, positions=None):
        """Per argument position ``(∂f/∂z_arg)ᵀ g``, as ``back_substitute`` on the tape would give.

        ``positions``: only those argument positions are wanted (the others are ``None``).
        """
        prim, full, params, ans = self.prim, self.full, self.params, self.ans
        vjps = prim.vjps
        out = []
        for j, k in enumerate(self.positions):
            if positions is not None and j not in positions:
                out.append(None)
                continue
            rule = vjps.get(k) or prim.vjp(k)  # prim.vjp raises the missing-rule error
            out.append(rule(g, ans, *full, **params) if params else rule(g, ans, *full))
        return out

    def jvp(self, tangents):
        """``Σ_arg (∂f/∂z_arg) t_arg``, by forward substitution on the tape."""
        return LinearisedConstraint.jvp(self, tangents)

    @property
    def tape(self):
        if self._tape is None:
            tape = Tape()
            tape.records = [(None, (), None, (), self.full[k]) for k in self.positions]
            parents = [-1] * len(self.full)
            for leaf, k in enumerate(self.positions):
                parents[k] = leaf
            tape.records.append((self.prim, self.full, self.params, tuple(parents), self.ans))
            self._tape = tape
        return self._tape

    @property
    def leaves(self):
        return list(range(len(self.positions)))

    @property
    def out(self):
        return len(self.positions) if self.positions else None  # a trace of constants records nothing


def argument_values(graph, name, *sources):
    """The values of ``name``'s arguments, each looked up in the first source holding it."""
    out = []
    for a in graph.nodes[name]["args"]:
        for source in sources:
            if a in source:
                out.append(source[a])
                break
    return out


def evaluate(graph, name, args, shape=None, check_finite=True):
    """``f_name(*args)`` as a float array, with errors that name the node and the shapes."""
    return _checked(graph, name, args, _call(graph, name, graph.nodes[name]["fn"], args), shape, check_finite)


def linearise(graph, name, args, shape=None, check_finite=True):
    """Trace ``f_name`` at ``args``: a ``LinearisedConstraint`` (a ``PrimitiveLinearisation`` for a primitive node)."""
    data = graph.nodes[name]
    fn = data["fn"]
    if fn.__class__ is PrimitiveConstraint:
        lin = _linearise_primitive(graph, name, data["args"], fn, args, shape, check_finite)
        if lin is not None:
            return lin
    tape = Tape()
    leaves = [tape.input(v) for v in args]
    out = _call(graph, name, graph.nodes[name]["fn"], leaves)
    if isinstance(out, Traced):
        if out.tape is not tape:
            raise GraphError(f"constraint '{name}' returned a value traced outside it; pass it as an argument")
        value, index = out.value, out.index
    else:
        value, index = out, None
    value = _checked(graph, name, args, value, shape, check_finite)
    return LinearisedConstraint(name, graph.nodes[name]["args"], tape, [leaf.index for leaf in leaves], index, value)


def _linearise_primitive(graph, name, arg_names, fn, args, shape, check_finite):
    """``linearise`` for a primitive node, or ``None`` where the general route must say what is wrong."""
    constants = fn.constants
    n = len(args)
    if n + len(constants) != fn.arity or len(fn._positions) != len(constants) or not n:
        return None  # the constraint's own call raises the error (or refreshes its positions); no argument: no tape
    prim = fn.primitive
    plain = args
    if prim.impl.__class__ is np.ufunc:
        # A ufunc and its rules give the same numbers on a float scalar as on a 0-d array, and
        # numpy's scalar math and the rules' scalar fast paths make the scalar several times faster.
        plain = [a[()] if a.__class__ is np.ndarray and not a.shape and a.dtype is _FLOAT64 else a for a in args]
    if constants:
        full = list(plain)
        for k in fn._positions:
            full.insert(k, constants[k])
        positions = _POSITIONS.get((fn.arity, fn._positions))
        if positions is None:
            positions = _POSITIONS[fn.arity, fn._positions] = tuple(k for k in range(fn.arity) if k not in constants)
        full = tuple(full)
    else:
        full, positions = tuple(plain), _RANGES[n] if n < len(_RANGES) else tuple(range(n))
    for v in full:
        if v.__class__ is Traced:
            return None  # a constant traced by an enclosing trace: the tape sorts out the levels
    params = fn.params
    try:  # as a trace calls it: the impl on the plain values
        ans = prim.impl(*full, **params) if params else prim.impl(*full)
    except Exception as e:
        raise _call_error(graph, name, args, e) from e
    if ans.__class__ is np.float64 and (shape is None or tuple(shape) == ()):
        # a scalar: nothing can be None, a view of an argument or of another shape
        if check_finite and not math.isfinite(ans):
            _checked(graph, name, args, ans, shape, check_finite)  # raises NonFiniteError
        value = np.asarray(ans, dtype=np.float64)
    else:
        value = _checked(graph, name, args, ans, shape, check_finite)
    return PrimitiveLinearisation(name, arg_names, value, prim, full, params, ans, positions)


_RANGES = tuple(tuple(range(n)) for n in range(8))
_FLOAT64 = np.dtype(np.float64)
#: The node-argument positions of a primitive constraint, by (arity, constant positions): a few dozen kinds.
_POSITIONS = {}


def holds_none(value):
    """Whether ``value`` is ``None`` or a list / tuple / object array holding one, which numpy reads as NaN.

    Examples
    --------
    >>> holds_none(None), holds_none([1.0, [2.0, None]]), holds_none([1.0, 2.0])
    (True, True, False)
    """
    if value is None:
        return True
    if isinstance(value, (list, tuple)):
        return any(holds_none(v) for v in value)
    if isinstance(value, np.ndarray) and value.dtype == object:
        return any(v is None for v in value.flat)
    return False


def _read_only(v):
    """A read-only view of an array argument: the solver's values (its iterates, the copies of the
    inputs) are shared by every evaluation, so a constraint writing into one in place would change
    the problem while it is being solved, silently."""
    if v.__class__ is np.ndarray and v.flags.writeable:
        v = v.view()
        v.flags.writeable = False
    return v


def _call(graph, name, fn, args):
    try:
        return fn(*[_read_only(a) for a in args])
    except Exception as e:
        raise _call_error(graph, name, args, e) from e


def _call_error(graph, name, args, e):
    """The error to raise for exception ``e`` of constraint ``name``'s function."""
    if isinstance(e, AdjointError):
        return type(e)(f"constraint '{name}': {e}")
    if isinstance(e, (ValueError, TypeError)):
        # numpy's words for a write into a read-only view; the tape's for one into a traced value
        if "read-only" not in str(e) and "does not support item assignment" not in str(e):
            return _failed(graph, name, args, e)
        return GraphError(
            f"constraint '{name}' writes into one of its arguments {list(graph.nodes[name]['args'])} in "
            f"place ({e}); the solver holds them, so a constraint must not modify them: write "
            f"`p = p + 1` rather than `p += 1` or `p[0] = ...`, or work on a copy (`p = p.copy()`)"
        )
    return _failed(graph, name, args, e)


def _failed(graph, name, args, e):
    shapes = ", ".join(
        f"{a!r} {np.shape(v.value if isinstance(v, Traced) else v)}"
        for a, v in zip(graph.nodes[name]["args"], args)
    )
    return GraphError(f"constraint '{name}' failed with {type(e).__name__}: {e} (argument shapes: {shapes})")


def _checked(graph, name, args, value, shape, check_finite):
    if holds_none(value):  # else numpy makes it NaN, and the error would be "not finite"
        what = "None" if value is None else f"a {type(value).__name__} holding None"
        raise GraphError(
            f"constraint '{name}' returned {what}; make fn return its value, a float or an array "
            f"(is a return statement missing?)"
        )
    try:
        value = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as e:
        if any(v.__class__ is Traced for v in tree_flatten(value)[0]):
            raise GraphError(
                f"constraint '{name}' returned a value traced by an enclosing adjoint.grad / jvp: its fn "
                f"captures a differentiated variable from an enclosing function, whose derivative would be "
                f"lost; pass that value into the graph as an input instead (add_input, and differentiate "
                f"with adjoint.solve's objective), or write the program as numpy code with "
                f"adjoint.fixed_point(lambda z, a: ..., z0, a)"
            ) from e
        raise GraphError(f"constraint '{name}' returned {type(value).__name__}, not an array of floats") from e
    if any(a.__class__ is np.ndarray and np.may_share_memory(value, a) for a in args):
        value = value.copy()  # e.g. ``lambda x: x``: the node's value is its own, not a view of an argument
    if shape is not None and value.shape != tuple(shape):
        raise GraphError(
            f"constraint '{name}' returned shape {value.shape} but the node has shape {tuple(shape)} "
            f"(from its init or an earlier iterate); make fn return a consistent shape"
        )
    if check_finite and not np.all(np.isfinite(value)):
        raise NonFiniteError(
            f"node '{name}' is not finite (value {_sample(value)}) with arguments "
            + ", ".join(f"{a!r}={_sample(v)}" for a, v in zip(graph.nodes[name]["args"], args))
            + "; fix the constraint or its inputs, or pass check_finite=False"
        )
    return value


def _sample(v):
    v = np.asarray(v.value if isinstance(v, Traced) else v)
    return np.array2string(v.ravel()[:4], precision=4) + ("…" if v.size > 4 else "")
