"""Sparse Jacobians of constraint graphs by column colouring: one tangent pass per colour.

``∂output/∂inputs`` of a graph is found in four steps: its sparsity pattern at the point
(``adjoint.sparsity``), the column intersection graph of that pattern coloured greedily
(``adjoint.colouring``, Curtis–Powell–Reid), one tangent pass per colour with the seed
``Σ_{j of colour c} e_j`` (cyclic components solved by the linear solvers, non-transposed),
and decompression. The forward solve is done once; each colour costs one block forward
substitution, whatever the number of columns.
"""

from dataclasses import dataclass, field

import numpy as np

from adjoint.errors import InvalidArgumentError
from adjoint.graph.passes import solve_constraints, tangent_pass
from adjoint.graph.settings import checked_settings
from adjoint.pytree import refuse_traced
from adjoint.sparse_jacobians.colouring import colour_columns, decompress, seed_matrix
from adjoint.sparse_jacobians.sparsity import jacobian_pattern


@dataclass
class ColouredJacobian:
    """A sparse Jacobian and how it was obtained.

    Attributes
    ----------
    matrix : scipy.sparse.csr_matrix
        ``∂output/∂wrt``, of shape (output size, total size of ``wrt``); columns are the
        flattened entries of the ``wrt`` inputs in order.
    pattern : scipy.sparse.csr_matrix
        The 0/1 sparsity pattern used (a superset of ``matrix``'s nonzeros).
    colours : ndarray of int
        The colour of each column.
    tangent_passes : int
        Tangent passes done: one per colour.
    wrt : tuple of str
        The inputs, in column order.
    values : dict
        Node values at the point.
    blocks : list of BlockReport
        One per cyclic block (the last tangent solve's report in ``.tangent``).
    """

    matrix: object
    pattern: object
    colours: np.ndarray
    tangent_passes: int
    wrt: tuple
    values: dict = field(repr=False, default_factory=dict)
    blocks: list = field(repr=False, default_factory=list)

    @property
    def n_colours(self):
        """The number of colours: JVPs needed, against ``matrix.shape[1]`` without colouring."""
        return int(self.colours.max()) + 1 if self.colours.size else 0


def sparse_jacobian(graph, inputs, output, wrt=None, *, pattern=None, forward="auto", linear="auto",
                    rtol=None, atol=None, maxiter=None, forward_options=None, linear_options=None,
                    throw=True, check_finite=True, sweep="jacobi", callback=None, progress=False):
    """The Jacobian ``∂output/∂wrt`` of a constraint graph, sparse, by column colouring.

    Parameters
    ----------
    graph : ConstraintGraph
    inputs : dict
        Input name -> value.
    output : str
        The node differentiated (any shape; its entries are the rows, flattened).
    wrt : sequence of str, optional
        The inputs differentiated against (default: all inputs, in ``graph.inputs`` order).
    pattern : array_like or sparse matrix, optional
        A known sparsity pattern (output size × total input size), e.g. from a previous call,
        skipping its determination; it must include every nonzero of the Jacobian.
    forward, linear, rtol, atol, maxiter, forward_options, linear_options, throw,
    check_finite, sweep, callback, progress :
        As for ``adjoint.solve_tangent``.

    Returns
    -------
    ColouredJacobian

    Examples
    --------
    A chain of elementwise operations has a diagonal Jacobian: one colour, one tangent pass,
    however long ``x`` is.

    >>> import numpy as np
    >>> import adjoint
    >>> import adjoint.numpy as anp
    >>> g = adjoint.ConstraintGraph()
    >>> g.add_input("x")
    >>> g.add_constraint("y", lambda x: anp.exp(anp.sin(x)), ["x"])
    >>> x = np.linspace(0.0, 1.0, 50)
    >>> jac = adjoint.sparse_jacobian(g, {"x": x}, "y")
    >>> jac.n_colours, jac.tangent_passes, jac.matrix.nnz
    (1, 1, 50)
    >>> bool(np.allclose(jac.matrix.diagonal(), np.cos(x) * np.exp(np.sin(x))))
    True
    """
    refuse_traced(inputs, "adjoint.sparse_jacobian")
    settings = checked_settings(graph, locals())
    if output not in graph:
        raise InvalidArgumentError(f"output {output!r} is not a node of the graph")
    wrt = tuple(graph.inputs if wrt is None else ([wrt] if isinstance(wrt, str) else wrt))
    unknown = [x for x in wrt if x not in graph or graph.nodes[x].get("kind") != "input"]
    if unknown:
        raise InvalidArgumentError(f"wrt names {unknown[0]!r}, which is not an input; inputs: {graph.inputs}")
    values, blocks, lins, reports = solve_constraints(graph, inputs, settings)
    sizes = {n: int(np.size(v)) for n, v in values.items()}
    n_rows, n_cols = sizes[output], sum(sizes[x] for x in wrt)
    if pattern is None:
        pattern = jacobian_pattern(blocks, lins, wrt, sizes, output)
    elif np.shape(pattern) != (n_rows, n_cols):
        raise InvalidArgumentError(f"pattern has shape {np.shape(pattern)}, the Jacobian ({n_rows}, {n_cols})")
    colours = colour_columns(pattern)
    seeds = seed_matrix(colours)
    offsets = np.cumsum([0] + [sizes[x] for x in wrt])
    compressed = np.zeros((n_rows, seeds.shape[1]))
    passes = 0
    for c in range(seeds.shape[1]):
        passes += 1
        tangents = {x: seeds[a:b, c].reshape(np.shape(values[x])) for x, a, b in zip(wrt, offsets, offsets[1:])}
        dot = tangent_pass(blocks, lins, tangents, settings, reports).get(output)
        if dot is not None:
            compressed[:, c] = np.ravel(np.broadcast_to(dot, np.shape(values[output])))
    matrix = decompress(pattern, colours, compressed)
    return ColouredJacobian(matrix, pattern, colours, passes, wrt, values, list(reports.values()))
