"""Arguments that are nested lists, tuples and dicts of arrays, and which of them are differentiated.

One pytree for the whole library: ``tree_flatten`` / ``tree_unflatten`` (a hashable
``treedef``, as a compiled plan's key needs), ``flatten`` (the same, with the leaves checked
to be numbers and a ``rebuild`` function, as ``grad`` needs), the leaf conversions ``as_float``
and ``like`` (``None`` meaning zero), and ``argnums`` and its companions, which turn an
``argnum`` (an int or a tuple of ints) into the tuple of arguments it names and back.
"""

import numbers

import numpy as np

from adjoint.errors import InvalidArgumentError
from graphs.rules.broadcasting import match_complex
from graphs.tape import Traced, holds_traced, plain_value
from solvers.backend import on_gpu

#: Leaf classes of a flat list that ``tree_flatten`` takes in one step (no recursion).
SCALAR_LEAVES = frozenset({float, np.float64, int})

_NUMBER_LEAVES = (numbers.Number, np.ndarray, np.generic, Traced)


def tree_flatten(tree):
    """``(leaves, treedef)`` of nested lists, tuples (namedtuples too) and dicts.

    ``treedef`` is hashable: two trees of the same structure have equal treedefs.

    Parameters
    ----------
    tree : object
        Lists, tuples and dicts are containers; anything else is a leaf.

    Returns
    -------
    leaves : list
        Depth first, dicts in the order of their keys.
    treedef : tuple or None
        The structure, for ``tree_unflatten``.

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
    """Append the leaves of ``tree`` to ``leaves``; return its treedef."""
    if isinstance(tree, (list, tuple)):
        if all(v.__class__ in SCALAR_LEAVES for v in tree):  # a plan's flat list of numbers: no recursion
            leaves.extend(tree)
            return (type(tree), len(tree), (None,) * len(tree))
        return (type(tree), len(tree), tuple(_flatten(v, leaves) for v in tree))
    if isinstance(tree, dict):
        keys = tuple(tree)
        return (dict, keys, tuple(_flatten(tree[k], leaves) for k in keys))
    leaves.append(tree)
    return None


def tree_unflatten(treedef, leaves):
    """The tree of ``treedef`` (from ``tree_flatten``) with new ``leaves``, depth first.

    Examples
    --------
    >>> _, treedef = tree_flatten([1.0, (2.0, 3.0)])
    >>> tree_unflatten(treedef, ["a", "b", "c"])
    ['a', ('b', 'c')]
    """
    return _unflatten(treedef, iter(leaves))


def _unflatten(treedef, it):
    """The tree of ``treedef`` with leaves taken from the iterator ``it``."""
    if treedef is None:
        return next(it)
    kind, meta, children = treedef
    items = [_unflatten(c, it) for c in children]
    if kind is dict:
        return dict(zip(meta, items))
    if kind in (list, tuple):
        return kind(items)
    return kind(*items)  # a namedtuple


def flatten(tree, path="argument"):
    """The leaves of ``tree`` (depth first), checked to be numbers, and a function rebuilding it.

    Parameters
    ----------
    tree : float, ndarray, or nested lists / tuples / dicts of them
    path : str
        What ``tree`` is, for the error message.

    Returns
    -------
    leaves : list
    rebuild : callable
        ``rebuild(new_leaves)`` is ``tree`` with its leaves replaced.

    Raises
    ------
    InvalidArgumentError
        If a leaf is not a number, an ndarray or a traced value; the message names its path.

    Examples
    --------
    >>> leaves, rebuild = flatten({"w": [1.0, 2.0]})
    >>> rebuild([x * 10 for x in leaves])
    {'w': [10.0, 20.0]}
    >>> flatten({"w": ["one"]}, "argument 0")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    graphs.errors.InvalidArgumentError: argument 0['w'][0] is a str; a differentiated argument must be a float, ...
    """
    leaves, treedef = tree_flatten(tree)
    for leaf, where in zip(leaves, _paths(treedef, path)):
        if not isinstance(leaf, _NUMBER_LEAVES):
            raise InvalidArgumentError(
                f"{where} is a {type(leaf).__name__}; a differentiated argument must be a float, an "
                f"ndarray, or lists / tuples / dicts of them"
            )
    return leaves, lambda new_leaves: tree_unflatten(treedef, new_leaves)


def _paths(treedef, path):
    """The path of each leaf of ``treedef``, in the order of ``tree_flatten``."""
    if treedef is None:
        yield path
        return
    kind, meta, children = treedef
    names = meta if kind is dict else range(len(children))
    for name, child in zip(names, children):
        yield from _paths(child, f"{path}[{name!r}]" if kind is dict else f"{path}[{name}]")


def as_float(x):
    """``x`` as the value to trace: its own dtype if floating or complex, else float64.

    A Python float (or int, or bool) becomes ``np.float64``, a Python complex
    ``np.complex128``, anything else an ndarray: float32, float16 and complex arrays keep their
    dtype (as autograd keeps them); integer and boolean arrays become float64, whose gradient
    autograd gives as float64 too.

    Examples
    --------
    >>> as_float(2), as_float([1, 2]), as_float(1j)
    (np.float64(2.0), array([1., 2.]), np.complex128(1j))
    >>> as_float(np.ones(2, dtype=np.float32)).dtype
    dtype('float32')
    """
    c = x.__class__
    if c is float or c is int or c is bool:
        return np.float64(x)
    if c is complex:
        return np.complex128(x)
    if c is Traced:  # a value of an enclosing trace, differentiated again
        return x
    a = np.asarray(x)
    return a if a.dtype.kind in "fc" else a.astype(np.float64)


def like(g, x, fresh=False):
    """The cotangent ``g`` in the form of ``x``, ``None`` meaning zero.

    A float for a Python float ``x`` (``np.complex128`` for a complex one), else an array of
    ``x``'s shape and dtype (float64 for an integer or boolean ``x``): a copy, it never
    aliases a buffer of the caller, unless ``fresh`` says that no one else holds ``g``
    (``adjoint.tape.reverse.made_here``) and ``g`` already has that form. The cotangent
    of a real ``x`` is the real part of a complex ``g`` (autograd's ``match_complex``). A GPU array stays on its device.

    Examples
    --------
    >>> like(None, 3.0), like(2.0, [1.0, 1.0]), like(1 + 2j, 3.0), like(2.0, 1j)
    (0.0, array([2., 2.]), 1.0, np.complex128(2+0j))
    >>> like(1.0, np.ones(2, dtype=np.float32))
    array([1., 1.], dtype=float32)
    """
    if g is None:
        g = 0.0
    elif on_gpu(g):
        return g.reshape(np.shape(x))
    elif g.__class__ is Traced:  # a derivative traced by an enclosing trace (higher order)
        g = match_complex(g, x)
        dtype = cotangent_dtype(x)
        if g.dtype != dtype:  # float32 code gives float32 derivatives at every order
            g = g.astype(dtype)
        return g if g.shape == np.shape(x) else np.broadcast_to(g, np.shape(x))
    if x.__class__ is complex:  # autograd's gradient for a complex is a numpy complex
        return np.complex128(g)
    if isinstance(x, numbers.Number) and not isinstance(x, np.generic):
        return float(np.real(g))
    dtype = cotangent_dtype(x)
    if dtype.kind != "c" and np.iscomplexobj(g):
        g, fresh = np.real(g), False  # a view of the complex array: copied below
    if isinstance(x, np.generic):  # a numpy scalar: autograd's gradient is a scalar of its type
        return dtype.type(g)
    if fresh and g.__class__ is np.ndarray and g.dtype == dtype and g.shape == np.shape(x):
        return g
    return np.array(np.broadcast_to(g, np.shape(x)), dtype=dtype)


def cotangent_dtype(x):
    """The dtype of ``x``'s cotangent (and tangent): its own if floating or complex, else float64.

    Examples
    --------
    >>> cotangent_dtype(np.ones(2, dtype=np.float32)), cotangent_dtype([1, 2]), cotangent_dtype(1j)
    (dtype('float32'), dtype('float64'), dtype('complex128'))
    """
    x = plain_value(x)
    dtype = x.dtype if isinstance(x, (np.ndarray, np.generic)) else np.asarray(x).dtype
    return dtype if dtype.kind in "fc" else np.dtype(np.float64)


def argnums(argnum, nargs):
    """The arguments ``argnum`` names in a call with ``nargs`` arguments, as non-negative ints.

    Parameters
    ----------
    argnum : int or tuple of int
        Negative numbers count from the end, as in indexing.
    nargs : int

    Returns
    -------
    tuple of int

    Raises
    ------
    InvalidArgumentError
        If ``argnum`` is not an int or a tuple of ints, if an argnum is out of range, or if two
        name the same argument (autograd then silently differentiates the last of them only).

    Examples
    --------
    >>> argnums(0, 2), argnums((0, -1), 3)
    ((0,), (0, 2))
    >>> argnums(3, 1)
    Traceback (most recent call last):
    ...
    graphs.errors.InvalidArgumentError: argnum 3 is out of range for a call with 1 arguments
    >>> argnums((0, -2), 2)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    graphs.errors.InvalidArgumentError: argnum (0, -2) names argument 0 twice; ...
    """
    # A single argnum must be a Python int: grad and its companions tell "one gradient" from "a
    # tuple of them" by isinstance(argnum, int), so a numpy integer would get a 1-tuple back.
    if isinstance(argnum, int) and not isinstance(argnum, bool):
        numbers_ = (argnum,)
    elif isinstance(argnum, (tuple, list)) and all(_is_int(a) for a in argnum):
        numbers_ = tuple(int(a) for a in argnum)
    else:
        hint = "; pass int(argnum)" if isinstance(argnum, np.integer) else ""
        raise InvalidArgumentError(f"argnum must be an int or a tuple of ints, got {argnum!r}{hint}")
    for a in numbers_:
        if not -nargs <= a < nargs:
            raise InvalidArgumentError(f"argnum {a} is out of range for a call with {nargs} arguments")
    positions = tuple(a % nargs for a in numbers_)
    for k, a in enumerate(positions):
        if a in positions[:k]:
            # Each position becomes one traced input; a second one would replace the first,
            # whose gradient would then read zero.
            raise InvalidArgumentError(
                f"argnum {argnum!r} names argument {a} twice; name each argument once (a tuple of "
                f"distinct positions) and use its gradient twice if you need it twice"
            )
    return positions


def _is_int(a):
    """An argnum: a Python or numpy integer, but not a bool (``argnum=True`` is a slip, not ``1``)."""
    return isinstance(a, (int, np.integer)) and not isinstance(a, (bool, np.bool_))


def per_argnum(argnum, items):
    """``items`` (one per argument named) as a function of ``argnum`` returns them.

    One item for an int ``argnum``, a tuple for a tuple: what ``grad`` returns.

    Examples
    --------
    >>> per_argnum(0, [1.0]), per_argnum((0, 1), [1.0, 2.0])
    (1.0, (1.0, 2.0))
    """
    return items[0] if isinstance(argnum, int) else tuple(items)


def split_per_argnum(argnum, value):
    """The inverse of ``per_argnum``: a tuple with one item per argument named.

    Examples
    --------
    >>> split_per_argnum(0, 1.0), split_per_argnum((0, 1), [1.0, 2.0])
    ((1.0,), (1.0, 2.0))
    """
    return (value,) if isinstance(argnum, int) else tuple(value)


def refuse_traced(tree, what):
    """Raise unless ``tree`` is free of traced values: ``what`` differentiates to first order only.

    Examples
    --------
    >>> from graphs.tape import Tape
    >>> refuse_traced({"x": 1.0}, "adjoint.solve")
    >>> refuse_traced({"x": Tape().input(1.0)}, "adjoint.solve")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    graphs.errors.InvalidArgumentError: adjoint.solve was given a value traced by an enclosing ...
    """
    if holds_traced(tree):
        raise InvalidArgumentError(
            f"{what} was given a value traced by an enclosing adjoint.grad / jvp: it computes first "
            f"derivatives only, so its result cannot be differentiated again; for derivatives of "
            f"derivatives write the program as numpy code (adjoint.grad, adjoint.fixed_point)"
        )
