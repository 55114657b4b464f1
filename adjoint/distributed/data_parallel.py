"""Data-parallel value and gradient: one loss, many shards, a Dask cluster, one sum.

The client scatters the parameters to every worker once per call, maps the shards over the
workers (each worker replays a compiled plan of the loss, ``adjoint.distributed.worker_plans``),
gathers every shard's value and gradient and adds them in the order of the shards, on the
client: the result does not depend on which worker finished first, so it is the same bit
for bit at every call. Scheduling, data movement and recovery from lost workers are Dask's.
"""

import uuid

from adjoint.distributed import worker_plans
from adjoint.distributed.cluster import import_distributed, resolve_client
from adjoint.errors import AdjointError, InvalidArgumentError
from adjoint.pytree import argnums, tree_flatten, tree_unflatten

REDUCTIONS = ("sum", "mean")

_SHARD_ARGNUM = ("argnum names argument 1, the shard: its gradient differs from shard to shard and is not "
                 "summed; differentiate params (0) or the common args (2, 3, ...)")


class ShardError(AdjointError, RuntimeError):
    """The loss raised on a shard; the message names it, the original is the ``__cause__``.

    Attributes
    ----------
    index : int
        The shard's position in ``shards`` (the first that raised, by position).
    count : int
        How many shards the call had.
    failed : tuple of int
        Every shard that raised.
    """

    def __init__(self, message, index=None, count=None, failed=()):
        super().__init__(message)
        self.index, self.count, self.failed = index, count, tuple(failed)


def value_and_grad(loss, argnum=0, client=None, reduce="sum", *, n_workers=None, retries=0, compile_options=None):
    """A function of ``(params, shards, *args)``: ``loss(params, shard, *args)`` over the shards on Dask.

    The returned function evaluates the value and gradient of ``loss`` for every shard on
    the workers of a Dask cluster and returns their sum (``reduce="sum"``) or their mean
    over the shards (``reduce="mean"``): the same as adding ``adjoint.value_and_grad(loss,
    argnum)(params, shard, *args)`` over the shards in one process, in the same order.

    Parameters
    ----------
    loss : callable
        ``loss(params, shard, *args)`` returning a scalar, written with ``adjoint.numpy`` as
        for ``adjoint.compile``. It travels to the workers by pickle (cloudpickle): a
        function of an importable module is sent by reference (the workers import it), one
        of ``__main__``, a lambda or a closure by value.
    argnum : int or tuple of int
        The differentiated arguments, as for ``adjoint.grad``: ``0`` (the parameters, an
        array or nested lists / tuples / dicts of arrays) or positions of ``args`` (from
        2); never ``1``, the shard. A tuple gives a tuple of gradients.
    client : None, str or distributed.Client
        ``None``: a ``distributed.LocalCluster`` of ``n_workers`` worker processes with one
        thread each, started at the first call and shared by every function made with the
        same ``n_workers`` (``adjoint.distributed.shutdown`` closes it). A string: the
        address of a running scheduler (``"tcp://host:8786"``). A ``Client``: used as is.
    reduce : {"sum", "mean"}
        How the shards' values and gradients are combined. ``"mean"`` divides the sum by
        the number of shards (the batch mean when the shards are of equal size and the
        loss is a mean over its shard).
    n_workers : int, optional
        Worker processes of the local cluster (``client=None`` only; default 2).
    retries : int
        Passed to ``Client.map``: how many times Dask runs a shard again after it raised
        (for transient failures; a deterministic error is then raised after the last try).
        A shard whose worker *died* is rescheduled by the scheduler whatever ``retries`` is,
        up to ``distributed.scheduler.allowed-failures`` deaths (3 by default).
    compile_options : dict, optional
        Keyword arguments of the workers' plans: ``engine``, ``forward``, ``backward``,
        ``backend``, as for ``adjoint.compile``.

    Returns
    -------
    DataParallel
        Called as ``f(params, shards, *args)`` with ``shards`` a sequence (each item the
        second argument of ``loss``, or a Dask future of it); returns ``(value, gradient)``
        with the gradient in the form of ``params`` (of ``argnum``).

    Raises
    ------
    ShardError
        From the call, when ``loss`` raised on a shard: the message names the first such
        shard by position (``"shard 3 of 8 raised ValueError: ..."``), the original error is
        its ``__cause__``. No partial sum is returned.
    adjoint.errors.MissingDependencyError
        Without Dask installed (``pip install 'adjoint[dask]'``).

    Notes
    -----
    *Plans stay on the workers.* Each worker process compiles the loss at its first shard
    (per thread, keyed by this function's ``token``) and replays the plan for later shards
    and later calls; a shard of new shapes, or with other static (integer, string) leaves,
    compiles another key of the same plan, so labels are best sent as floats (one-hot).
    ``f.plan_stats()`` reports, per worker, the compiles and calls. A loss the plans cannot
    replay (one containing ``adjoint.fixed_point``, say) is traced at every shard, as
    ``adjoint.compile`` says.

    *Data.* The parameters and ``args`` are scattered once per call to every worker
    (``Client.scatter(..., broadcast=True)``). The shards travel inside their tasks, so the
    scheduler can run a shard again on another worker if its worker dies; for data too big
    for that, pass futures (``client.scatter`` them, or load them on the workers with
    ``client.submit``, which Dask can recompute).

    *The loss travels once.* It is pickled at the first call and unpickled by a worker only
    when it compiles; changes made to it (or to what it captures) after the first call do
    not reach the workers. ``f.forget()`` drops the workers' plans.

    *Worker processes are spawned*, so a script that starts the local cluster needs the
    ``if __name__ == "__main__":`` guard, as every multiprocessing program does. The local
    cluster keeps glibc's memory settings rather than Dask's (see
    ``adjoint.distributed.cluster.LOCAL_CLUSTER_CONFIG``: about 3x on gradients that make
    large temporaries).

    *Reproducible.* The shards' results are added on the client in the order of ``shards``,
    left to right, so two calls with the same arguments give the same bits, whichever worker
    computed what and in whatever order they finished.

    Examples
    --------
    A least-squares loss over four shards, on a local cluster of two worker processes:

    >>> import numpy as np
    >>> import adjoint
    >>> import adjoint.numpy as anp
    >>> from distributed import Client, LocalCluster
    >>> cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    >>> client = Client(cluster)
    >>> def loss(w, shard):
    ...     X, y = shard
    ...     return anp.sum((X @ w - y) ** 2)
    >>> rng = np.random.default_rng(0)
    >>> shards = [(rng.normal(size=(5, 3)), rng.normal(size=5)) for _ in range(4)]
    >>> w = np.array([0.5, -1.0, 2.0])
    >>> f = adjoint.distributed.value_and_grad(loss, client=client)
    >>> value, g = f(w, shards)
    >>> serial = [adjoint.value_and_grad(loss)(w, s) for s in shards]
    >>> bool(np.isclose(value, sum(v for v, _ in serial))), bool(np.allclose(g, sum(g for _, g in serial)))
    (True, True)
    >>> again = f(w, shards)  # the plans compiled at the first call are replayed
    >>> bool(again[0] == value and (again[1] == g).all())
    True
    >>> sum(row["compiles"] for row in f.plan_stats().values())  # one per worker that ran a shard
    2
    >>> client.close(); cluster.close()
    """
    return DataParallel(loss, argnum, client, reduce, n_workers=n_workers, retries=retries,
                        compile_options=compile_options)


class DataParallel:
    """The function ``value_and_grad`` returns; see there.

    Attributes
    ----------
    loss : callable
    argnum : int or tuple of int
    reduce : str
    token : str
        The key of this function's plans in the workers' caches.
    """

    def __init__(self, loss, argnum=0, client=None, reduce="sum", n_workers=None, retries=0, compile_options=None):
        import_distributed()  # missing Dask: say so now, not at the first call
        if not callable(loss):
            raise InvalidArgumentError(f"loss must be callable, not {type(loss).__name__}")
        if reduce not in REDUCTIONS:
            raise InvalidArgumentError(f"unknown reduce {reduce!r}; choose 'sum' or 'mean'")
        if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
            raise InvalidArgumentError(f"retries must be a non-negative int, not {retries!r}")
        if client is not None and n_workers is not None:
            raise InvalidArgumentError("n_workers sizes the local cluster that client=None starts; "
                                       "it cannot be given with a client")
        if client is not None and not isinstance(client, str):
            resolve_client(client)  # a Client, or an error now
        if argnum == 1 or (isinstance(argnum, tuple) and 1 in argnum):
            raise InvalidArgumentError(_SHARD_ARGNUM)
        self.loss, self.argnum, self.reduce, self.retries = loss, argnum, reduce, retries
        self.options = dict(compile_options or {})
        self._client_arg, self._n_workers = client, 2 if n_workers is None else n_workers
        self._name = "".join(c if c.isalnum() or c == "_" else "_" for c in getattr(loss, "__name__", "loss"))
        self.token = f"{self._name}-{uuid.uuid4().hex}"
        self._loss_bytes = None

    @property
    def client(self):
        """The ``distributed.Client`` the shards run on (a local cluster is started at first use)."""
        return resolve_client(self._client_arg, self._n_workers)

    def __call__(self, params, shards, *args):
        """``(value, gradient)``: the shards' values and gradients, added in the order of ``shards``."""
        distributed = import_distributed()
        positions = argnums(self.argnum, 2 + len(args))
        if 1 in positions:
            raise InvalidArgumentError(_SHARD_ARGNUM)
        if isinstance(shards, dict):
            raise InvalidArgumentError("shards must be a sequence (a list of shards), not a dict")
        shards = list(shards)
        if not shards:
            raise InvalidArgumentError("shards is empty: there is nothing to evaluate")
        client, n = self.client, len(shards)
        call = uuid.uuid4().hex[:12]
        keys = [f"{self._name}-{call}-shard-{i}-of-{n}" for i in range(n)]  # as the dashboard shows them
        [common] = client.scatter([(params, args)], broadcast=True, hash=False)
        futures = []
        try:
            futures = client.map(
                worker_plans.evaluate, range(n), shards, common=common, token=self.token, loss=self._pickled_loss(),
                argnum=self.argnum, options=self.options, key=keys, retries=self.retries, pure=False,
            )
            try:
                results = client.gather(futures, errors="raise")
            except Exception:
                # Which shards failed, once every shard has finished or failed: the error names
                # the first by position, whichever failed first in time.
                distributed.wait(futures)
                failed = [i for i, f in enumerate(futures) if f.status == "error"]
                if failed:
                    error, original = _shard_error(futures, failed, n)
                    raise error from original
                raise
        except BaseException:
            try:  # an interrupted or failed call leaves nothing running
                client.cancel(futures + [common])
            except Exception:  # noqa: BLE001 - the error being raised is the one to see
                pass
            raise
        finally:
            for f in futures + [common]:
                f.release()
        return combine(results, self.reduce)

    def _pickled_loss(self):
        """The loss pickled once (cloudpickle, as Dask would), not at every task: workers unpickle it only
        when they compile."""
        if self._loss_bytes is None:
            import cloudpickle  # a dependency of distributed

            self._loss_bytes = cloudpickle.dumps(self.loss)
        return self._loss_bytes

    def plan_stats(self):
        """Per worker address, this function's plans there: ``compiles``, ``retraces``, ``calls``, ``engine``.

        Workers that have run none of its shards (or restarted since) are left out.
        """
        rows = self.client.run(worker_plans.stats)
        return {address: found[self.token] for address, found in rows.items() if self.token in found}

    def forget(self):
        """Drop this function's plans from the workers (the next call compiles again)."""
        self.client.run(worker_plans.forget, self.token)

    def __repr__(self):
        where = "a local cluster" if self._client_arg is None else repr(self._client_arg)
        return (f"<adjoint.distributed.value_and_grad of {self._name}, argnum={self.argnum!r}, "
                f"reduce={self.reduce!r}, on {where}>")


def _shard_error(futures, failed, n):
    """``(ShardError naming the first failed shard, that shard's original error)``."""
    index = failed[0]
    original = futures[index].exception()
    traceback = futures[index].traceback()
    if traceback is not None and isinstance(original, BaseException):
        original = original.with_traceback(traceback)
    listed = ", ".join(map(str, failed[:8])) + (", ..." if len(failed) > 8 else "")
    others = f" ({len(failed)} of {n} shards raised: {listed})" if len(failed) > 1 else ""
    error = ShardError(f"shard {index} of {n} raised {type(original).__name__}: {original}{others}",
                       index=index, count=n, failed=failed)
    return error, original


def combine(results, reduce="sum"):
    """The shards' ``(value, gradient)`` pairs added left to right (divided by their number for the mean).

    Examples
    --------
    >>> import numpy as np
    >>> combine([(1.0, {"a": np.array([1.0, 2.0])}), (2.0, {"a": np.array([3.0, 4.0])})], "mean")
    (1.5, {'a': array([2., 3.])})
    """
    value, grad = results[0]
    totals, treedef = tree_flatten(grad)
    for other_value, other_grad in results[1:]:
        leaves, other = tree_flatten(other_grad)
        if other != treedef:
            raise InvalidArgumentError("the shards' gradients differ in structure; they cannot be added")
        value = value + other_value
        totals = [a + b for a, b in zip(totals, leaves)]
    if reduce == "mean":
        n = len(results)
        value, totals = value / n, [t / n for t in totals]
    return value, tree_unflatten(treedef, totals)
