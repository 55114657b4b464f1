"""GPU benchmark (needs cupy and a CUDA device): the scalar engine and solvers on the GPU.

    python benchmarks/gpu.py            # 10^6-node generated program, 10^6-unknown solves
    python benchmarks/gpu.py --quick    # 10^5

Times, side by side in one process and on the same data: a compiled plan of the generated
scalar program on the host and with ``backend="cupy"`` (both triangular methods), the
triangular solve alone (``scipy`` vs ``cupyx`` ``spsolve_triangular``), and the linear
fixed-point solver of ``solvers`` on a sparse PageRank-like system on numpy and cupy arrays.
Without cupy or a device it says so and exits with status 2: nothing was measured.
"""

import argparse
import os
import sys
import time

import numpy as np


def _sync(cupy):
    cupy.cuda.Device().synchronize()


def _best(fn, cupy=None, repeats=5):
    fn()
    times = []
    for _ in range(repeats):
        if cupy is not None:
            _sync(cupy)
        start = time.perf_counter()
        fn()
        if cupy is not None:
            _sync(cupy)
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    try:
        import cupy
        import cupyx.scipy.sparse as csp

        if cupy.cuda.runtime.getDeviceCount() < 1:
            raise RuntimeError("no CUDA device")
    except Exception as e:  # noqa: BLE001 - whatever stops cupy, there is no GPU to time
        print(f"GPU benchmark not run: {e}")
        return 2

    import scipy.sparse as sp
    from cases import AdjointOps
    from programs import RandomProgram

    import adjoint
    import solvers
    from solvers.triangular import TriangularPattern

    big = 100_000 if args.quick else 1_000_000
    rows = []
    program = RandomProgram(1000, big // 1000, seed=0)
    xs = list(np.random.default_rng(1).uniform(-1, 1, 1000))
    f = lambda v: program(v, AdjointOps)  # noqa: E731
    host = adjoint.compile(f, xs)
    rows.append(("plan, host (numpy)", _best(lambda: host(xs))))
    for backward in ("levels", "spsolve"):
        gpu = adjoint.compile(f, xs, engine="scalar", backward=backward, backend="cupy")
        rows.append((f"plan, GPU (cupy), backward {backward}", _best(lambda gpu=gpu: gpu(xs), cupy)))
        assert np.allclose(gpu(xs), host(xs), rtol=1e-9, atol=1e-12)

    rng = np.random.default_rng(0)
    n = big
    r = np.repeat(np.arange(1, n), 2)
    c = (rng.random(r.size) * r).astype(np.int64)
    pattern = TriangularPattern(n, r, c)
    data, b = rng.uniform(-0.5, 0.5, r.size), rng.standard_normal(n)
    rows.append(("triangular solve, scipy spsolve_triangular", _best(lambda: pattern.solve(data, b, "spsolve"))))
    d_gpu, b_gpu = cupy.asarray(data), cupy.asarray(b)
    rows.append(("triangular solve, cupyx spsolve_triangular",
                 _best(lambda: pattern.solve(d_gpu, b_gpu, "spsolve"), cupy)))

    k = 5
    P = sp.csr_matrix((np.ones(n * k), (rng.integers(n, size=n * k), np.repeat(np.arange(n), k))), shape=(n, n))
    P = sp.csr_matrix(P @ sp.diags(1.0 / np.asarray(P.sum(axis=0)).ravel())) * 0.85
    v = np.full(n, 0.15 / n)
    rows.append(("linear fixed point (I - 0.85 P) r = v, numpy",
                 _best(lambda: solvers.solve_linear("fixed_point", P, v), repeats=2)))
    P_gpu, v_gpu = csp.csr_matrix(P), cupy.asarray(v)
    rows.append(("linear fixed point (I - 0.85 P) r = v, cupy",
                 _best(lambda: solvers.solve_linear("fixed_point", P_gpu, v_gpu), cupy, repeats=2)))

    print(f"| GPU benchmark ({cupy.cuda.runtime.getDeviceProperties(0)['name'].decode()}) | time |")
    print("|---|---|")
    for name, t in rows:
        print(f"| {name} | {t * 1e3:.1f} ms |")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.exit(main())
