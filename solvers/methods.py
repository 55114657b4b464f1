"""The method names, their capabilities and the check of their settings, by kind.

``kind`` is ``"linear"`` (``(I - K) x = b``, :func:`solvers.solve_linear`) or
``"nonlinear"`` (``z = F(z)``, :func:`solvers.solve_fixed_point`). It must be
given: ``"fixed_point"`` is a method of both kinds.
"""

from collections.abc import Mapping

from .capabilities import LinearCapabilities, NonlinearCapabilities
from .errors import SolverSettingError
from .linear import LINEAR, LinearSolver
from .nonlinear import NONLINEAR, NonlinearSolver
from .registry import Solver

_SOLVERS: dict[str, type[Solver]] = {"linear": LinearSolver, "nonlinear": NonlinearSolver}


def _solver_class(kind) -> type[Solver]:
    if kind not in _SOLVERS:
        raise SolverSettingError(f"kind must be 'linear' or 'nonlinear', got {kind!r}")
    return _SOLVERS[kind]


def linear_methods() -> tuple[str, ...]:
    """Return the names :func:`solvers.solve_linear` accepts, in a stable order.

    Returns
    -------
    tuple of str
        Exact methods first, then the truncations (``"neumann"``, ``"jfb"``).

    Examples
    --------
    >>> linear_methods()
    ('direct', 'gmres', 'bicgstab', 'lgmres', 'minres', 'cg', 'petsc', 'fixed_point', 'neumann', 'jfb')
    """
    return LINEAR.names


def nonlinear_methods() -> tuple[str, ...]:
    """Return the names :func:`solvers.solve_fixed_point` accepts, in a stable order.

    Returns
    -------
    tuple of str
        Derivative-free methods first, then the Newton methods.

    Examples
    --------
    >>> nonlinear_methods()
    ('fixed_point', 'anderson', 'newton', 'newton_krylov')
    """
    return NONLINEAR.names


def capabilities(name: str, kind: str) -> LinearCapabilities | NonlinearCapabilities:
    """Return what the method `name` of `kind` needs and gives (:mod:`solvers.capabilities`).

    Parameters
    ----------
    name : str
        A method name of that kind.
    kind : {"linear", "nonlinear"}

    Returns
    -------
    LinearCapabilities or NonlinearCapabilities

    Raises
    ------
    SolverSettingError
        For an unknown name or kind.

    Examples
    --------
    >>> capabilities("direct", "linear").needs_matrix
    True
    >>> capabilities("jfb", "linear")  # doctest: +NORMALIZE_WHITESPACE
    LinearCapabilities(needs_matrix=False, exact=False, warm_start=False, gpu=True,
                       needs_contraction=True, prefers_matrix=False, true_residual=False)
    >>> capabilities("newton_krylov", "nonlinear")
    NonlinearCapabilities(needs_jacobian=False, needs_jvp=True, gpu=False)
    """
    return _solver_class(kind).registry[name].capabilities


def check_options(name: str, options: Mapping | None = None, *, kind: str, rtol=None,
                  atol=None, maxiter=None) -> dict:
    """Check every setting of a solve before any work; return the options it will use.

    The one validation of method names, method options (names and values),
    ``rtol``, ``atol`` and ``maxiter`` (rule: :mod:`solvers.tolerance`); the solve
    functions run the same checks.

    Parameters
    ----------
    name : str
        A method name of `kind`.
    options : mapping, optional
        The method's options, as they would be passed to the solve.
    kind : {"linear", "nonlinear"}
    rtol, atol, maxiter : optional
        ``None``: the default of `kind`. For ``"nonlinear"``, ``rtol`` and
        ``atol`` may not both be zero.

    Returns
    -------
    dict
        Every option of the method, the value given (checked) or the default.

    Raises
    ------
    SolverSettingError
        Naming the method and the setting at fault; for an unknown option, the
        valid ones.

    Examples
    --------
    >>> check_options("gmres", {"restart": 30}, kind="linear", rtol=1e-8)
    {'restart': 30}
    >>> check_options("anderson", {"memory": 3}, kind="nonlinear")
    {'memory': 3, 'damping': 1.0, 'regularization': 1e-10}
    >>> check_options("gmres", {"k": 3}, kind="linear")
    Traceback (most recent call last):
    ...
    solvers.errors.SolverSettingError: method 'gmres' has no option 'k'; its options are: restart
    >>> check_options("neumann", kind="linear", maxiter=0)
    Traceback (most recent call last):
    ...
    solvers.errors.SolverSettingError: maxiter must be a positive integer, got 0
    """
    solver = _solver_class(kind).coerce(name, dict(options or {}), rtol=rtol, atol=atol,
                                        maxiter=maxiter)
    return dict(solver.options)
