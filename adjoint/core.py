"""autograd's ``core`` names that code written for autograd imports: ``primitive_vjps``.

``primitive_vjps`` maps each numpy / scipy function that traces by a single primitive to that
primitive's table of VJP rules (argument number -> rule), as autograd's registry of the same
name maps its primitives. It is built at import, a snapshot: changing it changes nothing.

Examples
--------
>>> import numpy as np
>>> from adjoint.core import primitive_vjps
>>> sorted(primitive_vjps[np.multiply])
[0, 1]
>>> np.iscomplex in primitive_vjps   # piecewise constant: no VJP
False
"""

from graphs.numpy_functions import NUMPY_EQUIVALENTS
from graphs.primitive import Primitive

primitive_vjps = {f: p.vjps for f, p in NUMPY_EQUIVALENTS.items() if isinstance(p, Primitive)}
