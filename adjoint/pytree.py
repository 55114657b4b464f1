"""Arguments that are nested lists, tuples and dicts of arrays: flattening and rebuilding."""

import numbers

import numpy as np

from graphs.errors import GraphError
from graphs.tape import Traced


def flatten(tree, path="argument"):
    """The leaves of ``tree`` (depth first) and a function that rebuilds it from new leaves."""
    if isinstance(tree, (list, tuple)):
        parts = [flatten(v, f"{path}[{i}]") for i, v in enumerate(tree)]
        kind = type(tree)
        return _join(parts, lambda items: kind(items) if kind in (list, tuple) else kind(*items))
    if isinstance(tree, dict):
        keys = list(tree)
        parts = [flatten(tree[k], f"{path}[{k!r}]") for k in keys]
        return _join(parts, lambda items: dict(zip(keys, items)))
    if not isinstance(tree, (numbers.Number, np.ndarray, np.generic, Traced)):
        raise GraphError(
            f"{path} is a {type(tree).__name__}; a differentiated argument must be a float, an "
            f"ndarray, or lists / tuples / dicts of them"
        )
    return [tree], lambda leaves: leaves[0]


def _join(parts, build):
    leaves, counts = [], []
    for part_leaves, _ in parts:
        leaves.extend(part_leaves)
        counts.append(len(part_leaves))

    def rebuild(new_leaves):
        items, start = [], 0
        for (_, rebuild_part), n in zip(parts, counts):
            items.append(rebuild_part(new_leaves[start:start + n]))
            start += n
        return build(items)

    return leaves, rebuild


def as_float(x):
    """``x`` as float64: a Python scalar stays a scalar, anything else becomes an ndarray."""
    if isinstance(x, numbers.Number) and not isinstance(x, np.generic):
        return np.float64(x)
    return np.asarray(x, dtype=np.float64)


def like(g, x):
    """The cotangent ``g`` in the form of ``x``: a float for a Python scalar, else an array."""
    if g is None:
        g = 0.0
    if isinstance(x, numbers.Number) and not isinstance(x, np.ndarray):
        return float(g)
    return np.array(np.broadcast_to(g, np.shape(x)), dtype=np.float64)
