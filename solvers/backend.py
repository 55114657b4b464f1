"""Which array library an object belongs to: numpy/scipy on the host, cupy/cupyx on a GPU.

The element-wise solvers (``fixed_point``, ``neumann``, ``anderson``) are written
against the namespace returned here, so one code path serves numpy and cupy.
cupy is optional and imported lazily: only when an object that already is a cupy
array or a cupyx sparse matrix is passed in, so importing this module never needs it.
Which methods run on the GPU is declared in their ``CAPABILITIES`` (``gpu``); the
dispatchers refuse a GPU array for any other (:meth:`solvers.registry.Registry.require_device`).
"""

import importlib
from types import ModuleType

import numpy
import scipy.sparse
import scipy.sparse.linalg


def on_gpu(obj) -> bool:
    """Tell whether `obj` is a cupy array or a cupyx sparse matrix, without importing cupy.

    Parameters
    ----------
    obj : object
        Only the module of its type is looked at.

    Returns
    -------
    bool
        True for objects of the ``cupy`` and ``cupyx`` packages.

    Examples
    --------
    >>> import numpy as np
    >>> on_gpu(np.ones(2)), on_gpu([1.0])
    (False, False)
    """
    # Looking at the type's module avoids importing cupy just to ask the question.
    return type(obj).__module__.split(".", 1)[0] in ("cupy", "cupyx")


def _host_or_gpu_module(x, host: ModuleType, gpu: str) -> ModuleType:
    # the GPU module is imported only for an object that already belongs to cupy
    return importlib.import_module(gpu) if on_gpu(x) else host


def array_namespace(x) -> ModuleType:
    """Return the array module (``numpy`` or ``cupy``) that owns `x`.

    Parameters
    ----------
    x : array_like
        A numpy array, a cupy array, a cupyx sparse matrix, or anything numpy can
        convert (lists, scalars).

    Returns
    -------
    module
        ``cupy`` when `x` lives on a GPU, else ``numpy``.

    Examples
    --------
    >>> import numpy as np
    >>> array_namespace(np.zeros(3)).__name__
    'numpy'
    >>> array_namespace([1.0, 2.0]).__name__
    'numpy'
    """
    return _host_or_gpu_module(x, numpy, "cupy")


def is_sparse_matrix(obj) -> bool:
    """Tell whether `obj` is a scipy.sparse or cupyx.scipy.sparse matrix or array.

    Parameters
    ----------
    obj : object
        Anything.

    Returns
    -------
    bool

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> is_sparse_matrix(sp.eye_array(3)), is_sparse_matrix(np.eye(3))
    (True, False)
    """
    return bool(sparse_namespace(obj).issparse(obj))


def sparse_namespace(x) -> ModuleType:
    """Return the sparse-matrix module matching `x`: ``scipy.sparse`` or ``cupyx.scipy.sparse``.

    Parameters
    ----------
    x : array or sparse matrix
        Any object; a cupy array or cupyx sparse matrix selects cupyx.

    Returns
    -------
    module

    Examples
    --------
    >>> import numpy as np
    >>> sparse_namespace(np.ones(2)).__name__
    'scipy.sparse'
    """
    return _host_or_gpu_module(x, scipy.sparse, "cupyx.scipy.sparse")


def sparse_linalg_namespace(x) -> ModuleType:
    """Return the sparse linear-algebra module matching `x`.

    Parameters
    ----------
    x : array or sparse matrix
        Any object; a cupy array or cupyx sparse matrix selects
        ``cupyx.scipy.sparse.linalg``.

    Returns
    -------
    module
        ``scipy.sparse.linalg`` or ``cupyx.scipy.sparse.linalg``.

    Examples
    --------
    >>> import numpy as np
    >>> sparse_linalg_namespace(np.ones(2)).__name__
    'scipy.sparse.linalg'
    """
    return _host_or_gpu_module(x, scipy.sparse.linalg, "cupyx.scipy.sparse.linalg")
