"""What each method needs and gives, declared by its module, so callers branch on that.

Every method module sets ``CAPABILITIES`` to one of these; read them with
:func:`solvers.capabilities`. A caller (the adjoint layer) asks "does this method
need an assembled matrix?" rather than "is this method ``'direct'``?", and a new
method is then used correctly without editing the caller.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class LinearCapabilities:
    """What a linear method for ``(I - K) x = b`` needs and gives.

    Attributes
    ----------
    needs_matrix : bool
        ``K`` must be an explicit (sparse or dense) matrix: a LinearOperator or a
        callable is refused (``"direct"``, which factorises ``I - K``).
    exact : bool
        The answer is held to the tolerance rule. ``False`` for a truncation
        (``"neumann"``, ``"jfb"``), whose report has ``exact=False``.
    warm_start : bool
        A starting point ``x0`` is used; ``False``: it is ignored.
    gpu : bool
        Runs on cupy arrays (and cupyx sparse matrices) as well as numpy ones.
    prefers_matrix : bool
        The method takes a LinearOperator too, but does best on an explicit matrix (its
        preconditioners need one): callers that can assemble ``K`` should (``"petsc"``).
    needs_contraction : bool
        The method sums or iterates ``x <- b + K x``, which converges only when ``K`` is
        a contraction (spectral radius below 1): ``"fixed_point"``, ``"neumann"``,
        ``"jfb"``. The Krylov and direct methods need only ``I - K`` nonsingular.
    true_residual : bool
        The report's ``residual`` is that of the returned ``x``, computed as
        ``b - (I - K) x`` with the operator itself (not a recurrence's estimate):
        ``"fixed_point"``. A caller need not apply ``K`` once more to check it.

    Examples
    --------
    >>> caps = LinearCapabilities(needs_matrix=False, warm_start=True)
    >>> caps.matrix_free, caps.exact, caps.gpu
    (True, True, False)
    """

    needs_matrix: bool = False
    exact: bool = True
    warm_start: bool = False
    gpu: bool = False
    needs_contraction: bool = False
    prefers_matrix: bool = False
    true_residual: bool = False

    @property
    def matrix_free(self) -> bool:
        """Whether ``K`` may be a LinearOperator or a callable ``v -> K v``."""
        return not self.needs_matrix


@dataclass(frozen=True)
class NonlinearCapabilities:
    """What a nonlinear method for ``z = F(z)`` needs besides the map ``F``.

    Attributes
    ----------
    needs_jacobian : bool
        ``jacobian=lambda z: J_F(z)`` (an assembled sparse or dense matrix) is
        required (``"newton"``).
    needs_jvp : bool
        ``jvp=lambda z, v: J_F(z) v`` is required (``"newton_krylov"``).
    gpu : bool
        Runs on cupy arrays as well as numpy ones.

    Examples
    --------
    >>> NonlinearCapabilities(needs_jvp=True).derivative_free
    False
    """

    needs_jacobian: bool = False
    needs_jvp: bool = False
    gpu: bool = False

    @property
    def derivative_free(self) -> bool:
        """Whether the method needs only evaluations of ``F`` (no Jacobian, no JVP)."""
        return not (self.needs_jacobian or self.needs_jvp)
