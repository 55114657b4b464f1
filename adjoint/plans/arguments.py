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

from adjoint.errors import InvalidArgumentError
from adjoint.pytree import SCALAR_LEAVES, like, tree_flatten, tree_unflatten


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
    """Whether ``x`` can be a differentiated leaf: a number or array, not a bool."""
    return isinstance(x, (numbers.Number, np.ndarray, np.generic)) and not isinstance(x, (bool, np.bool_))


def _is_dynamic_float(x):
    """Whether a leaf of a non-differentiated argument is a new value at each call."""
    if isinstance(x, float) or isinstance(x, np.float64):
        return True
    return isinstance(x, np.ndarray) and x.dtype == np.float64


def static_key(x):
    """A hashable stand-in for a static leaf.

    Its value if hashable, its bytes for arrays, else its identity (the plan keeps a
    reference, so the identity stays valid).

    Examples
    --------
    >>> import numpy as np
    >>> static_key(3), static_key(np.array([1, 2]))[:3]
    (('value', <class 'int'>, 3), ('array', (2,), '<i8'))
    >>> static_key([1])[0]  # a list is not hashable
    'id'
    """
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
                if leaf.__class__ not in SCALAR_LEAVES and not _is_number_leaf(leaf):
                    raise InvalidArgumentError(
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
            if vector and all(x.__class__ in SCALAR_LEAVES for x in leaves):
                out.append(tree_unflatten(treedef, part.tolist()))  # Python floats, as grad gives
            else:
                out.append(tree_unflatten(treedef, [like(g, x) for g, x in zip(part, leaves)]))
            pos += n
        return out


def _python_scalar(x):
    """Whether ``x`` is a Python number (its gradient is then a Python float)."""
    return isinstance(x, numbers.Number) and not isinstance(x, (np.ndarray, np.generic))

