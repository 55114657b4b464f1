"""Which Dask client runs the shards: one given, one connected by address, or a local cluster.

Dask is imported here, lazily, and nowhere at import time: ``import adjoint.distributed``
works without it, and the first function that needs it raises ``MissingDependencyError``
naming the extra to install.
"""

import atexit
import threading

from adjoint.errors import InvalidArgumentError, MissingDependencyError

INSTALL_HINT = "pip install 'adjoint[dask]'"

#: Dask configuration of the local cluster ``client=None`` starts. Dask's nannies start their
#: workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which returns freed memory to the system at
#: once but also turns off glibc's adaptive mmap threshold: every array above 128 KiB is then
#: mapped and faulted in afresh, and a gradient that makes many MB-sized temporaries (the DEQ
#: example's shard of 704 images) runs about 3x slower. The local cluster keeps glibc's
#: default (unless this process's environment already sets the variable, which the workers
#: inherit). For a cluster of your own, set the same key to ``None`` before starting it.
LOCAL_CLUSTER_CONFIG = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}

_lock = threading.Lock()
_local = {}      # n_workers -> (LocalCluster, Client), started by us, closed at exit
_connected = {}  # scheduler address -> Client, connected by us, closed at exit


def import_distributed():
    """The ``distributed`` module, or ``MissingDependencyError`` saying how to install it.

    Examples
    --------
    >>> import_distributed().__name__
    'distributed'
    """
    try:
        import distributed
    except ImportError as e:
        raise MissingDependencyError(
            f"adjoint.distributed runs shards on a Dask cluster and needs Dask's 'distributed' "
            f"package: {INSTALL_HINT} (or pip install 'distributed>=2024.1'); the import failed with: {e}"
        ) from e
    return distributed


def resolve_client(client=None, n_workers=2):
    """The ``distributed.Client`` that ``client`` names.

    Parameters
    ----------
    client : None, str or distributed.Client
        ``None``: a ``distributed.LocalCluster`` of ``n_workers`` worker processes (one
        thread each, configured by ``LOCAL_CLUSTER_CONFIG``), started at the first request
        and shared by every later one with the same ``n_workers``. A string: the address of
        a running scheduler, connected to once and reused. A ``Client``: used as it is.
    n_workers : int
        Worker processes of the local cluster (``client=None`` only).

    Returns
    -------
    distributed.Client

    Examples
    --------
    >>> resolve_client(42)
    Traceback (most recent call last):
    ...
    graphs.errors.InvalidArgumentError: client must be None, a scheduler address or a distributed.Client, not int
    """
    if client is not None and not isinstance(client, str):
        distributed = import_distributed()
        if isinstance(client, distributed.Client):
            return client
        raise InvalidArgumentError(
            f"client must be None, a scheduler address or a distributed.Client, not {type(client).__name__}"
        )
    distributed = import_distributed()
    with _lock:
        if isinstance(client, str):
            found = _connected.get(client)
            if found is None or found.status in ("closing", "closed"):
                found = _connected[client] = distributed.Client(client)
            return found
        if not isinstance(n_workers, int) or isinstance(n_workers, bool) or n_workers < 1:
            raise InvalidArgumentError(f"n_workers must be a positive int, not {n_workers!r}")
        found = _local.get(n_workers)
        if found is None or found[1].status in ("closing", "closed"):
            import dask

            with dask.config.set(LOCAL_CLUSTER_CONFIG):
                cluster = distributed.LocalCluster(
                    # ":0": a free port for its HTTP endpoints (None would still take 8787, or warn)
                    n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=":0"
                )
            found = _local[n_workers] = (cluster, distributed.Client(cluster))
        return found[1]


def shutdown():
    """Close the local clusters and the connections that ``resolve_client`` opened.

    Clients passed in by the caller are theirs to close. Runs at interpreter exit too.

    Examples
    --------
    >>> shutdown()  # nothing open: nothing to do
    """
    with _lock:
        clients = list(_connected.values())
        locals_ = list(_local.values())
        _connected.clear()
        _local.clear()
    for client in clients:
        client.close()
    for cluster, client in locals_:
        client.close()
        cluster.close()


atexit.register(shutdown)
