"""The arguments of a compiled plan: which leaves are new values, and what must stay the same.

A call's arguments are flattened into leaves (nested lists, tuples and dicts, as for
``grad``). Leaves of the differentiated arguments, and float leaves of the others, are
*dynamic*: the plan replays the program on their new values. Everything else (ints, strings,
integer arrays, keyword arguments, callables, ...) is *static*: the trace depends on it, so
its value is part of the plan's key together with the structure and the shapes of the
dynamic leaves. A call whose key differs compiles (traces) again; the trace is made on
copies of the static values, so changing one in place later recompiles rather than
replaying a stale trace. Objects with no value to compare are refused (``static_key``).
"""

import numbers
import types

import numpy as np

from adjoint.errors import InvalidArgumentError
from adjoint.pytree import SCALAR_LEAVES, like, tree_flatten, tree_unflatten
from solvers.backend import on_gpu


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
    """Whether ``x`` can be a differentiated leaf: a number or array (cupy's too), not a bool."""
    if isinstance(x, (numbers.Number, np.ndarray, np.generic)):
        return not isinstance(x, (bool, np.bool_))
    return on_gpu(x) and hasattr(x, "dtype")


def _is_dynamic_float(x):
    """Whether a leaf of a non-differentiated argument is a new value at each call."""
    if isinstance(x, float) or isinstance(x, np.float64):
        return True
    if isinstance(x, np.ndarray):
        return x.dtype == np.float64
    return x.__class__ not in _HOST_ATOMS and on_gpu(x) and getattr(x, "dtype", None) == np.float64


_HOST_ATOMS = frozenset({int, str, bool, type(None)})


class NotKeyable(Exception):
    """A static leaf with no value a plan can compare (see ``static_key``)."""


def static_key(x):
    """A hashable stand-in for a static leaf: equal keys mean equal values.

    A plan replays a trace only for arguments whose key equals the trace's, so the key must
    change whenever the value does, in place changes included. Numbers and numpy scalars are
    keyed by their exact bits (so ``-0.0`` and ``0.0`` differ), arrays by dtype, shape and
    bytes, sets by their elements, and hashable objects by their own ``__hash__`` and
    ``==``. Functions, classes and modules are keyed by identity: what they compute is frozen
    at tracing time, like values the function captures from its enclosing scope. Any other
    object that hashes by identity (the default for a class), or does not hash, has no value
    to compare: a change inside it would go unnoticed, so it raises ``NotKeyable``.

    Examples
    --------
    >>> import numpy as np
    >>> static_key(3), static_key(np.array([1, 2]))[:3]
    ((<class 'int'>, 3), ('array', (2,), '<i8'))
    >>> static_key(0.0) == static_key(-0.0)
    False
    >>> class Config:
    ...     pass
    >>> static_key(Config())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    adjoint.plans.arguments.NotKeyable: ...
    """
    cls = x.__class__
    if cls is int or cls is str or cls is bool or x is None:
        return (cls, x)
    if cls is float:
        return (cls, x.hex())
    if isinstance(x, np.ndarray):
        if x.dtype.hasobject:  # its bytes are pointers: key the elements themselves
            return ("object array", x.shape, tuple(static_key(v) for v in x.ravel().tolist()))
        return ("array", x.shape, x.dtype.str, x.tobytes())
    if isinstance(x, np.generic):
        return ("scalar", x.dtype.str, x.tobytes())
    if on_gpu(x) and hasattr(x, "get"):  # a cupy array (not float64: those are dynamic)
        return ("device array", x.shape, x.dtype.str, x.get().tobytes())
    if isinstance(x, float):
        return (cls, float(x).hex())
    if isinstance(x, complex):
        return (cls, x.real.hex(), x.imag.hex())
    if isinstance(x, (set, frozenset)):
        return (cls, frozenset(static_key(v) for v in x))
    if isinstance(x, bytearray):
        return (cls, bytes(x))
    if isinstance(x, slice):
        return (cls, static_key(x.start), static_key(x.stop), static_key(x.step))
    try:
        hash(x)
    except TypeError:
        raise NotKeyable("it is not hashable") from None
    if cls.__hash__ is object.__hash__ and not (callable(x) or isinstance(x, types.ModuleType)):
        raise NotKeyable("it hashes by identity")
    return ("value", cls, x)


def snapshot(x):
    """A copy of a static leaf that later in-place changes to ``x`` do not reach.

    A trace keeps references to its static values (an index array becomes a parameter of a
    record), and its key holds their values at tracing time: tracing on a copy keeps the two
    the same whatever the caller does to ``x`` afterwards.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([1, 2]); b = snapshot(a); a[0] = 5
    >>> b
    array([1, 2])
    """
    if isinstance(x, np.ndarray) or on_gpu(x):
        return x.copy()
    if isinstance(x, (set, bytearray)):
        return x.copy()
    return x


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
        Keyword arguments: static (every leaf keyed by value).

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
            try:
                desc = tuple(np.shape(v) if kd == "d" else static_key(v) for v, kd in zip(leaves, kinds))
            except NotKeyable:
                _refuse(leaves, a, kinds)
            key.append(("other", a, treedef, tuple(kinds), desc))
            self.dynamic.extend(v for v, kd in zip(leaves, kinds) if kd == "d")
        kw = []
        self.kw_trees = []  # per keyword, sorted by name: (name, treedef, leaves)
        for name, value in sorted(self.kwargs.items()):  # static, keyed by value leaf by leaf
            leaves, treedef = tree_flatten(value)
            self.kw_trees.append((name, treedef, leaves))
            try:
                kw.append((name, treedef, tuple(map(static_key, leaves))))
            except NotKeyable:
                _refuse(leaves, name)
        self.key = (len(args), tuple(key), tuple(kw))

    def traced_kwargs(self):
        """The keyword arguments to trace on, static values copied (see ``snapshot``)."""
        return {name: tree_unflatten(treedef, [snapshot(v) for v in leaves]) for name, treedef, leaves in self.kw_trees}

    def rebuild(self, diff_values, other_values):
        """The arguments with the dynamic leaves replaced by traced values, the static ones by
        copies (see ``snapshot``): the trace must not see later in-place changes."""
        args = list(self.args)
        pos = 0
        for a, n, (treedef, _) in zip(self.argnums, self.n_differentiated, self.treedefs):
            args[a] = tree_unflatten(treedef, diff_values[pos:pos + n])
            pos += n
        it = iter(other_values)
        for a, treedef, kinds, leaves in self.others:
            new = [next(it) if kd == "d" else snapshot(v) for v, kd in zip(leaves, kinds)]
            args[a] = tree_unflatten(treedef, new)
        return tuple(args)

    def gradients(self, grads, fresh=None):
        """Per differentiated argument, the gradient leaves ``grads`` in that argument's form.

        ``grads`` is a list (``None`` for zero) or, from the scalar engine, a float64 vector;
        ``fresh`` says, per leaf, whether it may be handed out without a copy (``like``).
        """
        out, pos = [], 0
        vector = isinstance(grads, np.ndarray)
        fresh = [False] * len(grads) if fresh is None else fresh
        for n, (treedef, leaves) in zip(self.n_differentiated, self.treedefs):
            part, owned = grads[pos:pos + n], fresh[pos:pos + n]
            if vector and all(x.__class__ in SCALAR_LEAVES for x in leaves):
                out.append(tree_unflatten(treedef, part.tolist()))  # Python floats, as grad gives
            else:
                out.append(tree_unflatten(treedef, [like(g, x, f) for g, x, f in zip(part, leaves, owned)]))
            pos += n
        return out


def _python_scalar(x):
    """Whether ``x`` is a Python number (its gradient is then a Python float)."""
    return isinstance(x, numbers.Number) and not isinstance(x, (np.ndarray, np.generic))


def _refuse(leaves, argument, kinds=None):
    """Raise the error naming the argument (position or keyword) and the leaf that cannot be keyed."""
    for k, value in enumerate(leaves):
        if kinds is not None and kinds[k] == "d":
            continue
        try:
            static_key(value)
        except NotKeyable as e:
            where = f"argument {argument}" if isinstance(argument, int) else f"keyword argument {argument!r}"
            if len(leaves) > 1:
                where += f" (leaf {k})"
            raise InvalidArgumentError(
                f"{where}: a compiled plan cannot key a {type(value).__name__} by value ({e.args[0]}), so "
                f"it would replay its old trace after a change inside it. Pass the data it holds as "
                f"numbers, strings, arrays or lists / tuples / dicts of them, capture it in the function's "
                f"closure (frozen at tracing time), or use adjoint.grad, which traces every call"
            ) from None
