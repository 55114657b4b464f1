"""Linear solvers for ``(I - K) x = b``: one module per method, :func:`solve_linear` to pick one."""

from .dispatch import LINEAR_METHODS, solve_linear

__all__ = ["LINEAR_METHODS", "solve_linear"]
