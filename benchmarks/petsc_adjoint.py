"""The PETSc adjoint of a PageRank-like cycle against SciPy's, in one process or under MPI.

``r = 0.85 P r + v`` with ``n`` unknowns (5 links per node, column-stochastic ``P``): the
forward solve once (Newton–Krylov), then the adjoint solve ``(I - 0.85 P)ᵀ λ = ḡ`` of the
cyclic component timed by each method, with its agreement with SciPy's GMRES::

    python benchmarks/petsc_adjoint.py 1000000
    mpiexec -n 2 python benchmarks/petsc_adjoint.py 1000000 4000000

Every rank runs the whole program (graph, forward pass, assembly); the PETSc solve is
distributed over the ranks and its solution gathered to all. SciPy's solves run on every
rank alike. SuperLU is left out beyond 2000 unknowns: on a random graph its fill-in is that
of a dense matrix (67 s at 10⁴). GAMG is left out beyond 10⁵: algebraic multigrid is built for
matrices from elliptic problems, and on this nonsymmetric random-graph operator it needs 45
iterations (4 s at 5·10⁴), where ILU needs 11.
"""

import platform
import sys
import time

import numpy as np
from petsc4py import PETSc

sys.path.insert(0, __file__.rsplit("/", 2)[0] + "/tests/mpi")
from petsc_pagerank import pagerank_graph  # noqa: E402

from adjoint.graph.cyclic.block import adjoint_block, solve_block  # noqa: E402
from adjoint.graph.settings import Settings  # noqa: E402
from graphs.structure import strongly_connected_blocks  # noqa: E402

METHODS = [
    ("SciPy GMRES", "gmres", {}),
    ("SciPy SuperLU", "direct", {}),
    ("PETSc GMRES + ILU / block Jacobi", "petsc", {}),
    ("PETSc GMRES + GAMG", "petsc", {"pc_type": "gamg"}),
]


def run(n, comm):
    graph, inputs = pagerank_graph(n)
    (block,) = [b for b in strongly_connected_blocks(graph) if b.cyclic]
    values = dict(inputs)
    t = time.perf_counter()
    lins, _ = solve_block(graph, block, values, Settings(forward="newton_krylov"))
    forward = time.perf_counter() - t
    cotangent = np.cos(np.arange(n) / n)
    rows, reference = [], None
    for label, method, options in METHODS:
        if method == "direct" and n > 2_000:
            rows.append((label, None, None, None, "skipped: fill-in (67 s at 10⁴ unknowns)"))
            continue
        if options.get("pc_type") == "gamg" and n > 100_000:
            rows.append((label, None, None, None, "skipped: 45 iterations, 4 s at 5·10⁴ (see the docstring)"))
            continue
        settings = Settings(adjoint=method, adjoint_options=options)
        _, report = solve_block(graph, block, dict(inputs), Settings(forward="newton_krylov"))
        lam = {"r": cotangent.copy()}
        comm.Barrier()
        t = time.perf_counter()
        adjoint_block(block, lins, lam, settings, report)
        comm.Barrier()
        seconds = time.perf_counter() - t
        reference = lam["r"] if reference is None else reference
        difference = float(np.abs(lam["r"] - reference).max() / np.abs(reference).max())
        rows.append((label, seconds, report.adjoint.iterations, difference, report.adjoint.reason[:60]))
    return forward, rows


def main(sizes):
    comm = PETSc.COMM_WORLD
    for n in sizes:
        forward, rows = run(n, comm)
        if comm.getRank() != 0:
            continue
        print(f"\n{n:,} unknowns, {comm.getSize()} MPI rank(s); {platform.processor() or platform.machine()}, "
              f"forward (Newton-Krylov) {forward:.2f} s\n")
        print("| adjoint method | seconds | iterations | max rel. difference to SciPy GMRES | report |")
        print("|---|---|---|---|---|")
        for label, seconds, iterations, difference, reason in rows:
            if seconds is None:
                print(f"| {label} | – | – | – | {reason} |")
            else:
                print(f"| {label} | {seconds:.2f} | {iterations} | {difference:.1e} | {reason} |")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1_000_000])
