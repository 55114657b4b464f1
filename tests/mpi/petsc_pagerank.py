"""Run under ``mpiexec -n P``: the PETSc adjoint of a PageRank-like cycle on every rank.

Writes one JSON file per rank, ``rank<r>.json`` in the folder given (the ranks' printed
lines would interleave): its rank, the number of ranks, the gradient's checksum, the relative
difference from the SciPy GMRES gradient (computed on each rank in one process, as
``adjoint.solve`` always does), and the KSP report. ``tests/test_petsc.py`` runs it.
"""

import json
import sys

import numpy as np
import scipy.sparse as sp


def pagerank_graph(n, seed=0, damping=0.85, links=5):
    """``r = damping P r + v`` on a random column-stochastic ``P``, and ``J = Σ sin(n r)``."""
    import adjoint
    import adjoint.numpy as anp

    rng = np.random.default_rng(seed)
    P = sp.csr_array((np.ones(n * links), (rng.integers(n, size=n * links), np.repeat(np.arange(n), links))),
                     shape=(n, n))
    P = sp.csr_array(P @ sp.diags_array(1.0 / np.asarray(P.sum(axis=0)).ravel()))
    graph = adjoint.ConstraintGraph()
    graph.add_input("v")
    graph.add_constraint("r", lambda r, v: damping * anp.sparse_matmul(P, r) + v, ["r", "v"], init=np.zeros(n))
    graph.add_constraint("J", lambda r: anp.sum(anp.sin(r * n)), ["r"])
    return graph, {"v": np.full(n, (1 - damping) / n)}


def main(n, adjoint_options, folder):
    from petsc4py import PETSc

    import adjoint

    graph, inputs = pagerank_graph(n)
    reference = adjoint.solve(graph, inputs, "J", forward="newton_krylov", adjoint="gmres").gradient["v"]
    sol = adjoint.solve(graph, inputs, "J", forward="newton_krylov", adjoint="petsc", adjoint_options=adjoint_options)
    gradient = sol.gradient["v"]
    report = sol.blocks[0].adjoint
    rank = PETSc.COMM_WORLD.getRank()
    with open(f"{folder}/rank{rank}.json", "w") as f:
        json.dump({
            "rank": rank, "size": PETSc.COMM_WORLD.getSize(),
            "checksum": float(np.sum(gradient * np.arange(1, n + 1))),
            "difference": float(np.abs(gradient - reference).max() / np.abs(reference).max()),
            "converged": report.converged, "iterations": report.iterations, "reason": report.reason,
        }, f)


if __name__ == "__main__":
    main(int(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3])
