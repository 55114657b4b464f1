"""Linear solvers for ``(I - K) x = b``: a module per method, :func:`solve_linear` picks one."""

from .dispatch import LINEAR_METHODS, solve_linear

__all__ = ["LINEAR_METHODS", "solve_linear"]
