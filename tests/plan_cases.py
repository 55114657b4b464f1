"""Functions shared by the plan tests: a table of scalar, vector and container code."""

import numpy as np

import adjoint.numpy as anp

RTOL = 1e-12


def _close(a, b):
    if isinstance(a, dict):
        return all(_close(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and np.allclose(a, b, rtol=RTOL, atol=RTOL * np.abs(b).max(initial=0))


# --- functions -------------------------------------------------------------------------
def chain(x):
    for _ in range(200):
        x = anp.sin(x) * 0.05 + x + 0.01  # neither contracting nor growing fast: O(1) gradient
    return x


def scalar_mix(x, y):
    a = anp.exp(x * 0.3) / (1.0 + y * y)
    b = anp.log(2.0 + anp.tanh(a - y)) ** 2
    c = anp.sqrt(anp.maximum(a, b) + 1.0) - anp.arctan(x / 3.0)
    return c * (1.0 - a) + anp.cos(b) ** 3 - 2.0 ** x


def wide_program(xs, seed=0, levels=12, width=40):
    """Vieira-style: each level's nodes apply a random elementwise op to earlier nodes."""
    rng = np.random.default_rng(seed)
    prev = list(xs)
    nodes = list(xs)
    for _ in range(levels):
        level = []
        for _ in range(width):
            a, b = prev[rng.integers(len(prev))], nodes[rng.integers(len(nodes))]
            op = rng.integers(6)
            level.append([anp.sin(a), a * b, a + b, anp.tanh(a - b), a * 0.5 - 1.0, anp.cos(b)][op])
        prev = level
        nodes.extend(level)
    total = prev[0]
    for v in prev[1:]:
        total = total + v * v
    return total


def vector_code(W, x):
    return anp.sum(anp.tanh(W @ x) ** 2) + anp.mean(W[0] * x[::-1]) - anp.max(W)


def containers(params, x):
    h = anp.tanh(x @ params["layers"][0]["W"] + params["layers"][0]["b"])
    out = h @ params["layers"][1]
    return anp.sum((out - 1.0) ** 2) + params["scale"] * anp.sum(h)


def _wide_args(rng):
    return ([float(v) for v in rng.uniform(-1, 1, 6)],)
