"""What a solve returns: values, multipliers, gradient and one report per cyclic block."""

from dataclasses import dataclass, field


@dataclass
class BlockReport:
    """How one cyclic block (strongly connected component) was solved.

    ``method``, ``iterations``, ``residual`` describe the adjoint solve, ``residual`` being the
    relative KKT residual ``‖(I - J_BB)ᵀ λ_B - rhs_B‖ / ‖rhs_B‖`` computed from the returned
    multipliers; the ``forward_*`` attributes describe the nonlinear solve. ``converged`` is
    true when both converged. ``exact`` is false for truncated methods (Neumann-k, JFB).
    ``forward`` and ``adjoint`` hold the solvers' full reports (residual histories, reasons).
    """

    nodes: tuple
    iterates: tuple
    forward: object
    adjoint: object = None
    # the tangent solve's report (JVPs through a fixed point, adjoint.solve_tangent),
    # and ∂F/∂T as a LinearOperator, for the spectral radius estimated on first access.
    tangent: object = None
    reduced_jacobian: object = field(default=None, repr=False, compare=False)
    #: the block's nodes defined by residual constraints (``add_residual``, ``adjoint.root``)
    residuals: tuple = ()
    # () -> (residual ratio after a Newton step from the solution, residual): the singular-point test
    newton_step_ratio: object = field(default=None, repr=False, compare=False)
    # J_BB assembled by the first solve of a matrix method, for the next ones (a Jacobian's rows)
    assembled: dict = field(default_factory=dict, repr=False, compare=False)
    _spectral_radius: float = field(default=None, repr=False, compare=False)

    @property
    def spectral_radius(self):
        """``ρ(∂F/∂T)`` at the solution (``∂f/∂z`` for a fixed point), estimated on first access.

        Below 1: Picard and the adjoint fixed-point iteration contract at that rate; near or
        above 1 use Newton and a Krylov or direct adjoint. ``adjoint.spectral`` says how
        (``DEFAULT_STEPS`` Arnoldi steps, one JVP sweep each); ``None`` without an operator.
        """
        if self._spectral_radius is None and self.reduced_jacobian is not None:
            from adjoint.graph.cyclic.spectral import spectral_radius  # lazily: solution.py is imported by everything

            self._spectral_radius = spectral_radius(self.reduced_jacobian)
        return self._spectral_radius

    @property
    def method(self):
        return None if self.adjoint is None else self.adjoint.method

    @property
    def iterations(self):
        return 0 if self.adjoint is None else self.adjoint.iterations

    @property
    def residual(self):
        return None if self.adjoint is None else self.adjoint.residual

    @property
    def exact(self):
        return self.adjoint is None or self.adjoint.exact

    @property
    def forward_method(self):
        return self.forward.method

    @property
    def forward_iterations(self):
        return self.forward.iterations

    @property
    def forward_residual(self):
        return self.forward.residual

    @property
    def converged(self):
        return self.forward.converged and (self.adjoint is None or self.adjoint.converged)

    def __repr__(self):
        adj = "" if self.adjoint is None else (
            f", adjoint={self.method} in {self.iterations} it, residual {self.residual:.2e}"
        )
        return (
            f"BlockReport(nodes={list(self.nodes)}, forward={self.forward_method} in "
            f"{self.forward_iterations} it, residual {self.forward_residual:.2e}{adj}, "
            f"converged={self.converged})"
        )


@dataclass
class Solution:
    """The stationary point of the Lagrangian.

    Attributes
    ----------
    values : dict
        Node name -> value ``z_i`` (inputs included).
    multipliers : dict
        Constraint name -> ``λ_i`` (the node's shape): ``dJ/dε`` for a perturbation
        ``z_i = f_i(...) + ε`` of its constraint; for a residual constraint
        (``add_residual``), ``F_i(z_i, ...) = ε``: the multiplier of ``F_i = 0``, which solves
        ``(∂F_i/∂z_i)ᵀ λ_i = `` the cotangent reaching ``z_i``.
    gradient : dict
        Input name -> ``dJ/dx``.
    blocks : list of BlockReport
        One per cyclic block, in topological order.
    objective : float or None
        ``J``, for a scalar objective node.
    """

    values: dict
    multipliers: dict = field(default_factory=dict)
    gradient: dict = field(default_factory=dict)
    blocks: list = field(default_factory=list)
    objective: object = None
    # node name -> tangent ż (inputs included), from adjoint.solve_tangent
    tangents: dict = field(default_factory=dict)
