"""The assembled adjoint of an acyclic graph: one sparse triangular solve.

In topological order ``I - J_zz`` is lower triangular; its transpose is solved by
``scipy.sparse.linalg.spsolve_triangular``. The same multipliers as node-by-node
back-substitution, obtained from the matrix instead of one VJP per edge.
"""

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from adjoint.graph.cyclic.forward import BlockState
from adjoint.errors import GraphError
from adjoint.graph.local_partials import assemble


def triangular_multipliers(graph, blocks, lins, values, seed):
    """Multipliers of every node (inputs: the gradient) from the assembled ``(I - J_zz)ᵀ``."""
    cyclic = [b for b in blocks if b.cyclic]
    if cyclic:
        raise GraphError(
            f"adjoint='triangular' needs an acyclic graph, but [{', '.join(sorted(map(repr, cyclic[0].nodes)))}] "
            f"form a cycle; choose a per-component method instead"
        )
    order = list(graph.inputs) + [b.nodes[0] for b in blocks]
    shapes = {n: np.shape(values[n]) for n in order}
    state = BlockState(order, shapes)
    sizes = dict(zip(order, state.sizes))
    rows = [b.nodes[0] for b in blocks]
    n_inputs, n = int(state.offsets[len(graph.inputs)]), int(state.offsets[-1])
    J = sp.csr_matrix((n_inputs, n))  # inputs are not constrained: their rows of J_zz are 0
    if rows:
        J = sp.vstack([J, assemble(rows, order, lins, sizes)], format="csr")
    M = (sp.identity(J.shape[0], format="csr") - J).T.tocsr()
    b = state.pack({n: seed.get(n, np.zeros(shapes[n])) for n in order})
    lam = spla.spsolve_triangular(M, b, lower=False)
    return state.unpack(lam)
