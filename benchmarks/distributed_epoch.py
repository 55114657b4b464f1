"""Data-parallel epochs on Dask: the DEQ digits model, one process vs 1 and 2 worker processes.

Prints a markdown table: per batch size, the wall time of a training epoch in one process
(the whole batch at once) and with ``adjoint.distributed.value_and_grad`` on a local cluster
of 1 and 2 worker processes (each batch cut into 2 shards), the compute time of one shard on
a worker (from Dask's task stream), and the relative difference of the distributed gradient
to the same shards' gradients computed in one process. Also Dask's cost of one call with a
trivial loss (scatter, two tasks, gather), the floor under every step; the machine, and its
load average (another job on the machine takes cores from the workers).

The training code is ``examples/deq_digits_distributed.py``'s.

Run: python benchmarks/distributed_epoch.py [--batches 128 1408] [--epochs 3]
"""

import argparse
import importlib.util
import os
import pathlib
import statistics
import sys
import time
from importlib import metadata

import numpy as np

import adjoint
import adjoint.distributed
import adjoint.numpy as anp

ROOT = pathlib.Path(__file__).resolve().parents[1]


def load_example():
    path = ROOT / "examples" / "deq_digits_distributed.py"
    spec = importlib.util.spec_from_file_location("deq_digits_distributed_for_benchmark", path)
    module = importlib.util.module_from_spec(spec)  # not in sys.modules: its functions pickle by value
    spec.loader.exec_module(module)
    return module


def trivial_loss(w, shard):
    return anp.sum(w * shard)


def call_overhead(n_workers=2, calls=30):
    """Median wall seconds of one call with a trivial loss on two tiny shards: Dask's floor per step."""
    f = adjoint.distributed.value_and_grad(trivial_loss, n_workers=n_workers)
    w, shards = np.ones(3), [np.ones(3), np.ones(3)]
    f(w, shards)
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        f(w, shards)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(batches=(128, 1408), epochs=3):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from threadpoolctl import threadpool_limits
    from timing import machine

    example = load_example()
    info = machine()
    load_before = os.getloadavg()
    with threadpool_limits(limits=1, user_api="blas"):
        try:
            overhead = call_overhead()
        finally:
            adjoint.distributed.shutdown()
        results = [example.compare(False, batch=b, epochs=epochs) for b in batches]
    lines = [
        "| batch (2 shards) | run | s / epoch (wall) | speed-up vs one process | compute ms / shard on a worker "
        "| gradient vs the same shards in one process |",
        "|---|---|---|---|---|---|",
    ]
    for result in results:
        base = result["rows"][0]["seconds"]
        for r in result["rows"]:
            shard = "—" if r["shard_ms"] is None else f"{r['shard_ms']:.1f}"
            check = "—" if not r["workers"] else f"{result['checks'][r['workers']][0]:.1e}"
            lines.append(f"| {result['batch']} ({r['steps']} steps) | {r['name']} | {r['seconds']:.3f} | "
                         f"{base / r['seconds']:.2f}x | {shard} | {check} |")
    print("\n".join(lines))
    print(f"\nDask's cost of one call with a trivial loss (scatter + 2 tasks + gather), 2 workers: "
          f"{1e3 * overhead:.1f} ms")
    for result in results:
        print(f"batch {result['batch']}: 1-worker and 2-worker training end at bit-identical parameters: "
              f"{result['identical']}; same shards vs whole batch in one process: {result['whole_batch']:.1e}")
    print(f"\nmachine: {info['cpu']}, {info['cores']} cores; Python {info['python']}, numpy {info['numpy']}, "
          f"distributed {metadata.version('distributed')}; "
          f"load average before the run {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}; "
          f"{epochs} epochs per run, medians")
    return results, overhead


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[128, 1408])
    parser.add_argument("--epochs", type=int, default=3)
    options = parser.parse_args()
    main(tuple(options.batches), options.epochs)
