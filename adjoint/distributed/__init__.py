"""Data-parallel gradients on a Dask cluster: ``import adjoint.distributed``.

``value_and_grad(loss)`` returns a function of ``(params, shards, *args)`` that evaluates
``loss(params, shard, *args)`` for every shard on Dask workers (each keeping a compiled plan
of the loss between calls) and adds the values and gradients in the order of the shards.
Dask is imported only when a function here needs it: ``pip install 'adjoint[dask]'``.

* ``data_parallel.py`` — ``value_and_grad``, the ``DataParallel`` function it returns, the
  reduction, ``ShardError``;
* ``worker_plans.py`` — the worker side: per-thread plans keyed by a token, their counts;
* ``cluster.py`` — the client: given, connected by address, or a local cluster; ``shutdown``.
"""

from adjoint.distributed.cluster import resolve_client, shutdown
from adjoint.distributed.data_parallel import DataParallel, ShardError, combine, value_and_grad

__all__ = ["value_and_grad", "DataParallel", "ShardError", "combine", "resolve_client", "shutdown"]
