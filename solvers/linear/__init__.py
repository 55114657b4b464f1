"""Linear solvers for ``(I - K) x = b``: a module per method, :func:`solve_linear` picks one."""

from .dispatch import LINEAR, LinearSolver, solve_linear

__all__ = ["LINEAR", "LinearSolver", "solve_linear"]
