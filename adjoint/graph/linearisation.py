"""One constraint of a graph, evaluated plainly or linearised by tracing it.

Linearising ``z_i = f_i(z_α(i))`` at its argument values traces ``f_i`` onto a tape of its
own; its VJP is back-substitution through that tape and its JVP forward substitution.
"""

import numpy as np

from adjoint.errors import NonFiniteError
from adjoint.pytree import tree_flatten
from adjoint.tape.forward import forward_substitute
from adjoint.tape.reverse import back_substitute
from graphs.errors import AdjointError, GraphError
from graphs.tape import Tape, Traced


class LinearisedConstraint:
    """``f_i`` traced at its arguments: its ``value`` and its VJP / JVP per argument position."""

    __slots__ = ("name", "args", "tape", "leaves", "out", "value")

    def __init__(self, name, args, tape, leaves, out, value):
        self.name, self.args, self.tape, self.leaves = name, args, tape, leaves
        self.out, self.value = out, value

    def vjp(self, g):
        """Per argument position ``(∂f/∂z_arg)ᵀ g``, or ``None`` where f does not depend on it."""
        if self.out is None:
            return [None] * len(self.leaves)
        lam = back_substitute(self.tape, {self.out: g})
        return [lam[leaf] for leaf in self.leaves]

    def jvp(self, tangents):
        """``Σ_arg (∂f/∂z_arg) t_arg`` for per-position tangents (``None`` meaning zero)."""
        seeds = {leaf: t for leaf, t in zip(self.leaves, tangents) if t is not None}
        if self.out is None or not seeds:
            return np.zeros_like(self.value)
        dot = forward_substitute(self.tape, seeds)[self.out]
        return np.zeros_like(self.value) if dot is None else np.broadcast_to(dot, self.value.shape)


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
    """Trace ``f_name`` at ``args``: a ``LinearisedConstraint``."""
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
    except AdjointError as e:
        raise type(e)(f"constraint '{name}': {e}") from e
    except (ValueError, TypeError) as e:
        # numpy's words for a write into a read-only view; the tape's for one into a traced value
        if "read-only" not in str(e) and "does not support item assignment" not in str(e):
            raise _failed(graph, name, args, e) from e
        raise GraphError(
            f"constraint '{name}' writes into one of its arguments {list(graph.nodes[name]['args'])} in "
            f"place ({e}); the solver holds them, so a constraint must not modify them: write "
            f"`p = p + 1` rather than `p += 1` or `p[0] = ...`, or work on a copy (`p = p.copy()`)"
        ) from e
    except Exception as e:
        raise _failed(graph, name, args, e) from e


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
