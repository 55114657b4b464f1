"""Which array library a compiled plan computes with: numpy on the host, or cupy on a GPU.

``backend=None`` follows the arguments: a plan given cupy arrays computes with cupy. The
engines are written against the namespace chosen here (``solvers.backend``): the numpy path
runs the very code the cupy path runs, only the namespace differs. cupy is imported only
when asked for or met, so nothing here needs it installed.
"""

import importlib

import numpy as np

from adjoint.errors import InvalidArgumentError, MissingDependencyError
from adjoint.pytree import as_float
from solvers.backend import array_namespace

BACKENDS = (None, "numpy", "cupy")


def resolve_backend(backend, leaves):
    """The array module for a call: ``backend``'s, or that of the first GPU array among
    ``leaves`` (numpy if none).

    Examples
    --------
    >>> import numpy as np
    >>> resolve_backend(None, [np.ones(2), 3.0]).__name__
    'numpy'
    >>> resolve_backend("numpy", []).__name__
    'numpy'
    """
    if backend not in BACKENDS:
        raise InvalidArgumentError(f"unknown backend {backend!r}; choose None (from the arguments), 'numpy' or 'cupy'")
    if backend == "numpy":
        return np
    if backend == "cupy":
        try:
            return importlib.import_module("cupy")
        except ImportError as e:
            raise MissingDependencyError(f"backend='cupy' needs cupy installed (pip install cupy-cuda12x): {e}") from e
    for leaf in leaves:
        xp = array_namespace(leaf)
        if xp is not np:
            return xp
    return np


def as_backend_float(xp, x):
    """``x`` as a float64 value of the array module ``xp``.

    numpy keeps Python numbers as ``np.float64`` scalars (as tracing does); cupy gets
    device arrays.

    Examples
    --------
    >>> import numpy as np
    >>> as_backend_float(np, 2), as_backend_float(np, [1, 2])
    (np.float64(2.0), array([1., 2.]))
    """
    if xp is np:
        return as_float(x)
    return xp.asarray(x, dtype=xp.float64)
