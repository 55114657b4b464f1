"""Derivative rules, one table per family of primitives.

Importing this package registers every primitive in ``graphs.primitive.PRIMITIVES``.
"""

from . import complex_numbers, elementwise, fft, linalg, numpy_linalg, reductions, shapes, sorting, special  # noqa: F401
