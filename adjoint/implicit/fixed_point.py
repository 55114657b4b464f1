"""``fixed_point``: ``z* = f(z*, *params)`` inside traced code, differentiable in ``params``.

The fixed point is one implicit node (``adjoint.implicit.implicit_node``): solved forward by
the cyclic-block solvers, differentiated by the adjoint ``(I - ∂f/∂z)ᵀ λ = ḡ`` and
``(∂f/∂params)ᵀ λ``, to any order.
"""

from adjoint.graph.settings import checked_settings
from adjoint.implicit.implicit_node import solve_implicit


def fixed_point(f, z0, *params, forward="auto", adjoint="auto", rtol=None, atol=None, maxiter=None,
                forward_options=None, adjoint_options=None, throw=True, check_finite=True,
                callback=None, progress=False, full_output=False):
    """The fixed point ``z* = f(z*, *params)``, differentiable with respect to ``params``.

    Parameters
    ----------
    f : callable
        ``f(z, *params)`` written with ``adjoint.numpy``; it must receive every traced value it
        uses through ``params`` (not capture it from an enclosing function).
    z0 : array_like
        The initial iterate; ``z*`` has its shape.
    *params : arrays, or lists / tuples / dicts of arrays
        Parameters; traced ones get derivatives.
    forward, adjoint, rtol, atol, maxiter, forward_options, adjoint_options, throw, check_finite :
        As for ``adjoint.solve``; e.g. ``adjoint="jfb"`` or ``adjoint="neumann"`` with
        ``adjoint_options={"k": 5}``. Tangents (``adjoint.jvp``) solve the non-transposed
        system ``(I - ∂f/∂z) ż = (∂f/∂params) ṗarams`` with the ``adjoint`` method.
    callback, progress :
        As for ``adjoint.solve``: ``callback(block_nodes, phase, iteration, residual)``.
    full_output : bool
        Also return the ``BlockReport`` (forward solve now; the adjoint or tangent solve's
        once a derivative has been taken), as scipy's ``fsolve(full_output=True)`` does.

    Returns
    -------
    z_star : array, traced where a parameter is
    report : BlockReport
        Only with ``full_output``.

    Examples
    --------
    >>> import adjoint
    >>> import adjoint.numpy as anp
    >>> def z_star(x):
    ...     return adjoint.fixed_point(lambda z, x: anp.cos(z) / 2 + x, 0.0, x)
    >>> x = 1.0
    >>> z = z_star(x)
    >>> bool(abs(adjoint.grad(z_star)(x) - 1 / (1 + anp.sin(z) / 2)) < 1e-12)
    True
    """
    settings = checked_settings(None, locals())
    z_star, report = solve_implicit("fixed_point", f, z0, params, settings, residual=False)
    return (z_star, report) if full_output else z_star
