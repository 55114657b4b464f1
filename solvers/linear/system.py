"""The linear system ``(I - K) x = b``, whatever form ``K`` is given in.

``K`` may be a scipy (or cupyx) sparse matrix, a dense 2-D array, a
``scipy.sparse.linalg.LinearOperator`` or a plain callable ``v -> K v``. This
module hides the difference: it applies ``K`` (counting every application),
computes residuals, assembles ``I - K`` when ``K`` is explicit, and wraps
``v -> v - K v`` as a LinearOperator for scipy's Krylov solvers.
"""

import numpy
import scipy.sparse.linalg

from ..backend import array_namespace, is_sparse_matrix, sparse_namespace
from ..counted_map import CountedMap


def is_explicit(K) -> bool:
    """Tell whether `K` is an explicit matrix (sparse, or a dense 2-D array).

    Parameters
    ----------
    K : object

    Returns
    -------
    bool

    Examples
    --------
    >>> import numpy as np
    >>> is_explicit(np.eye(2)), is_explicit(lambda v: v)
    (True, False)
    """
    if is_sparse_matrix(K):
        return True
    return getattr(K, "ndim", None) == 2 and hasattr(K, "__matmul__") and not hasattr(
        K, "matvec"
    )


def _describe(K) -> str:
    return type(K).__module__ + "." + type(K).__qualname__


class LinearSystem:
    """``(I - K) x = b`` with ``K`` in any accepted form.

    Parameters
    ----------
    K : sparse matrix, 2-D array, LinearOperator or callable
        The operator; its shape must be ``(n, n)`` with ``n = b.size``.
    b : array
        Right-hand side, a finite 1-D float64 vector.

    Attributes
    ----------
    explicit : bool
        Whether `K` is a sparse or dense matrix.
    applications : int
        Applications of ``K`` (or of an assembled ``I - K``) so far.
    operator_applications : int
        Applications of the LinearOperator from :meth:`operator` so far.

    Raises
    ------
    TypeError
        If `K` is none of the accepted forms.
    ValueError
        If its shape is not ``(n, n)``.

    Examples
    --------
    >>> import numpy as np
    >>> system = LinearSystem(np.array([[0.5]]), np.array([1.0]))
    >>> system.residual(np.array([2.0]))
    array([0.])
    >>> system.applications
    1
    """

    def __init__(self, K, b):
        if isinstance(K, numpy.matrix):
            # np.matrix @ vector is 2-D; a plain array keeps products 1-D
            K = numpy.asarray(K)
        self.K = K
        self.b = b
        self.n = b.shape[0]
        self.xp = array_namespace(b)
        self.explicit = is_explicit(K)
        shape = getattr(K, "shape", None)
        if self.explicit or hasattr(K, "matvec"):
            if shape is None or tuple(shape) != (self.n, self.n):
                raise ValueError(
                    f"K must have shape ({self.n}, {self.n}) to match b of length "
                    f"{self.n}, got shape {shape}"
                )
        if self.explicit:
            product = K.__matmul__
        elif hasattr(K, "matvec"):
            product = K.matvec
        elif callable(K):
            product = K
        else:
            raise TypeError(
                "K must be a scipy.sparse matrix, a dense 2-D array, a "
                f"scipy.sparse.linalg.LinearOperator or a callable v -> K v, got {_describe(K)}"
            )
        self._apply_K = CountedMap(product, "K", self.n, like=b)
        self._assembled = None
        self._assembled_applications = 0
        self.operator_applications = 0

    @property
    def applications(self) -> int:
        """Applications of ``K`` or of the assembled ``I - K``, all counted."""
        return self._apply_K.calls + self._assembled_applications

    def apply(self, v):
        """Return ``K v``, counted.

        Parameters
        ----------
        v : array
            Vector of length ``n``.

        Returns
        -------
        array

        Examples
        --------
        >>> import numpy as np
        >>> LinearSystem(lambda v: 3 * v, np.ones(2)).apply(np.ones(2))
        array([3., 3.])
        """
        return self._apply_K(v)

    def residual(self, x):
        """Return ``r = b - (x - K x)``, counted as one application.

        Parameters
        ----------
        x : array

        Returns
        -------
        array

        Examples
        --------
        >>> import numpy as np
        >>> LinearSystem(np.zeros((2, 2)), np.ones(2)).residual(np.ones(2))
        array([0., 0.])
        """
        return self.b - x + self.apply(x)

    def assemble(self, sparse: bool):
        """Return ``I - K`` as a matrix; `K` must be explicit.

        Parameters
        ----------
        sparse : bool
            ``True``: a CSC sparse matrix whatever the form of `K` (for SuperLU).
            ``False``: CSR if `K` is sparse, else a dense array (for matvecs).

        Returns
        -------
        sparse matrix or array

        Raises
        ------
        ValueError
            If `K` is a LinearOperator or callable.

        Examples
        --------
        >>> import numpy as np
        >>> LinearSystem(np.eye(2) / 2, np.ones(2)).assemble(sparse=False)
        array([[0.5, 0. ],
               [0. , 0.5]])
        """
        if not self.explicit:
            raise ValueError(
                "I - K can only be assembled from an explicit K (sparse or dense "
                f"matrix), got {_describe(self.K)}"
            )
        if is_sparse_matrix(self.K) or sparse:
            sp = sparse_namespace(self.K)
            K = self.K if is_sparse_matrix(self.K) else sp.csc_matrix(self.K)
            identity = sp.identity(self.n, dtype=numpy.float64, format="csc")
            matrix = (identity - K).astype(numpy.float64)
            return matrix.tocsc() if sparse else matrix.tocsr()
        return self.xp.eye(self.n) - self.xp.asarray(self.K, dtype=self.xp.float64)

    def operator(self) -> scipy.sparse.linalg.LinearOperator:
        """Return ``I - K`` as a counted LinearOperator, for scipy's Krylov solvers.

        If `K` is explicit, ``I - K`` is assembled once and applied as a matrix,
        which is cheaper than ``v - K v``. Its applications are also counted
        separately in :attr:`operator_applications`, which tells a Krylov method's
        own steps from the residual checks made around it.

        Returns
        -------
        scipy.sparse.linalg.LinearOperator

        Examples
        --------
        >>> import numpy as np
        >>> A = LinearSystem(lambda v: v / 2, np.ones(2)).operator()
        >>> A.matvec(np.ones(2))
        array([0.5, 0.5])
        """
        if self.explicit:
            if self._assembled is None:
                self._assembled = self.assemble(sparse=False)

            def matvec(v):
                self._assembled_applications += 1
                self.operator_applications += 1
                return self._assembled @ numpy.ravel(v)

        else:

            def matvec(v):
                self.operator_applications += 1
                v = numpy.ravel(v)
                return v - self.apply(v)

        return scipy.sparse.linalg.LinearOperator(
            (self.n, self.n), matvec=matvec, dtype=numpy.float64
        )
