"""One flat vector for nested lists, tuples and dicts of arrays and scalars, and back.

The conventions are autograd's (``autograd.misc.flatten``): the leaves are raveled and
concatenated depth first, dict entries in the sorted order of their keys; ``unflatten``
gives every leaf back as an ndarray (a scalar as a 0-d array), dicts in their original key
order. Both directions are written with ``adjoint.numpy`` (``ravel``, ``concatenate``,
slicing, ``reshape``), so they trace: a function that flattens its argument, or unflattens
a traced vector, is differentiated by ``adjoint.grad`` like any other.
"""

import numpy as np

import adjoint.numpy as anp

__all__ = ["flatten", "flatten_func"]


def flatten(value):
    """A 1-D array of the leaves of ``value``, and the function that rebuilds ``value`` from one.

    Parameters
    ----------
    value : float, ndarray, or nested lists / tuples / dicts of them
        Leaves may be traced values (inside a function given to ``adjoint.grad``); the flat
        vector is then traced too.

    Returns
    -------
    flat : ndarray
        The leaves raveled and concatenated, depth first, dict entries by sorted key.
    unflatten : callable
        ``unflatten(vector)``: ``value``'s structure with the leaves read off ``vector``
        (each an ndarray of its leaf's shape; a traced ``vector`` gives traced leaves).

    Raises
    ------
    TypeError
        If dict keys cannot be sorted (the order of the flat vector would be undefined).

    Examples
    --------
    >>> import numpy as np
    >>> flat, unflatten = flatten([1.0, (np.array([2.0, 3.0]), {"b": 4.0, "a": np.zeros((1, 2))})])
    >>> flat
    array([1., 2., 3., 0., 0., 4.])
    >>> unflatten(np.arange(6.0))
    [array(0.), (array([1., 2.]), {'b': array(5.), 'a': array([[3., 4.]])})]

    It traces, so it may sit inside a differentiated function:

    >>> import adjoint
    >>> import adjoint.numpy as anp
    >>> adjoint.grad(lambda p: anp.sum(flatten(p)[0] ** 2))({"x": 1.0, "y": np.array([2.0, 3.0])})
    {'x': 2.0, 'y': array([4., 6.])}
    """
    leaves, spec = _leaves_and_spec(value)
    flat = anp.concatenate([anp.ravel(leaf) for leaf in leaves]) if leaves else np.zeros(0)
    shapes = [np.shape(leaf) for leaf in leaves]  # a traced leaf has .shape: np.shape reads it
    bounds = np.cumsum([0] + [int(np.prod(s)) for s in shapes])

    def unflatten(vector):
        """``value``'s structure, with its leaves cut from ``vector`` (as from ``flatten``)."""
        pieces = [anp.reshape(vector[start:stop], shape) for start, stop, shape in zip(bounds, bounds[1:], shapes)]
        return _rebuild(spec, iter(pieces))

    return flat, unflatten


def flatten_func(func, example):
    """``func`` of a structure as a function of a flat vector, as ``autograd.misc.flatten_func``.

    Parameters
    ----------
    func : callable
        ``func(structure, *args)``, returning a structure (or an array).
    example : structure
        An argument of ``func``: it gives the structure that the flat vector stands for.

    Returns
    -------
    flat_func : callable
        ``flat_func(vector, *args)`` is ``flatten(func(unflatten(vector), *args))[0]``.
    unflatten : callable
        Turns a flat vector back into ``example``'s structure.
    flat_example : ndarray
        ``example`` flattened.

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> import adjoint.numpy as anp
    >>> def loss(params, scale):
    ...     return scale * anp.sum(params["w"] ** 2) + params["b"]
    >>> flat_loss, unflatten, x = flatten_func(loss, {"w": np.array([1.0, 2.0]), "b": 0.5})
    >>> x, flat_loss(x, 1.0)
    (array([0.5, 1. , 2. ]), array([5.5]))
    >>> unflatten(adjoint.grad(lambda v: anp.sum(flat_loss(v, 1.0)))(x))
    {'w': array([2., 4.]), 'b': array(1.)}
    """
    flat_example, unflatten = flatten(example)

    def flat_func(vector, *args):
        """``func`` of ``unflatten(vector)``, flattened."""
        return flatten(func(unflatten(vector), *args))[0]

    return flat_func, unflatten, flat_example


def _leaves_and_spec(value):
    """The leaves of ``value`` in flat-vector order, and a hashable description of its structure.

    The description also records each leaf's shape, so two values of equal description live
    in the same vector space (``adjoint.test_util`` compares them).
    """
    leaves = []
    spec = _describe(value, leaves)
    return leaves, spec


def _describe(value, leaves):
    if isinstance(value, (list, tuple)):
        return (type(value), len(value), tuple(_describe(v, leaves) for v in value))
    if isinstance(value, dict):
        keys = tuple(value)
        # autograd's order: the flat vector takes entries by sorted key, whatever the insertion order
        children = {k: _describe(value[k], leaves) for k in sorted(keys)}
        return (dict, keys, tuple(children[k] for k in keys))
    leaves.append(value)
    return ("leaf", np.shape(value))


def _rebuild(spec, pieces):
    """The structure ``spec`` with its leaves taken, in flat-vector order, from ``pieces``."""
    if spec[0] == "leaf":
        return next(pieces)
    kind, meta, children = spec
    if kind is dict:
        rebuilt = {k: _rebuild(children[meta.index(k)], pieces) for k in sorted(meta)}
        return {k: rebuilt[k] for k in meta}
    items = [_rebuild(c, pieces) for c in children]
    if kind in (list, tuple):
        return kind(items)
    if hasattr(kind, "_fields"):  # a namedtuple takes its fields positionally
        return kind(*items)
    return kind(items)
