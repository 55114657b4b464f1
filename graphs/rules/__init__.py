"""Derivative rules, one table per family of primitives.

Importing this package registers every primitive in ``graphs.primitive.PRIMITIVES``.
"""

from . import elementwise, linalg, reductions, shapes  # noqa: F401
