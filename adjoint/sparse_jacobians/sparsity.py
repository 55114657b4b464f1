"""The sparsity pattern of a graph's Jacobian ``∂output/∂inputs``, at a point.

Patterns are propagated the way tangents are, with boolean sparse matrices in place of
tangents: an input's pattern is its rows of the identity; an acyclic node's is
``Σ_j pattern(∂f_i/∂z_j) · P_j``; a cyclic block's is the closure of that rule over the
block (repeated sweeps until nothing changes), since ``(I - J_BB)⁻¹`` connects whatever a
path inside the block connects. Local partials are the sparse ones of ``adjoint.jacobians``,
at the solution: the pattern is a superset of the Jacobian's nonzeros *at this point*
(an entry that vanishes here by a kink, ``relu`` say, may be non-zero elsewhere).
"""

import numpy as np
import scipy.sparse as sp

from adjoint.graph.local_partials import edge_jacobian


def _boolean(M):
    M = sp.csr_matrix(M, dtype=np.float64)
    M.eliminate_zeros()
    M.data[:] = 1.0  # products of 0/1 matrices count paths; only their existence matters
    return M


def _same(A, B):
    return A.shape == B.shape and (A != B).nnz == 0


def jacobian_pattern(blocks, lins, wrt, sizes, output):
    """The boolean pattern (output size × total size of ``wrt``) of ``∂output/∂wrt``.

    Parameters
    ----------
    blocks : list of Block
        In topological order (``graphs.structure.strongly_connected_blocks``).
    lins : dict
        Node name -> ``LinearisedConstraint`` at the solution.
    wrt : sequence of str
        Input names; the columns are their flattened entries, in this order.
    sizes : dict
        Node name -> flattened size.
    output : str
        The node whose rows are wanted.

    Returns
    -------
    scipy.sparse.csr_matrix
        0/1 entries.

    Examples
    --------
    A traced program ``y = sin(x) * reverse(x)``: entry ``i`` of ``y`` reads ``x_i`` and
    ``x_{n-1-i}``.

    >>> import numpy as np
    >>> import adjoint
    >>> import adjoint.numpy as anp
    >>> from adjoint.graph.passes import forward_pass
    >>> from adjoint.graph.settings import Settings
    >>> g, values, y = adjoint.trace(lambda x: anp.sin(x) * x[::-1], np.array([1.0, 2.0, 3.0]))
    >>> values = dict(values)
    >>> blocks, lins, _ = forward_pass(g, values, Settings())
    >>> sizes = {name: np.size(v) for name, v in values.items()}
    >>> jacobian_pattern(blocks, lins, ["x0"], sizes, y).toarray()
    array([[1., 0., 1.],
           [0., 1., 0.],
           [1., 0., 1.]])
    """
    n = sum(sizes[x] for x in wrt)
    P, start = {}, 0
    for x in wrt:
        P[x] = sp.eye(sizes[x], n, k=start, format="csr")
        start += sizes[x]
    partials = {}

    def local(name, position, arg):
        key = (name, position)
        if key not in partials:
            partials[key] = _boolean(edge_jacobian(lins[name], position, sizes[arg]))
        return partials[key]

    def propagate(name):
        acc = None
        for position, arg in enumerate(lins[name].args):
            if arg in P:
                term = local(name, position, arg) @ P[arg]
                acc = term if acc is None else acc + term
        return acc

    for block in blocks:
        if not block.cyclic:
            (name,) = block.nodes
            acc = propagate(name)
            if acc is not None:
                P[name] = _boolean(acc)
            continue
        changed = True
        while changed:  # at most one more sweep than the longest path inside the block
            changed = False
            for name in block.nodes:
                acc = propagate(name)
                if acc is None:
                    continue
                new = _boolean(acc if name not in P else acc + P[name])
                if name not in P or not _same(new, P[name]):
                    P[name], changed = new, True
    return P.get(output, sp.csr_matrix((sizes[output], n)))
