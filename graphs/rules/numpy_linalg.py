"""Derivative rules of numpy.linalg and scipy.linalg, batched as numpy allows.

EQUIVALENTS maps each numpy / scipy function of this family to its traced version, for
numpy's dispatch (merged into graphs.numpy_functions.NUMPY_EQUIVALENTS); __all__
lists the traced functions by their numpy names.
"""

__all__ = []

EQUIVALENTS = {}
