"""Nonlinear solvers for ``z = F(z)``: a module per method, :func:`solve_fixed_point` picks one."""

from .dispatch import NONLINEAR, NonlinearSolver, solve_fixed_point

__all__ = ["NONLINEAR", "NonlinearSolver", "solve_fixed_point"]
