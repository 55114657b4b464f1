"""The DEQ digits classifier of ``deq_digits.py``, trained data-parallel on Dask worker processes.

Each batch is cut into equal shards; ``adjoint.distributed.value_and_grad`` evaluates the
loss and its gradient (exact implicit backward: GMRES on ``(I - ∂f/∂z)ᵀ λ = ḡ``) for every
shard on a worker process and returns their mean, which Adam (from ``deq_digits.py``) then
applies. Printed:

* the wall time of an epoch in one process (the whole batch at once, as ``deq_digits.py``
  trains) and data-parallel with 1 and 2 worker processes (the same shards either way);
* the distributed gradient against the same shards' gradients computed one after another in
  this process (``adjoint.value_and_grad``): they must agree to 1e-10 relative, or this
  raises; and against the whole batch's gradient, which differs at the level of the forward
  solver's tolerance (each shard's fixed point is its own Anderson solve, to rtol 1e-8);
* whether the 1-worker and 2-worker runs end at the same parameters bit for bit (the shards'
  results are added in shard order on the client, whoever computed them).

The model's functions are imported from ``deq_digits.py`` (by ``importlib``, from this
folder); that module is not put in ``sys.modules``, so cloudpickle sends its functions to
the workers by value, as it does for this script's own.

``main(small=True)`` (the test suite's run) trains one epoch on 256 images, still on real
worker processes (a local cluster starts in about a second).

Run: python examples/deq_digits_distributed.py
"""

import importlib.util
import os
import pathlib
import time

import numpy as np

import adjoint
import adjoint.distributed

GRADIENT_RTOL = 1e-10


def _load_deq():
    path = pathlib.Path(__file__).with_name("deq_digits.py")
    spec = importlib.util.spec_from_file_location("deq_digits_for_distributed", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_deq = _load_deq()
# Names, not the module object, in this module's globals: the loss pickles with only what it uses.
equilibrium, cross_entropy, EXACT, Adam = _deq.equilibrium, _deq.cross_entropy, _deq.EXACT, _deq.Adam
load, init_params, predict, flat, cpu_name = _deq.load, _deq.init_params, _deq.predict, _deq.flat, _deq.cpu_name


def batch_loss(p, X, Y):
    """Mean cross-entropy of a batch of images through the equilibrium (exact implicit backward)."""
    Z, _ = equilibrium(p, X, EXACT)
    return cross_entropy(Z @ p["V"].T + p["c"], Y)


def shard_loss(p, shard):
    """``batch_loss`` of one shard ``(X, Y)``: the signature ``adjoint.distributed`` calls."""
    return batch_loss(p, *shard)


def batches(X, Y, batch, rng):
    """One epoch's full batches (the last, incomplete one dropped: every shard has one shape)."""
    order = rng.permutation(len(X))
    return [(X[order[k:k + batch]], Y[order[k:k + batch]]) for k in range(0, len(order) - batch + 1, batch)]


def shards_of(X, Y, n):
    """``n`` equal shards of a batch."""
    return list(zip(np.array_split(X, n), np.array_split(Y, n)))


def relative_difference(a, b):
    return float(np.max(np.abs(flat(a) - flat(b))) / np.max(np.abs(flat(b))))


def train(step, data, epochs, batch, seed=0):
    """Adam from ``init_params(seed)``: ``(params, wall seconds per epoch)``; ``step(p, X, Y)`` gives the gradient."""
    X_train, y_train = data[0], data[1]
    Y_train = np.eye(10)[y_train]
    params, rng, times = init_params(seed), np.random.default_rng(seed), []
    opt = Adam(params)
    for _ in range(epochs):
        start = time.perf_counter()
        for X, Y in batches(X_train, Y_train, batch, rng):
            opt.step(params, step(params, X, Y))
        times.append(time.perf_counter() - start)
    return params, times


def compare(small=False, batch=128, epochs=3, shards=2, workers=(1, 2)):
    """Train in one process and data-parallel on each number of ``workers``; check the gradients.

    Returns a dict: ``rows`` (one per run: ``name``, ``workers``, ``seconds`` the median
    epoch, ``steps`` per epoch, ``shard_ms`` the mean compute time of a shard on a worker
    from Dask's task stream, ``accuracy``), the gradient differences, and whether the
    data-parallel runs ended at identical parameters.
    """
    from distributed import get_task_stream

    data = load(small)
    X_test, y_test = data[2], data[3]
    steps = len(data[0]) // batch
    serial_vg = adjoint.value_and_grad(batch_loss)
    rows, finals = [], []
    params, times = train(lambda p, X, Y: serial_vg(p, X, Y)[1], data, epochs, batch)
    rows.append({"name": "one process, whole batch", "workers": 0, "seconds": float(np.median(times)),
                 "steps": steps, "shard_ms": None,
                 "accuracy": float(np.mean(predict(params, X_test, EXACT) == y_test))})

    # the gradient check, at the initial parameters on the first batch
    p0 = init_params(0)
    X0, Y0 = data[0][:batch], np.eye(10)[data[1][:batch]]
    pieces = shards_of(X0, Y0, shards)
    serial_shards = adjoint.distributed.combine([adjoint.value_and_grad(shard_loss)(p0, s) for s in pieces], "mean")
    whole = serial_vg(p0, X0, Y0)
    checks = {}
    try:
        for n in workers:
            f = adjoint.distributed.value_and_grad(shard_loss, reduce="mean", n_workers=n)
            value, g = f(p0, pieces)  # also starts the cluster and compiles, outside the timed epochs
            checks[n] = (relative_difference(g, serial_shards[1]), abs(value - serial_shards[0]) / abs(whole[0]))
            if checks[n][0] > GRADIENT_RTOL:
                raise AssertionError(f"the gradient on {n} worker(s) differs from the serial one over the same "
                                     f"shards by {checks[n][0]:.2e} relative (more than {GRADIENT_RTOL:g})")
            with get_task_stream(f.client) as stream:
                params, times = train(lambda p, X, Y, f=f: f(p, shards_of(X, Y, shards))[1], data, epochs, batch)
            computes = [sum(s["stop"] - s["start"] for s in task["startstops"] if s["action"] == "compute")
                        for task in stream.data]
            finals.append(params)
            rows.append({"name": f"Dask, {n} worker process{'es' if n > 1 else ''}, {shards} shards", "workers": n,
                         "seconds": float(np.median(times)), "steps": steps,
                         "shard_ms": 1e3 * float(np.mean(computes)) if computes else None,
                         "accuracy": float(np.mean(predict(params, X_test, EXACT) == y_test))})
    finally:
        adjoint.distributed.shutdown()
    identical = all(all(np.array_equal(a[k], b[k]) for k in a) for a, b in zip(finals, finals[1:]))
    return {"rows": rows, "checks": checks, "whole_batch": relative_difference(serial_shards[1], whole[1]),
            "identical": identical, "data": data, "batch": batch, "epochs": epochs, "shards": shards}


def table(result):
    """The runs as a markdown table."""
    base = result["rows"][0]["seconds"]
    lines = ["| run | s / epoch (wall) | speed-up vs one process | ms / step | compute ms / shard on a worker "
             "| test accuracy |", "|---|---|---|---|---|---|"]
    for r in result["rows"]:
        shard = "—" if r["shard_ms"] is None else f"{r['shard_ms']:.1f}"
        lines.append(f"| {r['name']} | {r['seconds']:.3f} | {base / r['seconds']:.2f}x | "
                     f"{1e3 * r['seconds'] / r['steps']:.1f} | {shard} | {100 * r['accuracy']:.1f} % |")
    return "\n".join(lines)


def main(small=False):
    """Train one process vs 1 and 2 Dask workers, print the table and the gradient agreement."""
    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    with threadpool_limits(limits=1, user_api="blas"):  # as the workers (Dask sets OMP/BLAS threads to 1)
        result = compare(small, epochs=1 if small else 3)
    n_train = len(result["data"][0])
    print(f"DEQ on digits, data-parallel: {n_train} training images, batch {result['batch']} in "
          f"{result['shards']} shards, {result['epochs']} epoch(s), Adam, exact implicit backward\n")
    print(table(result))
    for n, (g_diff, v_diff) in result["checks"].items():
        print(f"\n{n} worker(s): gradient vs the same shards in one process: {g_diff:.1e} relative "
              f"(value {v_diff:.1e})", end="")
    print(f"\nsame shards vs whole batch in one process: {result['whole_batch']:.1e} relative "
          f"(separate Anderson solves per shard, rtol {_deq.RTOL:g})")
    print(f"1-worker and 2-worker training end at bit-identical parameters: {result['identical']}")
    print(f"machine: {cpu_name()}, {os.cpu_count()} cores")
    return result


if __name__ == "__main__":
    main()
