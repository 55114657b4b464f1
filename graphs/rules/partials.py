"""Building blocks of sparse partial rules (``defpartial``): the shared patterns of the tables.

A partial ``∂f/∂arg`` is a scipy.sparse matrix of shape ``(ans.size, arg.size)`` over the
flattened (C-order) result and argument. Most primitives fall into three patterns:

* elementwise: every result entry depends on one entry of each argument (broadcasting
  repeats entries), so the partial is a diagonal times a broadcast matrix; the diagonal is
  the declared local partial (``defelementwise``), or a JVP rule at a tangent of ones;
* moving entries (reshape, transpose, index, concatenate, ...): a selection matrix, found by
  applying the primitive itself to the array of the argument's flat positions;
* reductions: every argument entry feeds one result entry, with the weight the VJP rule
  gives to a cotangent of ones.

Deriving the entries from the same formula as the VJP / JVP rules keeps one source of truth
for each derivative: the sparse path and the entry-by-entry path compute the same numbers.
"""

import numpy as np
import scipy.sparse as sp


def positions(x):
    """Every entry's flat (C-order) position, in ``x``'s shape.

    Examples
    --------
    >>> positions(np.zeros((2, 3)))
    array([[0, 1, 2],
           [3, 4, 5]])
    """
    return np.arange(np.size(x)).reshape(np.shape(x))


def gather(sources, n_in):
    """The matrix whose row ``i`` picks entry ``sources[i]`` of a flat argument of ``n_in``.

    A negative source gives a zero row (a result entry that does not come from the argument).

    Examples
    --------
    >>> gather(np.array([2, -1, 0]), 3).toarray()
    array([[0., 0., 1.],
           [0., 0., 0.],
           [1., 0., 0.]])
    """
    sources = np.ravel(sources)
    rows = np.flatnonzero(sources >= 0)
    return sp.csr_matrix((np.ones(rows.size), (rows, sources[rows])), shape=(sources.size, n_in))


def broadcast(x, shape):
    """The matrix that broadcasts ``x`` (flattened) to ``shape`` (flattened).

    Examples
    --------
    >>> broadcast(np.zeros(2), (2, 2)).toarray()
    array([[1., 0.],
           [0., 1.],
           [1., 0.],
           [0., 1.]])
    """
    return gather(np.broadcast_to(positions(x), shape), np.size(x))


def elementwise(entries, argnum):
    """The partial rule of an elementwise primitive for argument ``argnum``, from its entries.

    Result entry ``i`` depends on one entry of the argument (the one broadcasting puts there),
    with derivative ``d_i``: ``∂f/∂arg = diag(d) B``, ``B`` the broadcast matrix.
    ``entries(ans, *args, **params)`` gives ``d``, in any shape that broadcasts to ``ans``'s.

    Examples
    --------
    >>> d_y = elementwise(lambda ans, x, y: x, 1)  # ∂(x * y)/∂y
    >>> x, y = np.array([1.0, 2.0]), np.array(3.0)
    >>> d_y(x * y, x, y).toarray()
    array([[1.],
           [2.]])
    """

    def partial(ans, *args, **params):
        x = args[argnum]
        shape = np.shape(ans)
        d = np.broadcast_to(entries(ans, *args, **params), shape)
        diagonal = sp.diags(np.ravel(d).astype(float), format="csr")
        return diagonal if np.shape(x) == shape else diagonal @ broadcast(x, shape)

    return partial


def from_jvp(jvp, argnum):
    """The entries of an elementwise partial read off a JVP rule: its value at a tangent of ones.

    Examples
    --------
    >>> entries = from_jvp(lambda t, ans, x: t * 2.0 * x, 0)
    >>> entries(None, np.array([1.0, 3.0]))
    array([2., 6.])
    """

    def entries(ans, *args, **params):
        return jvp(np.ones(np.shape(args[argnum])), ans, *args, **params)

    return entries


def moved(impl):
    """The partial rule of a primitive that only moves entries: ``impl`` on the positions.

    Examples
    --------
    >>> rule = moved(lambda x, axes=None: np.transpose(x, axes))
    >>> rule(None, np.zeros((2, 2))).toarray()
    array([[1., 0., 0., 0.],
           [0., 0., 1., 0.],
           [0., 1., 0., 0.],
           [0., 0., 0., 1.]])
    """

    def partial(ans, x, **params):
        return gather(impl(positions(x), **params), np.size(x))

    return partial


def joined(join):
    """The variadic partial rule of concatenate / stack (``join(pieces, axis)``).

    The argument's positions are joined with ``-1`` in place of the other arguments.

    Examples
    --------
    >>> rule = joined(np.concatenate)
    >>> rule(1, None, np.zeros(1), np.zeros(2)).toarray()
    array([[0., 0.],
           [1., 0.],
           [0., 1.]])
    """

    def partial(argnum, ans, *xs, axis=0):
        pieces = [positions(x) if k == argnum else np.full(np.shape(x), -1) for k, x in enumerate(xs)]
        return gather(join(pieces, axis=axis), np.size(xs[argnum]))

    return partial


def reduction(vjp, restore):
    """The partial rule of a reduction from its VJP rule.

    ``restore(g, x, axis, keepdims)`` puts the reduced axes back into a result-shaped array;
    applied to the result's positions it says which result entry each argument entry feeds.

    Examples
    --------
    >>> from graphs.rules import reductions
    >>> rule = reduction(reductions._mean_vjp, reductions._restore)
    >>> rule(np.zeros(2), np.ones((2, 2)), axis=1).toarray()
    array([[0.5, 0.5, 0. , 0. ],
           [0. , 0. , 0.5, 0.5]])
    """

    def partial(ans, x, axis=None, keepdims=False, **params):
        shape = np.shape(x)
        weights = np.broadcast_to(vjp(np.ones(np.shape(ans)), ans, x, axis=axis, keepdims=keepdims), shape)
        targets = np.broadcast_to(restore(positions(ans), x, axis, keepdims), shape)
        return sp.csr_matrix(
            (np.ravel(weights).astype(float), (np.ravel(targets), np.arange(np.size(x)))),
            shape=(np.size(ans), np.size(x)),
        )

    return partial
