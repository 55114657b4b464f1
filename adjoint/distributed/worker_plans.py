"""The worker side: one shard's value and gradient by a compiled plan kept between calls.

A Dask worker process runs ``evaluate`` for each shard. The plan of a loss is compiled at
its first shard and kept in this module, keyed by the token of the
``adjoint.distributed.value_and_grad`` function that sent it, so later calls (and later
shards of the same shapes) replay it instead of tracing again; the loss itself arrives
pickled and is unpickled only then. The cache is per thread: a plan's calls take turns
under its lock, so threads sharing one would wait on each other (the local cluster has one
thread per worker; a cluster started elsewhere may have more).

A loss the plan cannot replay (one with ``adjoint.fixed_point``, say: ``plan.engine`` is
``"retrace"``) is traced at every shard anyway; from its second shard on it is evaluated by
``adjoint.value_and_grad``, which traces only the differentiated arguments and so costs less
than the plan's retrace (which traces every float leaf). Both give the same numbers.
"""

import pickle
import threading
from collections import OrderedDict

from adjoint.plans.plan import Plan
from adjoint.tape.grad import value_and_grad

#: Plans kept per thread; the least recently used is dropped beyond this.
MAX_PLANS = 32

_lock = threading.Lock()
_caches = {}  # thread ident -> OrderedDict(token -> _Entry)


class _Entry:
    """A plan, how often it ran, and the direct evaluation that replaces a plan that retraces."""

    def __init__(self, loss, argnum, options):
        self.plan = Plan(loss, argnum, **options)
        self.name = getattr(loss, "__qualname__", repr(loss))
        self.calls, self.direct = 0, None
        self._direct_allowed = options.get("backend") is None  # value_and_grad knows no backend
        self._loss, self._argnum = loss, argnum

    def __call__(self, params, shard, args):
        self.calls += 1
        if self.direct is not None:
            return self.direct(params, shard, *args)
        result = self.plan.value_and_grad(params, shard, *args)
        if self.plan.engine == "retrace" and self._direct_allowed:
            self.direct = value_and_grad(self._loss, self._argnum)
        return result


def _cache():
    """This thread's ``token -> _Entry`` cache."""
    ident = threading.get_ident()
    with _lock:
        return _caches.setdefault(ident, OrderedDict())


def evaluate(index, shard, common, token, loss, argnum, options):
    """``(value, gradient)`` of ``loss(params, shard, *args)`` where ``common = (params, args)``.

    Parameters
    ----------
    index : int
        The shard's position (only to name the task; the client keeps the order).
    shard : object
        The second argument of ``loss``.
    common : tuple
        ``(params, args)``, the same for every shard of a call.
    token : str
        The key of the plan in this thread's cache.
    loss : callable or bytes
        The loss, or its pickle (cloudpickle's): compiled into a plan the first time
        ``token`` is met, ignored afterwards.
    argnum : int or tuple of int
    options : dict
        Keyword arguments of ``adjoint.plans.plan.Plan`` (``engine``, ``backend``, ...).

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint.numpy as anp
    >>> loss = lambda w, x: anp.sum(w * x)
    >>> evaluate(0, np.array([3.0]), (np.array([2.0]), ()), "doc", loss, 0, {})
    (np.float64(6.0), array([3.]))
    >>> evaluate(1, np.array([5.0]), (np.array([2.0]), ()), "doc", loss, 0, {})[1], stats()["doc"]["compiles"]
    (array([5.]), 1)
    >>> forget("doc")
    """
    del index
    cache = _cache()
    with _lock:  # stats() may read the caches from another thread (Dask's event loop)
        entry = cache.get(token)
        if entry is not None:
            cache.move_to_end(token)
    if entry is None:
        entry = _Entry(pickle.loads(loss) if isinstance(loss, bytes) else loss, argnum, options)
        with _lock:
            cache[token] = entry
            while len(cache) > MAX_PLANS:
                cache.popitem(last=False)
    params, args = common
    return entry(params, shard, args)


def stats():
    """This process's plans: ``{token: {"name", "plans", "compiles", "retraces", "calls", "engine", "direct"}}``.

    Counts are summed over the threads that hold a plan of the token (``plans`` of them);
    ``direct`` says that a plan that retraces was replaced by ``adjoint.value_and_grad``.

    Examples
    --------
    >>> stats().get("no such token") is None
    True
    """
    with _lock:
        caches = [dict(c) for c in _caches.values()]
    out = {}
    for cache in caches:
        for token, entry in cache.items():
            row = out.setdefault(token, {"name": entry.name, "plans": 0, "compiles": 0, "retraces": 0,
                                         "calls": 0, "engine": entry.plan.engine,
                                         "direct": entry.direct is not None})
            row["plans"] += 1
            row["compiles"] += entry.plan.compiles
            row["retraces"] += entry.plan.retraces
            row["calls"] += entry.calls
    return out


def forget(token=None):
    """Drop the plans of ``token`` (all plans if ``None``) from every thread's cache.

    Examples
    --------
    >>> forget("no such token")
    """
    with _lock:
        for cache in _caches.values():
            if token is None:
                cache.clear()
            else:
                cache.pop(token, None)
