"""One constraint of a graph, evaluated plainly or linearised by tracing it.

Linearising ``z_i = f_i(z_α(i))`` at its argument values traces ``f_i`` onto a tape of its
own; its VJP is back-substitution through that tape and its JVP forward substitution.
"""

import numpy as np

from adjoint.errors import NonFiniteError
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


def _call(graph, name, fn, args):
    try:
        return fn(*args)
    except AdjointError as e:
        raise type(e)(f"constraint '{name}': {e}") from e
    except Exception as e:
        shapes = ", ".join(
            f"{a!r} {np.shape(v.value if isinstance(v, Traced) else v)}"
            for a, v in zip(graph.nodes[name]["args"], args)
        )
        raise GraphError(
            f"constraint '{name}' failed with {type(e).__name__}: {e} (argument shapes: {shapes})"
        ) from e


def _checked(graph, name, args, value, shape, check_finite):
    try:
        value = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise GraphError(f"constraint '{name}' returned {type(value).__name__}, not an array of floats") from e
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
