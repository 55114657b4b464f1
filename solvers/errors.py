"""The one exception this package raises for a bad choice of method, option or setting.

Everything the *caller chooses* is checked before any work and refused with a
:class:`SolverSettingError` naming the setting, the value given and what is allowed:
a method name, a method option (name or value), ``rtol``, ``atol``, ``maxiter``, a
callback, a derivative a method needs (``jacobian``, ``jvp``), or a method that
cannot take the problem given (``"direct"`` on a matrix-free ``K``, a host-only
method on GPU arrays).

Faults of the *data* keep their builtin types: a right-hand side that is not a
finite 1-D vector, a ``K`` of the wrong shape (``ValueError``) or of no accepted
form (``TypeError``), a singular ``I - K`` in a direct solve
(``numpy.linalg.LinAlgError``). A solve that does not converge raises nothing: its
report says so (:mod:`solvers.report`).

Examples
--------
>>> import numpy as np
>>> from solvers import solve_linear
>>> try:
...     solve_linear("gmres", np.eye(2) / 2, np.ones(2), rtol=-1)
... except SolverSettingError as error:
...     print(error, isinstance(error, ValueError))
rtol must be a finite number >= 0, got -1 True
"""


class SolverSettingError(ValueError):
    """A method, option or setting of a solve that is not allowed; the message names it.

    A ``ValueError``, so ``except ValueError`` still catches it.

    Examples
    --------
    >>> issubclass(SolverSettingError, ValueError)
    True
    """


class SolverDependencyError(ImportError):
    """A method whose optional dependency (petsc4py) is not installed; the message says how to install it.

    Examples
    --------
    >>> issubclass(SolverDependencyError, ImportError)
    True
    """
