"""The programs the benchmarks time, each written once and run by every library.

A program is plain Python over an ``ops`` table (``sin``, ``cos``, ``tanh``), so the same
code is traced by adjoint, autograd, JAX and PyTorch, or builds a CasADi SX expression.
"""

import numpy as np

UNARY = ("sin", "cos", "tanh")
BINARY = ("mul", "add", "sub")


def scalar_chain(x, ops, iterations):
    """``x <- sin(x) * 1.0001 + 0.1``: three scalar operations per iteration."""
    for _ in range(iterations):
        x = ops.sin(x) * 1.0001 + 0.1
    return x


class RandomProgram:
    """A generated straight-line program of scalar nodes (Vieira's formulation).

    ``width`` inputs, then ``levels`` levels of ``width`` nodes. Node ``j`` of a level
    applies a random elementwise operation to node ``a[j]`` of the previous level (which
    puts it on this level; ``a`` is a permutation, so every node is used) and, for binary
    operations, to a random earlier node ``b[j]``.
    The objective is ``Σ last level²`` summed pairwise (``log2(width)`` more levels), so
    every level but those few holds ``width`` nodes. ``width=1`` gives a pure chain.

    Examples
    --------
    >>> import numpy as np
    >>> program = RandomProgram(width=4, levels=3, seed=0)
    >>> program.n_nodes
    23
    >>> value = program(list(np.linspace(-1, 1, 4)), NumpyOps)
    >>> bool(np.isfinite(value))
    True
    """

    def __init__(self, width, levels, seed=0):
        rng = np.random.default_rng(seed)
        self.width, self.levels = width, levels
        self.kinds = rng.integers(len(UNARY) + len(BINARY), size=(levels, width))
        # the first argument: a permutation of the previous level, so every node is used
        self.a = np.argsort(rng.random((levels, width)), axis=1)
        # the second argument: half the time on the previous level, else anywhere earlier;
        # never the first argument itself (x - x would let CasADi fold nodes away)
        start = np.arange(levels)[:, None] * width  # first node of the previous level
        first = start + self.a
        earlier = rng.integers(0, np.maximum(start, 1), size=(levels, width))
        previous = start + rng.integers(width, size=(levels, width))
        b = np.where(rng.random((levels, width)) < 0.5, previous, earlier)
        b = np.where(b == first, np.where(start > 0, earlier, first), b)
        self.b = np.where((b == first) & (width > 1), start + (self.a + 1) % width, b)
        reductions = width - 1  # a pairwise sum of squares: width squares and width - 1 adds
        self.n_nodes = width + levels * width + width + reductions

    def __call__(self, xs, ops):
        nodes = list(xs)
        prev = nodes
        names = UNARY + BINARY
        for L in range(self.levels):
            level = []
            for j in range(self.width):
                x = prev[self.a[L, j]]
                kind = names[self.kinds[L, j]]
                if kind == "sin":
                    level.append(ops.sin(x))
                elif kind == "cos":
                    level.append(ops.cos(x))
                elif kind == "tanh":
                    level.append(ops.tanh(x))
                else:
                    y = nodes[self.b[L, j]]
                    level.append(x * y if kind == "mul" else (x + y if kind == "add" else x - y))
            nodes.extend(level)
            prev = level
        terms = [v * v for v in prev]
        while len(terms) > 1:  # pairwise: few levels
            terms = [terms[k] + terms[k + 1] if k + 1 < len(terms) else terms[k] for k in range(0, len(terms), 2)]
        return terms[0]


class NumpyOps:
    """The ``ops`` table on plain numpy values."""

    sin, cos, tanh = np.sin, np.cos, np.tanh


def mlp_init(sizes, rng):
    """Weights and biases of an MLP with ``sizes`` (input first), scaled for tanh."""
    return [(rng.standard_normal((m, n)) / np.sqrt(m), np.zeros(n)) for m, n in zip(sizes[:-1], sizes[1:])]


def mlp_loss(params, x, y, np_):
    """Mean squared error of a tanh MLP, written against the array module ``np_``."""
    h = x
    for W, b in params[:-1]:
        h = np_.tanh(h @ W + b)
    W, b = params[-1]
    out = h @ W + b
    return np_.mean((out - y) ** 2)


def lstm_init(n_in, n_hidden, rng):
    """Input, recurrent weights and bias of an LSTM cell, the four gates side by side."""
    return (rng.standard_normal((n_in, 4 * n_hidden)) / np.sqrt(n_in),
            rng.standard_normal((n_hidden, 4 * n_hidden)) / np.sqrt(n_hidden), np.zeros(4 * n_hidden))


def lstm_loss(params, xs, np_):
    """Sum of squares of an LSTM's last hidden state over the sequence ``xs`` (time first)."""
    Wx, Wh, b = params
    n = Wh.shape[0]
    h = c = np_.zeros((xs.shape[1], n))
    for x in xs:
        z = x @ Wx + h @ Wh + b
        i, f, o = (1.0 / (1.0 + np_.exp(-z[:, k * n:(k + 1) * n])) for k in range(3))
        c = f * c + i * np_.tanh(z[:, 3 * n:])
        h = o * np_.tanh(c)
    return np_.sum(h * h)


def gp_negative_log_likelihood(theta, x, y, np_):
    """A GP's negative log marginal likelihood (squared-exponential kernel, log length
    scale, log signal and log noise in ``theta``), by a Cholesky factor and a solve."""
    d = x[:, None] - x[None, :]
    K = np_.exp(2 * theta[1]) * np_.exp(-0.5 * d * d / np_.exp(2 * theta[0])) + np_.exp(2 * theta[2]) * np_.eye(len(x))
    L = np_.linalg.cholesky(K)
    return 0.5 * np_.dot(y, np_.linalg.solve(K, y)) + np_.sum(np_.log(np_.diagonal(L, axis1=-1, axis2=-2)))
