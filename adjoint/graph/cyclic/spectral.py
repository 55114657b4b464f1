"""The spectral radius of a cyclic block's reduced Jacobian ``∂F/∂T``: a contractivity check.

Picard iteration on the iterates, ``T ← F(T)``, converges locally when ``ρ(∂F/∂T) < 1``, and
the adjoint fixed-point iteration and Neumann series then converge at the same rate (same
spectrum, transposed); near 1 they crawl, above 1 they diverge and only Newton or a Krylov
solve will do. For ``fixed_point`` the reduced Jacobian is ``∂f/∂z`` itself.

The estimate is power iteration with its iterates kept: Arnoldi's method, whose Ritz values
(eigenvalues of the small Hessenberg matrix) use exactly the products ``K v, K² v, …`` that
power iteration computes. Plain power iteration does not settle when the dominant eigenvalues
are a complex pair or nearly tied in modulus, both common for real non-symmetric Jacobians;
the Krylov space of the same products resolves them. With ``steps >= n`` the answer is exact
to rounding. Each step is one JVP sweep through the block.
"""

import numpy as np
import scipy.sparse.linalg as spla

from adjoint.graph.cyclic.state import BlockState
from adjoint.graph.cyclic.substitution import forward_substitute_block

#: Arnoldi steps (JVP sweeps through the block) used by ``BlockReport.spectral_radius``.
DEFAULT_STEPS = 20


def reduced_jacobian(block, lins):
    """``∂F/∂T`` of a solved cyclic block as a ``scipy.sparse.linalg.LinearOperator``.

    Its matvec forward-substitutes the iterates' tangents through the block with the feedback
    edges cut (one JVP per node); nothing is assembled.

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> import adjoint.numpy as anp
    >>> g = adjoint.ConstraintGraph()
    >>> g.add_input("x")
    >>> g.add_constraint("z", lambda z, x: anp.array([0.5, 0.25]) * z + x, ["z", "x"], init=np.zeros(2))
    >>> op = adjoint.solve(g, {"x": np.ones(2)}).blocks[0].reduced_jacobian
    >>> op @ np.ones(2)
    array([0.5 , 0.25])
    """

    shapes = {t: lins[t].value.shape for t in block.iterates}
    state = BlockState(block.iterates, shapes)

    def matvec(v):
        _, new = forward_substitute_block(block, lins, state.unpack(np.ravel(v)), {})
        return state.pack(new)

    n = int(state.offsets[-1])
    return spla.LinearOperator((n, n), matvec=matvec, dtype=np.float64)


def spectral_radius(operator, steps=DEFAULT_STEPS, seed=0):
    """Estimate ``max |eigenvalue|`` of a square operator by ``steps`` Arnoldi steps.

    Parameters
    ----------
    operator : LinearOperator, ndarray or sparse matrix
        Anything with ``shape`` and ``@``.
    steps : int
        Products with the operator (capped at its size). With ``steps >= n`` the result is
        exact up to rounding; with fewer it is the largest Ritz value, which approaches the
        spectral radius from below as outer eigenvalues converge first.
    seed : int
        Seed of the random start vector (the estimate is reproducible).

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[0.0, -0.9], [0.9, 0.0]])   # eigenvalues ±0.9i: power iteration cycles
    >>> round(spectral_radius(A), 12)
    0.9
    """
    n = operator.shape[0]
    m = max(1, min(int(steps), n))
    rng = np.random.default_rng(seed)
    V = np.zeros((m + 1, n))
    H = np.zeros((m + 1, m))
    v = rng.standard_normal(n)
    V[0] = v / np.linalg.norm(v)
    size = m
    for j in range(m):
        w = np.asarray(operator @ V[j], dtype=np.float64).ravel()
        scale = np.linalg.norm(w)
        for _ in range(2):  # Gram–Schmidt twice: orthogonality to rounding, so Ritz values are honest
            coefficients = V[: j + 1] @ w
            H[: j + 1, j] += coefficients
            w = w - coefficients @ V[: j + 1]
        h = np.linalg.norm(w)
        H[j + 1, j] = h
        if h <= 1e-12 * max(scale, np.abs(H[: j + 1, : j + 1]).max(initial=0.0), 1e-300):
            size = j + 1  # an invariant subspace: its Ritz values are eigenvalues
            break
        V[j + 1] = w / h
    H = H[:size, :size]
    if not np.all(np.isfinite(H)):
        return float("nan")  # a diverged solve: there is no Jacobian worth estimating
    return float(np.max(np.abs(np.linalg.eigvals(H))))
