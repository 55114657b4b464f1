"""``(I - J)ᵀ x = b`` for a strictly lower-triangular ``J`` of fixed pattern and new values.

The adjoint system of an acyclic program in topological order. The pattern ``(rows, cols)``
(``rows > cols``) is analysed once; each solve takes new values of the entries. Two ways:

``"levels"``
    Level scheduling. Unknowns are numbered so that each *level* is a contiguous range and
    an entry ``J[i, j]`` always has ``i`` in a later level than ``j``. Going from the last
    level to the first, ``x_L = b_L + (J_{>L, L})ᵀ x_{>L}`` is one gather, one product and
    one ``bincount`` per level: few calls when levels are wide, one per unknown on a chain.
``"spsolve"``
    ``scipy.sparse.linalg.spsolve_triangular`` (``cupyx`` on a GPU) on ``(I - J)ᵀ``
    assembled in CSC form, the pattern fixed at analysis: cost proportional to the
    nonzeros, whatever the levels.

``"compiled"``
    Back-substitution entry by entry in a loop compiled by numba
    (``solvers.compiled_loops``; numba is optional): a few nanoseconds per entry and per
    unknown, whatever the levels. Host arrays only.

``"levels"`` and ``"spsolve"`` are written against the array namespace of the values
(``solvers.backend``), so the same code runs on numpy or cupy arrays.
"""

import numpy as np
import scipy.sparse as sp

from . import compiled_loops
from .backend import array_namespace, sparse_linalg_namespace, sparse_namespace

METHODS = ("levels", "spsolve", "compiled")

# Rough per-call and per-entry costs (seconds) on one CPU core, measured on the machine of
# benchmarks/run.py; only their ratios matter, to rule out a method that is clearly slower.
LEVEL_COST, LEVEL_ENTRY_COST = 8e-6, 12e-9
SPSOLVE_COST, SPSOLVE_ENTRY_COST, SPSOLVE_ROW_COST = 3e-4, 35e-9, 25e-9
COMPILED_COST, COMPILED_ENTRY_COST, COMPILED_ROW_COST = 5e-6, 3e-9, 2e-9


class TriangularPattern:
    """The analysed pattern of a strictly lower-triangular ``n × n`` matrix ``J``.

    Parameters
    ----------
    n : int
        Number of unknowns.
    rows, cols : array of int
        Entry ``e`` is ``J[rows[e], cols[e]]``; ``rows[e] > cols[e]``. Repeated pairs add up.
    level_starts : array of int, optional
        Start of each level (ascending, from 0); every entry's row lies in a later level
        than its column. Without it, every unknown is its own level.

    Examples
    --------
    >>> import numpy as np
    >>> pattern = TriangularPattern(3, rows=[1, 2, 2], cols=[0, 0, 1])
    >>> data = np.array([2.0, 1.0, 3.0])   # J[1,0]=2, J[2,0]=1, J[2,1]=3
    >>> b = np.array([0.0, 0.0, 1.0])
    >>> x_l = pattern.solve(data, b, "levels")
    >>> x_s = pattern.solve(data, b, "spsolve")
    >>> x_l, bool(np.allclose(x_l, x_s))
    (array([7., 3., 1.]), True)
    >>> from solvers import compiled_loops
    >>> methods = METHODS if compiled_loops.available() else ("levels", "spsolve")
    >>> all(np.allclose(pattern.solve(data, b, m), x_l) for m in methods)
    True
    """

    def __init__(self, n, rows, cols, level_starts=None):
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        if rows.shape != cols.shape or rows.ndim != 1:
            raise ValueError("rows and cols must be 1-D arrays of one length")
        if rows.size and not np.all(rows > cols):
            raise ValueError("J must be strictly lower triangular: every row index > its column")
        self.n, self.nnz = int(n), int(rows.size)
        if level_starts is None:
            level_starts = np.arange(self.n)
        self.level_starts = np.append(np.asarray(level_starts, dtype=np.int64), self.n)
        self._analyse_levels(rows, cols)
        self._analyse_csc(rows, cols)
        self._csr = None  # the compiled sweep's row-wise view, made on first use
        self._device = {}  # the index arrays copied to another array namespace, by its name

    @property
    def n_levels(self):
        return len(self.level_starts) - 1

    def _analyse_levels(self, rows, cols):
        # Entries ordered by column (their column's level is then ascending too); per level
        # the range of entries whose column lies in it.
        order = np.argsort(cols)  # any order within a column will do
        self.level_perm = order
        self.level_rows = rows[order]
        self.level_cols = col_sorted = cols[order]
        level_of_col = np.searchsorted(self.level_starts, col_sorted, side="right") - 1
        self.level_local = col_sorted - self.level_starts[level_of_col]
        self.level_entry_starts = np.searchsorted(col_sorted, self.level_starts)

    def _analyse_csc(self, rows, cols):
        # (I - J)ᵀ in CSC: column i of it is row i of I - J, so its row indices are the
        # columns j of J[i, :] and i itself (the unit diagonal, stored explicitly so that
        # spsolve_triangular's setdiag does not insert entries).
        n = self.n
        all_cols = np.concatenate([rows, np.arange(n)])  # the CSC column of each entry
        all_rows = np.concatenate([cols, np.arange(n)])
        key = all_cols * n + all_rows  # sorts by CSC column, then row (n² < 2⁶³ for n < 3e9)
        order = np.argsort(key)
        key = key[order]
        first = np.concatenate([[True], key[1:] != key[:-1]])
        unique_of_sorted = np.cumsum(first) - 1
        slot = np.empty(order.size, dtype=np.int64)
        slot[order] = unique_of_sorted
        self.csc_size = int(first.sum())
        self.csc_indices = all_rows[order][first].astype(np.int32)
        self.csc_indptr = np.searchsorted(all_cols[order][first], np.arange(n + 1)).astype(np.int32)
        self.entry_slot, self.diag_slot = slot[: self.nnz], slot[self.nnz:]
        self.has_duplicates = self.csc_size != self.nnz + n

    # --- cost model --------------------------------------------------------------------
    @staticmethod
    def estimate(n, nnz, n_levels):
        """Rough seconds of one solve per method, for ``n`` unknowns, ``nnz`` entries."""
        costs = {
            "levels": LEVEL_COST * n_levels + LEVEL_ENTRY_COST * (nnz + n),
            "spsolve": SPSOLVE_COST + SPSOLVE_ENTRY_COST * nnz + SPSOLVE_ROW_COST * n,
        }
        if n >= compiled_loops.WORTH_COMPILING and compiled_loops.available():
            costs["compiled"] = COMPILED_COST + COMPILED_ENTRY_COST * nnz + COMPILED_ROW_COST * n
        return costs

    def estimated_seconds(self, method):
        """A rough cost of one solve by ``method``, to rule out clearly slower methods."""
        return self.estimate(self.n, self.nnz, self.n_levels)[method]

    def candidates(self, factor=4.0, host=True):
        """The available methods whose estimated cost is within ``factor`` of the cheapest
        (``host=False``: for device arrays, where the compiled loop does not run)."""
        costs = self.estimate(self.n, self.nnz, self.n_levels)
        if not host:
            costs.pop("compiled", None)
        best = min(costs.values())
        return [m for m in METHODS if m in costs and costs[m] <= factor * best]

    # --- solves ------------------------------------------------------------------------
    def solve(self, data, b, method="spsolve"):
        """``x`` with ``(I - J)ᵀ x = b``, ``J``'s entries being ``data`` (in pattern order)."""
        if method == "levels":
            return self._solve_levels(data, b)
        if method == "spsolve":
            return self._solve_spsolve(data, b)
        if method == "compiled":
            return self._solve_compiled(data, b)
        raise ValueError(f"unknown triangular method {method!r}; choose one of {METHODS}")

    def _on(self, xp, name):
        """The index array ``name`` in namespace ``xp`` (copied to the GPU once)."""
        host = getattr(self, name)
        if xp is np:
            return host
        key = (xp.__name__, name)
        if key not in self._device:
            self._device[key] = xp.asarray(host)
        return self._device[key]

    def _solve_levels(self, data, b):
        xp = array_namespace(data)
        x = xp.array(b, dtype=xp.float64, copy=True)
        dP = data[self._on(xp, "level_perm")]
        rows_p, local = self._on(xp, "level_rows"), self._on(xp, "level_local")
        starts, estarts = self.level_starts, self.level_entry_starts
        for L in range(self.n_levels - 1, -1, -1):
            es, ee = estarts[L], estarts[L + 1]
            if es == ee:
                continue
            s, e = starts[L], starts[L + 1]
            w = dP[es:ee] * x[rows_p[es:ee]]
            if e - s == 1:
                x[s] += w.sum()
            else:
                x[s:e] += xp.bincount(local[es:ee], weights=w, minlength=e - s)
        return x

    def _solve_compiled(self, data, b):
        if not compiled_loops.available():
            raise ImportError("the 'compiled' triangular method needs numba: pip install numba "
                              "(or choose 'levels' or 'spsolve')")
        if array_namespace(data) is not np:
            raise ValueError("the 'compiled' triangular method runs on host arrays; choose 'levels' or 'spsolve'")
        if self._csr is None:
            rows, cols = self.level_rows, self.level_cols
            order = np.argsort(rows, kind="stable")
            self._csr = (np.searchsorted(rows[order], np.arange(self.n + 1)), cols[order], self.level_perm[order])
        x = np.array(b, dtype=np.float64, copy=True)
        compiled_loops.back_substitution_kernel()(*self._csr, np.ascontiguousarray(data, dtype=np.float64), x)
        return x

    def _solve_spsolve(self, data, b):
        xp = array_namespace(data)
        if self.has_duplicates:
            values = xp.bincount(self._on(xp, "entry_slot"), weights=-data, minlength=self.csc_size)
        else:
            values = xp.empty(self.csc_size, dtype=xp.float64)
            values[self._on(xp, "entry_slot")] = -data
        values[self._on(xp, "diag_slot")] = 1.0
        shape = (self.n, self.n)
        indices, indptr = self._on(xp, "csc_indices"), self._on(xp, "csc_indptr")
        rhs = xp.array(b, dtype=xp.float64, copy=True)
        if xp is np:
            M = sp.csc_array((values, indices, indptr), shape=shape)
            return sp.linalg.spsolve_triangular(
                M, rhs, lower=False, overwrite_A=True, overwrite_b=True, unit_diagonal=True
            )
        # cupyx solves CSR systems: the transpose of this CSC array is I - J in CSR form.
        M = sparse_namespace(data).csc_matrix((values, indices, indptr), shape=shape).tocsr()
        return sparse_linalg_namespace(data).spsolve_triangular(M, rhs, lower=False, unit_diagonal=True)
