"""A residual constraint ``F(z, *args) = 0`` written as the explicit constraint ``z = z - F(z, *args)``.

The explicit form has the same solutions, and its multiplier is the residual's: perturbing
``z = z - F + ε`` is perturbing ``F = ε``, so the multiplier ``λ`` of the node is
``dJ/dε``, the sensitivity of the objective to the residual. Its linearisation
``I - (I - ∂F/∂z) = ∂F/∂z`` is the residual's Jacobian: the adjoint system's row of the
node is ``(∂F/∂z)ᵀ λ = ...``, as the Lagrangian of ``F = 0`` says. What it does not have is a
contraction: Picard on ``z ← z - F(z)`` diverges unless ``I - ∂F/∂z`` happens to contract,
which is why the solvers treat a component with a residual node as a root-finding problem
(Newton forward, a Krylov or direct adjoint).
"""

import numpy as np

from .errors import GraphError


class ResidualForm:
    """``(z, *args) -> z - F(z, *args)``, refusing a residual of another shape than ``z``.

    Examples
    --------
    >>> form = ResidualForm("z", lambda z, a: z * z - a)
    >>> float(form(2.0, 4.0)), form.residual(3.0, 4.0)
    (2.0, 5.0)
    """

    __slots__ = ("name", "residual")

    def __init__(self, name, residual):
        if not callable(residual):
            raise GraphError(f"residual constraint {name!r}: F must be callable, got {type(residual).__name__}")
        self.name, self.residual = name, residual

    def __call__(self, z, *args):
        r = self.residual(z, *args)
        if r is None:
            raise GraphError(
                f"the residual F of node {self.name!r} returned None; make it return F(z, ...), of z's "
                f"shape (is a return statement missing?)"
            )
        if _shape(r) != _shape(z):
            raise GraphError(
                f"the residual F of node {self.name!r} has shape {_shape(r)}, but the node has shape "
                f"{_shape(z)}: a residual constraint needs one equation per unknown"
            )
        return z - r

    def __repr__(self):
        return f"<residual constraint {getattr(self.residual, '__name__', self.residual)!r} = 0>"


def _shape(v):
    shape = getattr(v, "shape", None)
    return tuple(shape) if shape is not None else np.shape(v)
