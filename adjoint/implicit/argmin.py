"""``argmin``: the minimiser ``z* = argmin_z g(z, *params)``, differentiable in ``params``.

A minimiser is the root of its optimality condition, so ``argmin`` is ``root`` of
``∇_z g(z, params) = 0`` (bilevel optimisation): the adjoint system is ``∇²_zz g λ = ḡ``
with the Hessian's entries composed from the primitives' partial rules (sparse where the
Hessian is), and the parameters receive ``-(∂²g/∂z∂params)ᵀ λ``. With equality constraints
``h(z, params) = 0`` it is the root of the KKT conditions of the inner Lagrangian
``g + νᵀ h`` in ``(z, ν)``: ``∇_z g + (∂h/∂z)ᵀ ν = 0``, ``h = 0``; the inner multipliers ``ν``
come back in the report, differentiable too.

The forward solve is Newton on those conditions (``method="newton"``, which finds stationary
points: start it near the minimum), or ``scipy.optimize.minimize`` fed with this library's
gradient and Hessian-vector products (``"trust-ncg"``, ``"lbfgs"``, and ``"slsqp"`` with
constraints), whose answer Newton then polishes to the tolerance before it is differentiated.
"""

from dataclasses import dataclass

import numpy as np
import scipy.optimize

import adjoint.numpy as anp
from adjoint.errors import InvalidArgumentError
from adjoint.graph.solution import BlockReport
from adjoint.implicit.root import root
from adjoint.pytree import flatten
from adjoint.tape.jvp import jacobian, make_jvp
from adjoint.tape.vjp import make_vjp
from graphs.tape import plain_value

#: ``method`` -> the ``scipy.optimize.minimize`` method it stands for (``None``: Newton here).
METHODS = {"newton": None, "trust-ncg": "trust-ncg", "lbfgs": "L-BFGS-B", "slsqp": "SLSQP"}
_CONSTRAINED = ("newton", "slsqp")


@dataclass
class ArgminReport:
    """How an ``argmin`` was solved.

    Attributes
    ----------
    block : BlockReport
        The implicit node's report: Newton's forward solve (the polish, after a scipy
        method), and the adjoint or tangent solve once a derivative has been taken.
    multipliers : array or None
        The inner multipliers ``ν`` of the equality constraints (``∇_z g + (∂h/∂z)ᵀ ν = 0``),
        traced where a parameter is; ``None`` without constraints.
    optimizer : scipy.optimize.OptimizeResult or None
        scipy's result for the scipy methods; ``None`` for ``"newton"``.
    """

    block: BlockReport
    multipliers: object = None
    optimizer: object = None


def argmin(g, z0, *params, method="newton", constraints=None, adjoint="auto", rtol=None, atol=None,
           maxiter=None, forward_options=None, adjoint_options=None, throw=True, check_finite=True,
           callback=None, progress=False, full_output=False):
    """The minimiser ``z* = argmin_z g(z, *params)`` (subject to ``constraints(z, *params) = 0``).

    Parameters
    ----------
    g : callable
        ``g(z, *params) -> scalar``, written with ``adjoint.numpy``; every traced value it uses
        comes in through ``params``.
    z0 : array_like
        The starting point; ``z*`` has its shape.
    *params : arrays, or lists / tuples / dicts of arrays
        Parameters; traced ones get derivatives (hypergradients).
    method : {"newton", "trust-ncg", "lbfgs", "slsqp"}
        ``"newton"``: Newton on ``∇g = 0`` (or on the KKT conditions) with the assembled
        Hessian and a line search on the gradient's norm; it converges to the stationary
        point near ``z0``. ``"trust-ncg"`` and ``"lbfgs"``: ``scipy.optimize.minimize``
        (``trust-ncg`` with Hessian-vector products, ``L-BFGS-B`` with gradients), then
        Newton polishes. ``"slsqp"``: scipy's SLSQP, for ``constraints``.
    constraints : callable, optional
        ``h(z, *params) -> array``: equality constraints ``h = 0`` (fewer than ``z``'s entries,
        with independent gradients at the solution). Methods ``"newton"`` and ``"slsqp"``.
    adjoint : str
        The linear method for the adjoint system, the Hessian (symmetric, positive definite
        at a strict minimum), or the KKT matrix (symmetric indefinite): ``"auto"`` (sparse
        direct on the assembled matrix up to 2000 unknowns, else GMRES on Hessian-vector
        products), ``"direct"``, ``"cg"`` (unconstrained), ``"minres"``, ``"gmres"``,
        ``"lgmres"``. (BiCGSTAB breaks down on a KKT system whose right-hand side has no
        constraint part, which is what a derivative of ``z`` gives it.)
    rtol, atol, maxiter, forward_options, adjoint_options, throw, check_finite, callback, progress :
        As for ``adjoint.root``, applied to Newton on the optimality conditions (the stopping
        rule is ``‖∇_z g‖ <= rtol ‖z‖ + atol``, for the KKT residual with constraints).
    full_output : bool
        Also return an ``ArgminReport`` (the inner multipliers are there).

    Returns
    -------
    z_star : array, traced where a parameter is
    report : ArgminReport
        Only with ``full_output``.

    Examples
    --------
    Ridge regression's solution as a function of its penalty, and its derivative
    ``dz/dα = -(XᵀX + αI)⁻¹ z``:

    >>> import numpy as np
    >>> import adjoint
    >>> import adjoint.numpy as anp
    >>> X, y = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]]), np.array([1.0, 0.0, 2.0])
    >>> def ridge(alpha):
    ...     loss = lambda w, alpha: anp.sum((X @ w - y) ** 2) / 2 + alpha * anp.sum(w ** 2) / 2
    ...     return adjoint.argmin(loss, np.zeros(2), alpha)
    >>> w = ridge(0.5)
    >>> closed = -np.linalg.solve(X.T @ X + 0.5 * np.eye(2), w)
    >>> bool(np.allclose(adjoint.jacobian(ridge)(0.5), closed, atol=1e-10))
    True
    """
    if method not in METHODS:
        raise InvalidArgumentError(f"unknown argmin method {method!r}; choose one of {', '.join(METHODS)}")
    if constraints is not None and method not in _CONSTRAINED:
        raise InvalidArgumentError(
            f"argmin method {method!r} is for unconstrained problems; with constraints= use "
            f"method='newton' (on the KKT conditions) or method='slsqp'"
        )
    if constraints is None and method == "slsqp":
        raise InvalidArgumentError("argmin method 'slsqp' is for constrained problems; without constraints= "
                                   "use 'newton', 'trust-ncg' or 'lbfgs'")
    if constraints is not None and not callable(constraints):
        raise InvalidArgumentError(f"constraints must be a function h(z, *params) -> array, got {constraints!r}")
    settings = dict(adjoint=adjoint, rtol=rtol, atol=atol, maxiter=maxiter, forward_options=forward_options,
                    adjoint_options=adjoint_options, throw=throw, check_finite=check_finite, callback=callback,
                    progress=progress)
    shape = np.shape(plain_value(z0))
    start = np.array(plain_value(z0), dtype=np.float64)
    plain_params = _plain(params)
    optimizer = None
    if METHODS[method] is not None:
        optimizer = _scipy_minimize(g, constraints, start, plain_params, METHODS[method])
        start = optimizer.x.reshape(shape)
    if constraints is None:
        z_star, block = root(_gradient_of(g), start, *params, forward="newton", full_output=True, **settings)
        report = ArgminReport(block, None, optimizer)
        return (z_star, report) if full_output else z_star

    n = int(np.prod(shape))
    m = int(np.size(constraints(start, *plain_params)))
    if m >= n:
        raise InvalidArgumentError(
            f"argmin has {m} equality constraints on {n} unknowns; a minimiser under constraints needs "
            f"fewer constraints than unknowns"
        )
    w0 = np.concatenate([start.ravel(), _least_squares_multipliers(g, constraints, start, plain_params)])
    w, block = root(_kkt_residual(g, constraints, shape, n), w0, *params, forward="newton", full_output=True,
                    **settings)
    z_star, nu = anp.reshape(w[:n], shape), w[n:]
    report = ArgminReport(block, nu, optimizer)
    return (z_star, report) if full_output else z_star


def _gradient_of(g):
    """``(z, *params) -> ∇_z g(z, *params)``, in traced operations (it is differentiated again)."""

    def gradient(z, *ps):
        vjp, value = make_vjp(lambda z: g(z, *ps))(z)
        _require_scalar(value)
        return vjp(np.ones(()))

    return gradient


def _kkt_residual(g, h, shape, n):
    """``(w, *params) -> [∇_z (g + νᵀ h); h]`` with ``w = [ravel(z); ν]``: the KKT conditions."""

    def residual(w, *ps):
        z, nu = anp.reshape(w[:n], shape), w[n:]
        vjp, value = make_vjp(lambda z: g(z, *ps) + anp.sum(nu * anp.ravel(h(z, *ps))))(z)
        _require_scalar(value)
        return anp.concatenate([anp.ravel(vjp(np.ones(()))), anp.ravel(h(z, *ps))])

    return residual


def _least_squares_multipliers(g, h, z, params):
    """The ``ν`` that best satisfies ``∇g + (∂h/∂z)ᵀ ν = 0`` at ``z``: Newton's starting multipliers."""
    gradient = np.ravel(_gradient_of(g)(z, *params))
    return -np.linalg.lstsq(_constraint_jacobian(h, z, params).T, gradient, rcond=None)[0]


def _constraint_jacobian(h, z, params):
    """``∂h/∂z`` at ``z`` as an ``m × n`` array (``n`` entries of ``z``, ``m`` constraints)."""
    J = jacobian(lambda z: anp.ravel(h(z, *params)))(z)
    return np.reshape(J, (-1, np.size(z)))


def _scipy_minimize(g, h, z0, params, method):
    """``scipy.optimize.minimize`` of ``g`` from ``z0`` with this library's gradient (and Hessian products)."""
    shape = z0.shape
    gradient = _gradient_of(g)

    def fun(x):
        vjp, value = make_vjp(lambda z: g(z, *params))(x.reshape(shape))
        _require_scalar(value)
        return float(value), np.ravel(vjp(np.ones(())))

    def hessp(x, p):
        return np.ravel(make_jvp(lambda z: gradient(z, *params))(x.reshape(shape))(p.reshape(shape))[1])

    options = {"jac": True}
    if method == "trust-ncg":
        options.update(hessp=hessp, options={"gtol": 1e-8})
    elif method == "L-BFGS-B":
        options.update(options={"gtol": 1e-10, "ftol": 1e-15, "maxiter": 15000})
    else:  # SLSQP, with the equality constraints and their Jacobian
        options.update(constraints={"type": "eq", "fun": lambda x: np.ravel(h(x.reshape(shape), *params)),
                                    "jac": lambda x: _constraint_jacobian(h, x.reshape(shape), params)},
                       options={"ftol": 1e-12, "maxiter": 1000})
    return scipy.optimize.minimize(fun, z0.ravel(), method=method, **options)


def _plain(params):
    """``params`` with every traced leaf replaced by its value (for scipy, which sees plain floats)."""
    leaves, rebuild = flatten(list(params), "argmin parameter")
    return rebuild([np.asarray(plain_value(v), dtype=np.float64) for v in leaves])


def _require_scalar(value):
    if np.size(plain_value(value)) != 1:
        raise InvalidArgumentError(
            f"argmin's g must return a scalar (the objective), got an array of shape {np.shape(plain_value(value))}"
        )
