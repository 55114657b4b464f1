"""The assembled adjoint of an acyclic graph: one sparse triangular solve.

In topological order ``I - J_zz`` is lower triangular; ``solvers.triangular`` solves its
transpose. The same multipliers as node-by-node back-substitution, obtained from the matrix
instead of one VJP per edge.
"""

import numpy as np
import scipy.sparse as sp

from adjoint.errors import InvalidArgumentError
from adjoint.graph.cyclic.state import BlockState
from adjoint.graph.local_partials import assemble
from solvers.triangular import TriangularPattern


def triangular_multipliers(graph, blocks, lins, values, seed):
    """Multipliers of every node (inputs: the gradient) from the assembled ``(I - J_zz)ᵀ``."""
    cyclic = [b for b in blocks if b.cyclic]
    if cyclic:
        raise InvalidArgumentError(
            f"adjoint='triangular' needs an acyclic graph, but [{', '.join(sorted(map(repr, cyclic[0].nodes)))}] "
            f"form a cycle; choose a per-component method instead"
        )
    order = list(graph.inputs) + [b.nodes[0] for b in blocks]
    shapes = {n: np.shape(values[n]) for n in order}
    state = BlockState(order, shapes)
    sizes = dict(zip(order, state.sizes))
    rows = [b.nodes[0] for b in blocks]
    n_inputs, n = int(state.offsets[len(graph.inputs)]), int(state.offsets[-1])
    J = sp.coo_matrix((n, n))  # inputs are not constrained: their rows of J_zz are 0
    if rows:
        J = sp.vstack([sp.csr_matrix((n_inputs, n)), assemble(rows, order, lins, sizes)], format="coo")
    b = state.pack({n: seed.get(n, np.zeros(shapes[n])) for n in order})
    lam = TriangularPattern(n, J.row, J.col).solve(J.data, b, method="spsolve")
    return state.unpack(lam)
