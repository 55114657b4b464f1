"""The nodes of a block as one flat vector, the form every solver works on."""

import numpy as np


class BlockState:
    """Values of some nodes (a block's iterates, or all its nodes) as one flat vector.

    Examples
    --------
    >>> import numpy as np
    >>> state = BlockState(["a", "b"], {"a": (2,), "b": ()})
    >>> v = state.pack({"a": np.array([1.0, 2.0]), "b": 3.0})
    >>> v, state.unpack(v)["b"]
    (array([1., 2., 3.]), array(3.))
    """

    def __init__(self, names, shapes):
        self.names = tuple(names)
        self.shapes = [tuple(shapes[t]) for t in self.names]
        self.sizes = [int(np.prod(s)) for s in self.shapes]
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)]).astype(int)

    def pack(self, parts):
        """One vector from ``parts`` (node -> array); a missing or ``None`` part is zero."""
        if not self.names:
            return np.zeros(0)
        if len(self.names) == 1:  # one node (a fixed point): its values as they are, no copy
            part = parts.get(self.names[0])
            if part.__class__ is np.ndarray and part.dtype == np.float64 and part.shape == self.shapes[0]:
                return part.reshape(-1)  # the solvers never write into the vectors they are given
        return np.concatenate([np.ravel(zeros_or(parts.get(t), s)) for t, s in zip(self.names, self.shapes)])

    def unpack(self, vec):
        """Node -> array of its shape, views into ``vec``."""
        return {t: vec[a:b].reshape(s) for t, a, b, s in zip(self.names, self.offsets, self.offsets[1:], self.shapes)}


def zeros_or(x, shape):
    """``x`` broadcast to ``shape``, where ``None`` stands for zero (a derivative that does not flow)."""
    return np.zeros(shape) if x is None else np.broadcast_to(x, shape)
