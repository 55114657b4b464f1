"""The stopping rule shared by every solver in this package.

The rule
--------
A solve has converged when

    norm(r) <= max(rtol * norm(b), atol)

which is scipy's rule (``scipy.sparse.linalg.gmres`` and friends), with the
Euclidean norm.

* Linear solves of ``(I - K) x = b``: ``r = b - (x - K x)`` and ``b`` is the
  right-hand side. Defaults ``rtol = 1e-10``, ``atol = 0.0``. ``b == 0`` returns
  ``x = 0`` at once: converged, 0 iterations.
* Nonlinear solves of ``z = F(z)``: ``r = F(z) - z`` and the scale ``b`` is the
  current iterate ``z``. Defaults ``rtol = 1e-10``, ``atol = 1e-12``; they may not
  both be zero, because ``z`` may be (or tend to) zero.

The *relative residual* reported everywhere (``SolveReport.residual``, the
``residuals`` history and the ``residual`` argument of callbacks) is
``norm(r) / norm(b)`` (linear) or ``norm(r) / norm(z)`` (nonlinear); where that scale
is zero, the absolute ``norm(r)``.

``maxiter`` bounds the number of iterations, one iteration being one application
of the operator ``K`` or the map ``F`` (Newton methods: one Newton step). Each
method documents the small exceptions (a Krylov restart recomputes a residual, a
starting point is checked once). ``None`` selects the method's default,
:data:`ITERATIVE_MAXITER` or :data:`NEWTON_MAXITER`.

These three settings are validated here and nowhere else (:class:`Tolerance`),
raising :class:`~solvers.errors.SolverSettingError`. How a solve ended is told by
its report's ``code`` (``"converged"``, ``"maxiter"``, ...), defined with the
report in :mod:`solvers.report`.
"""

from dataclasses import dataclass, replace

from .errors import SolverSettingError
from .settings import require_finite_nonnegative, require_integer

LINEAR_RTOL = 1e-10
LINEAR_ATOL = 0.0
NONLINEAR_RTOL = 1e-10
NONLINEAR_ATOL = 1e-12

#: Default ``maxiter`` of fixed-point, Anderson and Krylov iterations.
ITERATIVE_MAXITER = 1000
#: Default ``maxiter`` (Newton steps) of ``newton`` and ``newton_krylov``.
NEWTON_MAXITER = 50


def _or(value, default):
    return default if value is None else value


@dataclass(frozen=True)
class Tolerance:
    """Validated stopping settings: the module docstring states the rule.

    Parameters
    ----------
    rtol : float
        Relative tolerance, finite and >= 0.
    atol : float
        Absolute tolerance, finite and >= 0.
    maxiter : int or None
        Maximum number of iterations, a positive integer; ``None`` means the
        method's default.

    Raises
    ------
    SolverSettingError
        If a setting is out of range; the message names it, gives the value and
        says what is allowed.

    Examples
    --------
    >>> tol = Tolerance(rtol=1e-8, atol=0.0, maxiter=100)
    >>> tol.threshold(2.0)
    2e-08
    >>> tol.is_met(1e-9, scale=2.0)
    True
    >>> Tolerance(rtol=-1, atol=0.0)
    Traceback (most recent call last):
    ...
    solvers.errors.SolverSettingError: rtol must be a finite number >= 0, got -1
    """

    rtol: float = LINEAR_RTOL
    atol: float = LINEAR_ATOL
    maxiter: int | None = None

    def __post_init__(self):
        # frozen: validated values are written through object.__setattr__
        object.__setattr__(self, "rtol", require_finite_nonnegative("rtol", self.rtol))
        object.__setattr__(self, "atol", require_finite_nonnegative("atol", self.atol))
        if self.maxiter is not None:
            object.__setattr__(
                self, "maxiter", require_integer("maxiter", self.maxiter, minimum=1)
            )

    @classmethod
    def linear(cls, rtol=None, atol=None, maxiter=None) -> "Tolerance":
        """Settings of a linear solve; ``None`` takes the linear default.

        Parameters
        ----------
        rtol, atol : float or None, optional
            Defaults ``1e-10`` and ``0.0``.
        maxiter : int or None, optional

        Returns
        -------
        Tolerance

        Examples
        --------
        >>> Tolerance.linear()
        Tolerance(rtol=1e-10, atol=0.0, maxiter=None)
        >>> Tolerance.linear(atol=1e-14).atol
        1e-14
        """
        return cls(rtol=_or(rtol, LINEAR_RTOL), atol=_or(atol, LINEAR_ATOL), maxiter=maxiter)

    @classmethod
    def nonlinear(cls, rtol=None, atol=None, maxiter=None) -> "Tolerance":
        """Settings of a nonlinear solve; ``None`` takes the nonlinear default.

        Parameters
        ----------
        rtol, atol : float or None, optional
            Defaults ``1e-10`` and ``1e-12``; not both zero.
        maxiter : int or None, optional

        Returns
        -------
        Tolerance

        Raises
        ------
        SolverSettingError
            If a setting is out of range or both tolerances are zero.

        Examples
        --------
        >>> Tolerance.nonlinear()
        Tolerance(rtol=1e-10, atol=1e-12, maxiter=None)
        >>> Tolerance.nonlinear(rtol=0, atol=0)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        solvers.errors.SolverSettingError: rtol and atol must not both be zero for a nonlinear solve ...
        """
        tolerance = cls(rtol=_or(rtol, NONLINEAR_RTOL), atol=_or(atol, NONLINEAR_ATOL),
                        maxiter=maxiter)
        if tolerance.rtol == 0 and tolerance.atol == 0:
            raise SolverSettingError(
                "rtol and atol must not both be zero for a nonlinear solve "
                f"(the scale norm(z) may be zero), got rtol={rtol!r}, atol={atol!r}"
            )
        return tolerance

    def with_default_maxiter(self, default: int) -> "Tolerance":
        """Return a copy whose ``maxiter`` is `default` if it was ``None``.

        Parameters
        ----------
        default : int
            The method's default iteration budget.

        Returns
        -------
        Tolerance

        Examples
        --------
        >>> Tolerance().with_default_maxiter(50).maxiter
        50
        >>> Tolerance(maxiter=3).with_default_maxiter(50).maxiter
        3
        """
        if self.maxiter is not None:
            return self
        return replace(self, maxiter=require_integer("maxiter", default, minimum=1))

    def threshold(self, scale: float) -> float:
        """Return the absolute bound ``max(rtol * scale, atol)`` on ``norm(r)``.

        Parameters
        ----------
        scale : float
            ``norm(b)`` for a linear solve, ``norm(z)`` for a nonlinear one.

        Returns
        -------
        float

        Examples
        --------
        >>> Tolerance(rtol=1e-3, atol=1e-2).threshold(1.0)
        0.01
        """
        return max(self.rtol * scale, self.atol)

    def is_met(self, residual_norm: float, scale: float) -> bool:
        """Tell whether ``residual_norm <= threshold(scale)``; NaN never meets it.

        Parameters
        ----------
        residual_norm : float
            ``norm(r)``.
        scale : float
            ``norm(b)`` or ``norm(z)``.

        Returns
        -------
        bool

        Examples
        --------
        >>> Tolerance(rtol=1e-10).is_met(float("nan"), 1.0)
        False
        """
        return residual_norm <= self.threshold(scale)


def relative(residual_norm: float, scale: float) -> float:
    """Return the relative residual ``residual_norm / scale``, or ``residual_norm`` if scale is 0.

    A zero scale (``b = 0``, or the iterate ``z = 0``) makes a ratio meaningless; the
    absolute residual is reported instead of a number near 1e308.

    Parameters
    ----------
    residual_norm : float
        ``norm(r)``.
    scale : float
        ``norm(b)`` or ``norm(z)``.

    Returns
    -------
    float

    Examples
    --------
    >>> relative(1e-3, 10.0)
    0.0001
    >>> relative(0.0, 0.0), relative(2.0, 0.0)
    (0.0, 2.0)
    """
    return residual_norm / scale if scale > 0 else residual_norm

