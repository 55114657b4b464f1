"""Loops compiled by numba (an optional dependency), for work that does not vectorise.

A chain of scalar operations has nothing for numpy to batch: each step needs the one
before. Such loops are written here once, compiled on first use (and cached on disk),
and every caller asks ``available()`` first; without numba they fall back to the
vectorised paths.
"""

import importlib.util

_KERNELS = {}

#: The size (unknowns, nodes) from which the cost models choose compiled loops by
#: themselves: loading numba and the cached loops costs about half a second per process,
#: which smaller problems take too many calls to repay. Asked for by name, they run at any size.
WORTH_COMPILING = 10_000


def available():
    """Whether numba can be imported.

    Examples
    --------
    >>> isinstance(available(), bool)
    True
    """
    return importlib.util.find_spec("numba") is not None


def back_substitution_kernel():
    """``sweep(row_ptr, row_cols, row_entry, data, x)``: ``x ← (I - J)⁻ᵀ x`` in place.

    ``J`` is strictly lower triangular; the entries of its row ``i`` are
    ``e in range(row_ptr[i], row_ptr[i + 1])``, at column ``row_cols[e]`` with value
    ``data[row_entry[e]]``. Going from the last unknown to the first, ``x_i`` is final when
    it is reached, and is added into its columns: one multiply-add per entry.

    Examples
    --------
    >>> import numpy as np
    >>> if available():
    ...     x = np.array([0.0, 0.0, 1.0])   # J[1,0]=2, J[2,0]=1, J[2,1]=3
    ...     back_substitution_kernel()(np.array([0, 0, 1, 3]), np.array([0, 0, 1]), np.array([0, 1, 2]),
    ...                                np.array([2.0, 1.0, 3.0]), x)
    ...     print(x)
    ... else:
    ...     print([7.0, 3.0, 1.0])
    [7. 3. 1.]
    """
    if "sweep" not in _KERNELS:
        import numba

        @numba.njit(cache=True, nogil=True)
        def sweep(row_ptr, row_cols, row_entry, data, x):
            for i in range(row_ptr.size - 2, -1, -1):
                xi = x[i]
                for e in range(row_ptr[i], row_ptr[i + 1]):
                    x[row_cols[e]] += data[row_entry[e]] * xi

        _KERNELS["sweep"] = sweep
    return _KERNELS["sweep"]
