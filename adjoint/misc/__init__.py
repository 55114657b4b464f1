"""autograd's ``autograd.misc``, for code ported by changing ``autograd`` to ``adjoint`` in its imports.

* ``flatten`` / ``flatten_func``: nested lists, tuples and dicts of arrays as one flat vector
  (and back), traceable, so ``adjoint.grad`` differentiates through them;
* ``adjoint.misc.optimizers``: ``sgd``, ``rmsprop`` and ``adam`` on such structures;
* ``adjoint.misc.fixed_points``: autograd's ``fixed_point(f, a, x0, distance, tol)``, solved
  and differentiated by ``adjoint.fixed_point`` (the implicit function theorem).

Examples
--------
>>> import numpy as np
>>> from adjoint.misc import flatten
>>> vector, unflatten = flatten({"w": np.ones(2), "b": 0.5})
>>> vector
array([0.5, 1. , 1. ])
>>> unflatten(vector * 2)
{'w': array([2., 2.]), 'b': array(1.)}
"""

from adjoint.misc.flatten import flatten, flatten_func  # isort: skip  (first: the submodules use it)
from adjoint.misc import fixed_points, optimizers  # isort: skip

__all__ = ["flatten", "flatten_func", "fixed_points", "optimizers"]
