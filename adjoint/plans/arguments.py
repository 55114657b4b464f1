"""The arguments of a compiled plan: which leaves are new values, and what must stay the same.

A call's arguments are flattened into leaves (nested lists, tuples and dicts, as for
``grad``). Leaves of the differentiated arguments, and float leaves of the others, are
*dynamic*: the plan replays the program on their new values. Everything else (ints, strings,
integer arrays, callables, ...) is *static*: the trace depends on it, so it is part of the
plan's key together with the structure and the shapes of the dynamic leaves. A call whose
key differs compiles (traces) again.
"""

import numbers

import numpy as np

from graphs.errors import GraphError
from solvers.backend import array_namespace

from adjoint.pytree import like


def tree_flatten(tree):
    """``(leaves, treedef)`` of nested lists, tuples and dicts.

    Examples
    --------
    >>> leaves, treedef = tree_flatten({"a": [1.0, 2.0], "b": 3.0})
    >>> leaves
    [1.0, 2.0, 3.0]
    >>> tree_unflatten(treedef, [4.0, 5.0, 6.0])
    {'a': [4.0, 5.0], 'b': 6.0}
    """
    leaves = []
    treedef = _flatten(tree, leaves)
    return leaves, treedef


def _flatten(tree, leaves):
    if isinstance(tree, (list, tuple)):
        if all(v.__class__ in _SCALAR_LEAVES for v in tree):  # a flat list of numbers: fast
            leaves.extend(tree)
            return (type(tree), len(tree), (None,) * len(tree))
        return (type(tree), len(tree), tuple(_flatten(v, leaves) for v in tree))
    if isinstance(tree, dict):
        keys = tuple(tree)
        return (dict, keys, tuple(_flatten(tree[k], leaves) for k in keys))
    leaves.append(tree)
    return None


def tree_unflatten(treedef, leaves):
    """The tree of ``treedef`` with new ``leaves`` (depth first, as ``tree_flatten``)."""
    it = iter(leaves)
    return _unflatten(treedef, it)


def _unflatten(treedef, it):
    if treedef is None:
        return next(it)
    kind, meta, children = treedef
    items = [_unflatten(c, it) for c in children]
    if kind is dict:
        return dict(zip(meta, items))
    if kind in (list, tuple):
        return kind(items)
    return kind(*items)  # a namedtuple


_SCALAR_LEAVES = frozenset({float, np.float64, int})


def _leaf_descriptor(x):
    """Shape and kind of a differentiated leaf: what its gradient's form depends on."""
    cls = x.__class__
    if cls is float or cls is int:
        return _PYTHON_SCALAR
    if cls is np.float64:
        return _NUMPY_SCALAR
    return (np.shape(x), _python_scalar(x))


_PYTHON_SCALAR, _NUMPY_SCALAR = ((), True), ((), False)


def _is_number_leaf(x):
    return isinstance(x, (numbers.Number, np.ndarray, np.generic)) and not isinstance(x, (bool, np.bool_))


def _is_dynamic_float(x):
    if isinstance(x, float) or isinstance(x, np.float64):
        return True
    return isinstance(x, np.ndarray) and x.dtype == np.float64


def static_key(x):
    """A hashable stand-in for a static leaf: its value if hashable, its bytes for arrays,
    else its identity (the plan keeps a reference, so the identity stays valid)."""
    if isinstance(x, np.ndarray):
        return ("array", x.shape, x.dtype.str, x.tobytes())
    try:
        hash(x)
    except TypeError:
        return ("id", id(x))
    return ("value", type(x), x)


class CallArguments:
    """One call's arguments split into dynamic leaves and a key for everything else.

    Parameters
    ----------
    args : tuple
        The positional arguments.
    argnums : tuple of int
        Differentiated arguments (normalised to be non-negative).
    dynamic_others : bool
        Whether float leaves of the other arguments are dynamic (else static).
    kwargs : dict, optional
        Keyword arguments: static.

    Attributes
    ----------
    dynamic : list
        The dynamic leaves' values, differentiated arguments' leaves first.
    key : tuple
        Hashable: structure, dynamic shapes, static values.
    n_differentiated : list of int
        Number of dynamic leaves of each differentiated argument.

    Examples
    --------
    >>> import numpy as np
    >>> call = CallArguments((np.ones(3), 2, [0.5]), (0,), True)
    >>> len(call.dynamic), call.n_differentiated
    (2, [1])
    >>> call.key == CallArguments((np.zeros(3), 2, [1.5]), (0,), True).key
    True
    >>> call.key == CallArguments((np.zeros(3), 3, [1.5]), (0,), True).key
    False
    """

    def __init__(self, args, argnums, dynamic_others, kwargs=None):
        self.args, self.kwargs = args, dict(kwargs or {})
        self.argnums = argnums
        self.dynamic, key, self.n_differentiated = [], [], []
        self.treedefs = []  # per differentiated argument: (treedef, leaves)
        for a in argnums:
            leaves, treedef = tree_flatten(args[a])
            for k, leaf in enumerate(leaves):
                if leaf.__class__ not in _SCALAR_LEAVES and not _is_number_leaf(leaf):
                    raise GraphError(
                        f"argument {a} has a leaf of type {type(leaf).__name__} at position {k}; "
                        f"a differentiated argument must be a float, an ndarray, or lists / "
                        f"tuples / dicts of them"
                    )
            self.dynamic.extend(leaves)
            self.n_differentiated.append(len(leaves))
            self.treedefs.append((treedef, leaves))
            key.append(("diff", treedef, tuple(map(_leaf_descriptor, leaves))))
        self.others = []
        for a, arg in enumerate(args):
            if a in argnums:
                continue
            leaves, treedef = tree_flatten(arg)
            kinds = ["d" if dynamic_others and _is_dynamic_float(v) else "s" for v in leaves]
            self.others.append((a, treedef, kinds, leaves))
            desc = tuple(np.shape(v) if kd == "d" else static_key(v) for v, kd in zip(leaves, kinds))
            key.append(("other", a, treedef, tuple(kinds), desc))
            self.dynamic.extend(v for v, kd in zip(leaves, kinds) if kd == "d")
        kw = tuple(sorted((k, static_key(v)) for k, v in self.kwargs.items()))  # keywords: static
        self.key = (len(args), tuple(key), kw)

    def rebuild(self, diff_values, other_values):
        """The arguments with the dynamic leaves replaced (e.g. by traced values)."""
        args = list(self.args)
        pos = 0
        for a, n, (treedef, _) in zip(self.argnums, self.n_differentiated, self.treedefs):
            args[a] = tree_unflatten(treedef, diff_values[pos:pos + n])
            pos += n
        it = iter(other_values)
        for a, treedef, kinds, leaves in self.others:
            new = [next(it) if kd == "d" else v for v, kd in zip(leaves, kinds)]
            args[a] = tree_unflatten(treedef, new)
        return tuple(args)

    def gradients(self, grads):
        """Per differentiated argument, the gradient leaves ``grads`` in that argument's form.

        ``grads`` is a list (``None`` for zero) or, from the scalar engine, a float64 vector.
        """
        out, pos = [], 0
        vector = isinstance(grads, np.ndarray)
        for n, (treedef, leaves) in zip(self.n_differentiated, self.treedefs):
            part = grads[pos:pos + n]
            if vector and all(x.__class__ in _SCALAR_LEAVES for x in leaves):
                out.append(tree_unflatten(treedef, part.tolist()))  # Python floats, as grad gives
            else:
                out.append(tree_unflatten(treedef, [_like(g, x) for g, x in zip(part, leaves)]))
            pos += n
        return out


def _python_scalar(x):
    return isinstance(x, numbers.Number) and not isinstance(x, (np.ndarray, np.generic))


def _like(g, x):
    """The gradient in the form of ``x``, as ``grad`` gives it (a GPU array stays there)."""
    if g is not None and array_namespace(g) is not np:
        return g.reshape(np.shape(x))
    return like(g, x)
