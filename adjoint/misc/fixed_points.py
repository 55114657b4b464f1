"""autograd's ``fixed_point(f, a, x0, distance, tol)`` (``autograd.misc.fixed_points``) on ``adjoint.fixed_point``.

autograd's ``f(a)`` returns the map ``x -> x_new``; ``adjoint.fixed_point`` takes the map
``(z, a) -> z_new``. This adapter passes the one as the other, so the solve, and its
derivative with respect to ``a`` by the implicit function theorem (one adjoint solve of
``(I - ∂f/∂z)ᵀ λ = ḡ``), are the library's.

The stopping rule is the library's: the Euclidean norm of the residual ``f(a)(z) - z`` at
most ``tol`` (``atol=tol``, ``rtol=0``). autograd stops when ``distance(x, x_prev) <= tol``
for successive iterates, which for a Euclidean ``distance`` is the same test; ``distance``
is applied once more to the returned point, to verify it.
"""

import numpy as np

from adjoint.errors import ConvergenceError
from adjoint.implicit.fixed_point import fixed_point as _solve
from adjoint.pytree import tree_flatten, tree_unflatten
from graphs.tape import Traced

__all__ = ["fixed_point"]


def fixed_point(f, a, x0, distance, tol, *, forward="fixed_point", adjoint="auto", maxiter=None):
    """The fixed point ``x* = f(a)(x*)``, differentiable with respect to ``a``.

    Parameters
    ----------
    f : callable
        ``f(a)`` returns the map ``x -> x_new`` (written with ``adjoint.numpy``), a
        contraction near the fixed point for the default forward method. Every traced value
        it depends on must come in through ``a``, not from an enclosing function.
    a : array, or nested lists / tuples / dicts of arrays
        The parameters; under ``adjoint.grad`` they may be traced, and ``x*`` is then traced.
    x0 : array_like
        The first iterate; ``x*`` has its shape.
    distance : callable
        ``distance(x, y)``, a number. The solve stops on the Euclidean norm of the residual;
        ``distance(f(a)(x*), x*)`` is checked to be at most ``tol`` afterwards.
    tol : float
        The tolerance, > 0.
    forward, adjoint, maxiter :
        Passed to ``adjoint.fixed_point`` (not in autograd): the forward method (default
        Picard iteration, as autograd), the linear method of the adjoint solve, and the
        iteration limit.

    Returns
    -------
    x_star : ndarray (traced where ``a`` is)

    Raises
    ------
    ConvergenceError
        If the solve does not converge, or ``distance(f(a)(x*), x*) > tol`` at its result
        (a ``distance`` much stricter than the Euclidean norm).

    Examples
    --------
    ``x = a cos(x)``: differentiating ``x* = a cos(x*)`` gives ``dx*/da = cos(x*) / (1 + a sin(x*))``.

    >>> import numpy as np
    >>> import adjoint
    >>> import adjoint.numpy as anp
    >>> f = lambda a: lambda x: a * anp.cos(x)
    >>> dist = lambda x, y: anp.abs(x - y)
    >>> x = fixed_point(f, 0.5, 0.0, dist, 1e-12)
    >>> bool(abs(x - 0.5 * np.cos(x)) < 1e-12)
    True
    >>> dx = adjoint.grad(lambda a: fixed_point(f, a, 0.0, dist, 1e-12))(0.5)
    >>> bool(abs(dx - np.cos(x) / (1 + 0.5 * np.sin(x))) < 1e-10)
    True
    """
    z = _solve(lambda z, a: f(a)(z), x0, a, forward=forward, adjoint=adjoint,
               rtol=0.0, atol=tol, maxiter=maxiter)
    # Verified on plain values: a traced check would record an unused branch on the caller's tape.
    leaves, treedef = tree_flatten(a)
    plain_a = tree_unflatten(treedef, [leaf.value if isinstance(leaf, Traced) else leaf for leaf in leaves])
    plain_z = z.value if isinstance(z, Traced) else z
    gap = distance(f(plain_a)(plain_z), plain_z)
    gap = gap.value if isinstance(gap, Traced) else gap
    if not np.all(np.asarray(gap) <= tol):
        raise ConvergenceError(
            f"fixed_point: the solve stopped at a Euclidean residual norm <= tol={tol!r}, but "
            f"distance(f(a)(x), x) = {gap!r} > tol; pass a smaller tol, or a distance comparable "
            f"to the Euclidean norm"
        )
    return z
