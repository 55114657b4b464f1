"""``root``: ``z*`` with ``F(z*, *params) = 0`` inside traced code, differentiable in ``params``.

A root is the implicit node of a residual constraint (``ConstraintGraph.add_residual``):
solved forward by Newton on ``F`` with a line search on ``‖F‖²`` (the Jacobian ``∂F/∂z``
assembled sparse from the primitives' partial rules), or matrix-free by Newton–Krylov;
differentiated by the adjoint ``(∂F/∂z)ᵀ λ = ḡ`` and the contributions ``-(∂F/∂params)ᵀ λ``,
tangents by ``(∂F/∂z) ż = -(∂F/∂params) ṗ``, to any order (see
``adjoint.implicit.implicit_node``).
"""

from adjoint.graph.settings import checked_settings
from adjoint.implicit.implicit_node import solve_implicit


def root(F, z0, *params, forward="newton", adjoint="auto", rtol=None, atol=None, maxiter=None,
         forward_options=None, adjoint_options=None, throw=True, check_finite=True, callback=None,
         progress=False, full_output=False):
    """The root ``z*`` of ``F(z*, *params) = 0``, differentiable with respect to ``params``.

    Parameters
    ----------
    F : callable
        ``F(z, *params)`` written with ``adjoint.numpy``, returning an array of ``z``'s shape
        (one equation per unknown); it must receive every traced value it uses through
        ``params``.
    z0 : array_like
        Newton's starting point; ``z*`` has its shape.
    *params : arrays, or lists / tuples / dicts of arrays
        Parameters; traced ones get derivatives.
    forward : {"newton", "newton_krylov", "auto"}
        ``"newton"`` (and ``"auto"``): Newton with the assembled sparse ``∂F/∂z`` and sparse
        LU, backtracking on ``‖F‖²``; ``"newton_krylov"``: GMRES on JVPs, nothing assembled
        (for large dense Jacobians). Options (``forward_options``): ``damping``,
        ``line_search``, and for Newton–Krylov ``forcing``, ``inner_maxiter``, ``restart``.
        The derivative-free methods (``"fixed_point"``, ``"anderson"``) iterate
        ``z ← z - F(z)``, which converges only where that map happens to contract.
    adjoint : str
        The linear method for ``(∂F/∂z)ᵀ λ = ḡ``: ``"auto"`` (sparse direct up to 2000
        unknowns, else GMRES), ``"direct"``, ``"gmres"``, ``"bicgstab"``, ``"lgmres"``,
        ``"minres"`` (symmetric ``∂F/∂z``), ``"cg"`` (symmetric positive definite); the
        methods that need a contraction (``"fixed_point"``, ``"neumann"``, ``"jfb"``) are
        refused, as a residual gives none.
    rtol, atol, maxiter, forward_options, adjoint_options, throw, check_finite, callback, progress :
        As for ``adjoint.fixed_point``; the stopping rule is ``‖F(z)‖ <= rtol ‖z‖ + atol``.
    full_output : bool
        Also return the ``BlockReport``; its ``forward`` report holds Newton's iterations and
        residuals.

    Returns
    -------
    z_star : array, traced where a parameter is
    report : BlockReport
        Only with ``full_output``.

    Raises
    ------
    ConvergenceError
        Newton did not converge (the message gives the reason, residual and iterations).
    SingularSystemError
        ``∂F/∂z`` is singular at the root (a fold, or a root that is not isolated).

    Examples
    --------
    >>> import adjoint
    >>> import adjoint.numpy as anp
    >>> def cube_root(a):
    ...     return adjoint.root(lambda z, a: z ** 3 - a, 1.0, a)
    >>> round(float(cube_root(8.0)), 12), round(float(adjoint.grad(cube_root)(8.0)), 12)  # 1 / (3 z²)
    (2.0, 0.083333333333)
    """
    settings = checked_settings(None, locals())
    z_star, report = solve_implicit("root", F, z0, params, settings, residual=True)
    return (z_star, report) if full_output else z_star
