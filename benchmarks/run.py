"""The benchmark suite: adjoint beside autograd, JAX, PyTorch and CasADi, in one process.

    python benchmarks/run.py            # the full suite (a few minutes)
    python benchmarks/run.py --quick    # smaller sizes, fewer repeats (about a minute)
    python benchmarks/run.py --only graph_route   # one case: trace, save, load, solve / grad

Prints a Markdown table of ratios (the goals beside them), and writes
``benchmarks/results/latest.md``, ``latest.json`` and a plot ``benchmarks.png``. Optional
libraries (``pip install -e ".[bench]"``) are used where installed and reported as skipped
otherwise. Every time is the best of several runs, all cases run side by side in this one
process; BLAS, PyTorch and XLA use ``--threads`` threads (default 1) so that ratios do not
depend on what else the machine is doing.
"""

import argparse
import os
import sys


def _limit_threads(threads):
    # Must happen before numpy / torch / jax are imported.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    if threads == 1:
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                                   + " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer repeats")
    parser.add_argument("--threads", type=int, default=1, help="BLAS / torch / XLA threads (default 1)")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    parser.add_argument("--only", nargs="*",
                        help="run only these cases (chain, mlp, hvp, lstm, gp, graph, pure_chain, cyclic, "
                             "cyclic_local, graph_route, deq, mlp_malloc)")
    args = parser.parse_args(argv)
    _limit_threads(args.threads)

    from suite import Suite  # noqa: E402 - after the thread limits

    suite = Suite(quick=args.quick, threads=args.threads)
    suite.run(args.only)
    suite.report(args.out)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
