"""``adjoint.scipy``: scipy functions that trace, in autograd's layout (``import adjoint.scipy.special``).

Importing it imports every submodule, so that their primitives are registered (and a saved
graph that uses one loads) whichever of them a program imported.
"""

from adjoint.scipy import integrate, linalg, misc, signal, special, stats  # noqa: F401
