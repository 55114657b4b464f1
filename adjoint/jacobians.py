"""Assembling local partial Jacobians ``∂f_i/∂z_j`` as sparse matrices.

Partials are read off a linearised constraint: by one VJP per output entry or one JVP per
argument entry, whichever is fewer. That is exact, and cheap for scalar and small nodes;
``MAX_DENSE_ENTRIES`` stops it from silently materialising a huge dense block.
"""

import numpy as np
import scipy.sparse as sp

from .errors import AdjointError

#: The largest partial (rows × columns) assembled entry by entry.
MAX_DENSE_ENTRIES = 4_000_000


def edge_jacobian(lin, position, arg_size):
    """``∂f/∂z`` for the argument at ``position``: a sparse (output size × arg_size) matrix."""
    n_out = lin.value.size
    if lin.out is None:
        return sp.csr_matrix((n_out, arg_size))
    if n_out * arg_size > MAX_DENSE_ENTRIES:
        raise AdjointError(
            f"assembling ∂{lin.name}/∂{lin.args[position]} would need a dense {n_out}×{arg_size} "
            f"block; use a matrix-free method (adjoint='gmres', forward='newton_krylov' or "
            f"'anderson') for this component"
        )
    shape = np.shape(lin.value)
    arg_shape = _arg_shape(lin, position)
    if n_out <= arg_size:
        rows = []
        for k in range(n_out):
            e = np.zeros(n_out)
            e[k] = 1.0
            c = lin.vjp(e.reshape(shape))[position]
            rows.append(np.zeros(arg_size) if c is None else np.ravel(np.broadcast_to(c, arg_shape)))
        dense = np.array(rows).reshape(n_out, arg_size)
    else:
        cols = []
        for k in range(arg_size):
            e = np.zeros(arg_size)
            e[k] = 1.0
            tangents = [None] * len(lin.leaves)
            tangents[position] = e.reshape(arg_shape)
            cols.append(np.ravel(lin.jvp(tangents)))
        dense = np.array(cols).T.reshape(n_out, arg_size)
    return sp.csr_matrix(dense)


def assemble(rows, cols, lins, sizes):
    """The sparse matrix of partials ``∂f_i/∂z_j`` for ``i`` in ``rows``, ``j`` in ``cols``.

    ``lins[i]`` is node i's linearisation; ``sizes[n]`` the flattened size of node n.
    """
    col_index = {n: k for k, n in enumerate(cols)}
    blocks = [[None] * len(cols) for _ in rows]
    for r, i in enumerate(rows):
        lin = lins[i]
        for position, j in enumerate(lin.args):
            c = col_index.get(j)
            if c is None:
                continue
            J = edge_jacobian(lin, position, sizes[j])
            blocks[r][c] = J if blocks[r][c] is None else blocks[r][c] + J
    for r, i in enumerate(rows):  # bmat needs every block row and column sized
        if all(b is None for b in blocks[r]):
            blocks[r][0] = sp.csr_matrix((sizes[i], sizes[cols[0]]))
    for c, j in enumerate(cols):
        if all(blocks[r][c] is None for r in range(len(rows))):
            blocks[0][c] = sp.csr_matrix((sizes[rows[0]], sizes[j]))
    return sp.bmat(blocks, format="csr")


def _arg_shape(lin, position):
    return np.shape(lin.tape.records[lin.leaves[position]][4])
