"""adjoint.distributed: data-parallel value and gradient on a Dask cluster of worker processes."""

import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

import cloudpickle  # noqa: E402 - installed with distributed

import adjoint  # noqa: E402
import adjoint.distributed  # noqa: E402
import adjoint.numpy as anp  # noqa: E402
from adjoint.distributed import ShardError  # noqa: E402
from adjoint.errors import InvalidArgumentError, MissingDependencyError  # noqa: E402
from adjoint.pytree import tree_flatten  # noqa: E402

# The workers cannot import this module by its name: send its functions by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

SLOW = 1.5  # seconds a slow loss sleeps while it is traced (once per worker process)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def least_squares(w, shard, scale=1.0):
    X, y = shard
    return scale * anp.sum((anp.tanh(X @ w) - y) ** 2) + 0.1 * anp.sum(w ** 2)


def tree_loss(p, shard):
    X, y = shard
    h = anp.tanh(X @ p["W"] + p["b"])
    return anp.sum((h @ p["v"][0] - y) ** 2) + anp.sum(p["v"][1] ** 2) * anp.sum(y)


def flagged_loss(w, shard):
    X, y, flag = shard  # flag is an int: static, so each value of it is traced
    if flag:
        raise ValueError(f"bad shard (flag {flag})")
    return least_squares(w, (X, y))


def flaky_loss(w, shard):
    X, y, marker = shard  # a path: the first try on each shard fails, as a transient error would
    if not os.path.exists(marker):
        open(marker, "w").close()
        raise OSError(f"transient failure ({os.path.basename(marker)})")
    return least_squares(w, (X, y))


def slow_loss(w, shard):
    time.sleep(SLOW)  # Python code runs while tracing: once per worker process, then the plan replays
    return least_squares(w, shard)


def exit_soon():
    """Run on a worker: its process exits at once, from another thread, after the reply to the client."""
    threading.Timer(0.05, os._exit, (1,)).start()


def make_shards(n=6, rows=7, cols=3, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=(rows, cols)), rng.normal(size=rows)) for _ in range(n)]


W = np.array([0.3, -0.7, 1.1])
TREE = {"W": np.linspace(-1, 1, 12).reshape(3, 4), "b": np.array([0.1, 0.0, -0.2, 0.3]),
        "v": [np.array([1.0, -0.5, 0.25, 2.0]), np.array([0.5, -1.5])]}


def serial(loss, params, shards, *args, reduce="sum", argnum=0):
    """The shards' values and gradients by adjoint.value_and_grad in this process, summed with Python's sum."""
    results = [adjoint.value_and_grad(loss, argnum)(params, s, *args) for s in shards]
    value = sum(v for v, _ in results)
    leaves = [tree_flatten(g)[0] for _, g in results]
    grads = [sum(column) for column in zip(*leaves)]
    if reduce == "mean":
        value, grads = value / len(shards), [g / len(shards) for g in grads]
    return value, grads


def assert_close(result, reference, rtol=1e-12):
    value, grad = result
    ref_value, ref_leaves = reference
    assert abs(value - ref_value) <= rtol * abs(ref_value)
    leaves, _ = tree_flatten(grad)
    assert len(leaves) == len(ref_leaves)
    for leaf, ref in zip(leaves, ref_leaves):
        assert np.shape(leaf) == np.shape(ref)
        assert np.max(np.abs(np.asarray(leaf) - ref)) <= rtol * np.max(np.abs(ref))


@pytest.mark.parametrize("reduce", ["sum", "mean"])
@pytest.mark.parametrize("loss, params", [(least_squares, W), (tree_loss, TREE)], ids=["array", "pytree"])
def test_equals_the_serial_sum(client, loss, params, reduce):
    shards = make_shards()
    f = adjoint.distributed.value_and_grad(loss, client=client, reduce=reduce)
    value, grad = f(params, shards)
    assert_close((value, grad), serial(loss, params, shards, reduce=reduce))
    assert tree_flatten(grad)[1] == tree_flatten(params)[1]  # the gradient has the form of params


def test_common_args_and_a_tuple_argnum(client):
    shards = make_shards(n=3)
    f = adjoint.distributed.value_and_grad(least_squares, argnum=(0, 2), client=client)
    value, (g_w, g_scale) = f(W, shards, 2.5)
    assert_close((value, (g_w, g_scale)), serial(least_squares, W, shards, 2.5, argnum=(0, 2)))
    assert isinstance(g_scale, float)


def test_shards_may_be_futures(client):
    shards = make_shards(n=4)
    futures = client.scatter(shards)
    f = adjoint.distributed.value_and_grad(least_squares, client=client)
    assert_close(f(W, futures), serial(least_squares, W, shards))


def test_two_calls_are_bit_identical(client):
    shards = make_shards(n=8)
    f = adjoint.distributed.value_and_grad(tree_loss, client=client)
    (v1, g1), (v2, g2) = f(TREE, shards), f(TREE, shards)
    assert v1 == v2
    for a, b in zip(tree_flatten(g1)[0], tree_flatten(g2)[0]):
        assert np.array_equal(a, b)
    # a new function (new plans, compiled afresh) gives the same bits too
    v3, g3 = adjoint.distributed.value_and_grad(tree_loss, client=client)(TREE, shards)
    assert v3 == v1 and all(np.array_equal(a, b) for a, b in zip(tree_flatten(g1)[0], tree_flatten(g3)[0]))


def test_plans_are_reused_between_calls(client):
    shards = make_shards(n=6)
    f = adjoint.distributed.value_and_grad(least_squares, client=client)
    f(W, shards)
    f(W + 0.5, shards)
    stats = f.plan_stats()
    assert stats, "no worker reports a plan"
    assert set(stats) <= set(client.scheduler_info()["workers"])
    for row in stats.values():
        assert row["compiles"] == 1 and row["retraces"] == 0 and row["plans"] == 1
        assert row["engine"] in ("tape", "scalar")
    assert sum(row["calls"] for row in stats.values()) == 2 * len(shards)
    f.forget()
    assert f.plan_stats() == {}


def test_a_raising_shard_raises_naming_it(client):
    shards = [(X, y, 0) for X, y in make_shards(n=5)]
    shards[3] = shards[3][:2] + (1,)
    f = adjoint.distributed.value_and_grad(flagged_loss, client=client)
    with pytest.raises(ShardError, match=r"^shard 3 of 5 raised ValueError: bad shard \(flag 1\)$") as info:
        f(W, shards)
    assert isinstance(info.value.__cause__, ValueError)
    assert (info.value.index, info.value.count, info.value.failed) == (3, 5, (3,))
    shards[1] = shards[1][:2] + (2,)
    with pytest.raises(ShardError, match=r"^shard 1 of 5 raised ValueError: bad shard \(flag 2\) \(2 of 5 shards "
                                         r"raised: 1, 3\)$"):
        f(W, shards)
    # the function still works on good shards afterwards
    good = [(X, y, 0) for X, y, _ in shards]
    assert_close(f(W, good), serial(least_squares, W, [s[:2] for s in good]))


def test_retries_rerun_a_shard_that_raised(client, tmp_path):
    # integer data: no float leaf besides params, so a plan's trace that raises is not tried again
    # with the floats made static (adjoint.compile's fallback), and each try traces exactly once
    shards = [(np.round(4 * X).astype(int), np.round(4 * y).astype(int)) for X, y in make_shards(n=3)]
    once = [(X, y, str(tmp_path / f"once-{i}")) for i, (X, y) in enumerate(shards)]
    with pytest.raises(ShardError, match=r"^shard 0 of 3 raised OSError: transient failure \(once-0\) \(3 of 3"):
        adjoint.distributed.value_and_grad(flaky_loss, client=client)(W, once)
    twice = [(X, y, str(tmp_path / f"twice-{i}")) for i, (X, y) in enumerate(shards)]
    f = adjoint.distributed.value_and_grad(flaky_loss, client=client, retries=1)
    assert_close(f(W, twice), serial(least_squares, W, shards))


def test_a_scheduler_address_connects(client):
    shards = make_shards(n=3)
    f = adjoint.distributed.value_and_grad(least_squares, client=client.scheduler.address)
    assert_close(f(W, shards), serial(least_squares, W, shards))
    assert f.client is adjoint.distributed.resolve_client(client.scheduler.address)
    adjoint.distributed.shutdown()  # closes the connection it opened, not the fixture's client
    assert client.status == "running"


def test_the_default_local_cluster():
    shards = make_shards(n=2)
    f = adjoint.distributed.value_and_grad(least_squares, n_workers=1)
    try:
        assert_close(f(W, shards), serial(least_squares, W, shards))
        assert len(f.client.scheduler_info()["workers"]) == 1
        g = adjoint.distributed.value_and_grad(tree_loss, n_workers=1)
        assert g.client is f.client  # started once, shared
    finally:
        adjoint.distributed.shutdown()


def test_bad_arguments():
    f = adjoint.distributed.value_and_grad(least_squares)  # no cluster is started before a call
    with pytest.raises(InvalidArgumentError, match="argnum names argument 1, the shard"):
        adjoint.distributed.value_and_grad(least_squares, argnum=1)
    with pytest.raises(InvalidArgumentError, match="argnum names argument 1, the shard"):
        adjoint.distributed.value_and_grad(least_squares, argnum=-2)(W, make_shards(2), 1.0)
    with pytest.raises(InvalidArgumentError, match="shards is empty"):
        f(W, [])
    with pytest.raises(InvalidArgumentError, match="unknown reduce"):
        adjoint.distributed.value_and_grad(least_squares, reduce="max")
    with pytest.raises(InvalidArgumentError, match="cannot be given with a client"):
        adjoint.distributed.value_and_grad(least_squares, client="tcp://127.0.0.1:1", n_workers=3)
    with pytest.raises(InvalidArgumentError, match="client must be None, a scheduler address or a distributed.Client"):
        adjoint.distributed.value_and_grad(least_squares, client=3.0)


def test_without_dask_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # makes `import distributed` raise ImportError
    with pytest.raises(MissingDependencyError, match=r"pip install 'adjoint\[dask\]'"):
        adjoint.distributed.value_and_grad(least_squares)


def test_the_library_imports_without_dask():
    code = ("import sys; sys.modules['dask'] = sys.modules['distributed'] = None\n"
            "import adjoint, adjoint.distributed\n"
            "try:\n    adjoint.distributed.value_and_grad(lambda w, s: w)\n"
            "except adjoint.MissingDependencyError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "pip install 'adjoint[dask]'" in out.stdout


def test_a_worker_killed_mid_call_is_recovered(client):
    """Last: it restarts a worker. Its shards are rescheduled by Dask; the sum is still complete and exact."""
    shards = make_shards(n=6)
    f = adjoint.distributed.value_and_grad(slow_loss, client=client)
    out = {}

    def call():
        try:
            out["result"] = f(W, shards)
        except BaseException as e:  # noqa: BLE001 - reported below
            out["error"] = e

    thread = threading.Thread(target=call)
    thread.start()
    deadline, victim = time.monotonic() + 30, None
    while victim is None and time.monotonic() < deadline:
        busy = [address for address, keys in client.processing().items() if keys]
        victim = busy[0] if busy else None
        time.sleep(0.02)
    assert victim is not None, "no worker took a shard"
    client.run(exit_soon, workers=[victim])
    assert thread.is_alive(), "the call ended before the worker was killed: the test tests nothing"
    thread.join(60)
    assert not thread.is_alive()
    assert "error" not in out, out.get("error")
    assert_close(out["result"], serial(least_squares, W, shards))
    client.wait_for_workers(2, timeout=30)  # the nanny restarted it
    assert victim not in client.scheduler_info()["workers"]
