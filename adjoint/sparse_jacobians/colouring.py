"""Column colouring of a sparse Jacobian (Curtis, Powell & Reid, 1974) and its decompression.

Columns that share no row are *structurally orthogonal*: one JVP with the sum of their unit
vectors recovers all of them at once, each nonzero ``J[i, j]`` read off row ``i`` of the
product for ``j``'s group. Grouping columns is colouring the *column intersection graph*
(columns adjacent when they share a row); ``networkx.greedy_color`` does it. A banded
Jacobian of half-bandwidth ``b`` needs ``2b + 1`` colours whatever its size (greedy colouring
is guaranteed at most one more than the largest degree, ``4b + 1``).
"""

import networkx as nx
import numpy as np
import scipy.sparse as sp


def column_intersection_graph(pattern):
    """Columns as nodes, an edge between two columns that have a nonzero in a common row.

    Examples
    --------
    >>> import numpy as np
    >>> sorted(column_intersection_graph(np.array([[1, 1, 0], [0, 0, 1]])).edges)
    [(0, 1)]
    """
    P = sp.csr_matrix(pattern, dtype=np.float64)
    P.data[:] = 1.0
    shared = sp.triu(P.T @ P, k=1).tocoo()  # (j, k) with j < k share at least one row
    graph = nx.Graph()
    graph.add_nodes_from(range(P.shape[1]))
    graph.add_edges_from(zip(shared.row.tolist(), shared.col.tolist()))
    return graph


def colour_columns(pattern, strategy="largest_first"):
    """A colour per column such that columns of one colour share no row.

    Returns an int array of length ``pattern.shape[1]``, colours ``0 … n_colours - 1``.

    Examples
    --------
    >>> import numpy as np
    >>> colour_columns(np.eye(4)).tolist()       # a diagonal Jacobian: one JVP
    [0, 0, 0, 0]
    >>> int(colour_columns(np.eye(6) + np.eye(6, k=1) + np.eye(6, k=-1)).max()) + 1
    3
    """
    colours = nx.greedy_color(column_intersection_graph(pattern), strategy=strategy)
    return np.array([colours[j] for j in range(np.shape(pattern)[1])], dtype=int)


def seed_matrix(colours):
    """The ``n × n_colours`` 0/1 matrix whose column ``c`` sums the unit vectors of colour ``c``.

    Examples
    --------
    >>> seed_matrix(np.array([0, 1, 0])).tolist()
    [[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]
    """
    n_colours = int(colours.max()) + 1 if colours.size else 0
    S = np.zeros((colours.size, n_colours))
    S[np.arange(colours.size), colours] = 1.0
    return S


def decompress(pattern, colours, compressed):
    """The sparse Jacobian from its products with the seed matrix, ``compressed = J S``.

    ``J[i, j] = compressed[i, colours[j]]`` for every ``(i, j)`` in the pattern.

    Examples
    --------
    >>> import numpy as np
    >>> J = np.array([[2.0, 0.0, 5.0], [0.0, 3.0, 0.0]])
    >>> colours = colour_columns(J != 0)
    >>> bool(np.array_equal(decompress(J != 0, colours, J @ seed_matrix(colours)).toarray(), J))
    True
    """
    P = sp.coo_matrix(pattern)
    rows, cols = P.row, P.col
    values = np.asarray(compressed)[rows, colours[cols]]
    return sp.csr_matrix((values, (rows, cols)), shape=P.shape)
