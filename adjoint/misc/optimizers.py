"""Gradient-based optimizers with autograd's interface (``autograd.misc.optimizers``).

Each optimizer takes ``grad(x, i)`` (the gradient at ``x`` in iteration ``i``, which may be
stochastic) and a starting point ``x`` that may be a nested list / tuple / dict of arrays;
it works on the flat vector of ``adjoint.misc.flatten`` and returns ``x``'s structure. The
arithmetic is autograd's, operation for operation, so a ported script follows the same path.
Nothing here traces: the updates are plain numpy.

``step_size`` may also be a callable ``step_size(i)`` (a schedule), which autograd does not
offer; a number behaves exactly as in autograd.
"""

import functools

import numpy as np

from adjoint.misc.flatten import flatten

__all__ = ["sgd", "rmsprop", "adam"]


def _on_structures(optimize):
    """``optimize`` of flat vectors as an optimizer of nested structures (autograd's convention)."""

    @functools.wraps(optimize)
    def optimizer(grad, x, callback=None, *args, **kwargs):
        flat_x, unflatten = flatten(x)

        def flat_grad(v, i):
            return flatten(grad(unflatten(v), i))[0]

        flat_callback = None
        if callback:
            def flat_callback(v, i, g):
                return callback(unflatten(v), i, unflatten(g))

        return unflatten(optimize(flat_grad, flat_x, flat_callback, *args, **kwargs))

    return optimizer


def _schedule(step_size):
    """``step_size`` as a function of the iteration."""
    return step_size if callable(step_size) else (lambda i: step_size)


@_on_structures
def sgd(grad, x, callback=None, num_iters=200, step_size=0.1, mass=0.9):
    """Stochastic gradient descent with momentum.

    ``v ← mass v - (1 - mass) g``, ``x ← x + step_size v``, with ``v`` starting at zero.

    Parameters
    ----------
    grad : callable
        ``grad(x, i)``: the gradient at ``x`` in iteration ``i``, with ``x``'s structure.
    x : array or nested lists / tuples / dicts of arrays
        The starting point.
    callback : callable, optional
        ``callback(x, i, g)`` before each update.
    num_iters : int
    step_size : float or callable
        A number, or ``step_size(i)``.
    mass : float
        The momentum: 0 is plain gradient descent.

    Returns
    -------
    x : the final iterate, with the starting point's structure.

    Examples
    --------
    >>> import numpy as np
    >>> x = sgd(lambda x, i: 2 * (x - 3.0), np.zeros(2), num_iters=500)
    >>> bool(np.allclose(x, 3.0))
    True
    """
    step = _schedule(step_size)
    velocity = np.zeros(len(x))
    for i in range(num_iters):
        g = grad(x, i)
        if callback:
            callback(x, i, g)
        velocity = mass * velocity - (1.0 - mass) * g
        x = x + step(i) * velocity
    return x


@_on_structures
def rmsprop(grad, x, callback=None, num_iters=100, step_size=0.1, gamma=0.9, eps=10**-8):
    """RMSprop: gradient steps scaled by a running root mean square of the gradient.

    ``s ← γ s + (1 - γ) g²`` (``s`` starting at one), ``x ← x - step_size g / (√s + eps)``.

    Parameters
    ----------
    grad, x, callback, num_iters, step_size :
        As for ``sgd``.
    gamma : float
        The decay of the running mean of ``g²``.
    eps : float
        Guards the division where the mean square vanishes.

    Returns
    -------
    x : the final iterate, with the starting point's structure.

    Examples
    --------
    >>> import numpy as np
    >>> x = rmsprop(lambda x, i: {"a": 2 * (x["a"] - 1.0)}, {"a": np.zeros(3)}, num_iters=300, step_size=0.01)
    >>> bool(np.allclose(x["a"], 1.0, atol=1e-2))
    True
    """
    step = _schedule(step_size)
    avg_sq_grad = np.ones(len(x))
    for i in range(num_iters):
        g = grad(x, i)
        if callback:
            callback(x, i, g)
        avg_sq_grad = avg_sq_grad * gamma + g**2 * (1 - gamma)
        x = x - step(i) * g / (np.sqrt(avg_sq_grad) + eps)
    return x


@_on_structures
def adam(grad, x, callback=None, num_iters=100, step_size=0.001, b1=0.9, b2=0.999, eps=10**-8):
    """Adam (Kingma and Ba, https://arxiv.org/abs/1412.6980): RMSprop with momentum, bias-corrected.

    ``m ← (1 - b1) g + b1 m``, ``v ← (1 - b2) g² + b2 v`` (both starting at zero), then
    ``x ← x - step_size m̂ / (√v̂ + eps)`` with ``m̂ = m / (1 - b1^(i+1))`` and
    ``v̂ = v / (1 - b2^(i+1))``.

    Parameters
    ----------
    grad, x, callback, num_iters, step_size :
        As for ``sgd``.
    b1, b2 : float
        The decays of the first and second moment estimates.
    eps : float
        Guards the division where the second moment vanishes.

    Returns
    -------
    x : the final iterate, with the starting point's structure.

    Examples
    --------
    >>> import numpy as np
    >>> seen = []
    >>> x = adam(lambda x, i: [2 * (x[0] + 1.0)], [np.zeros(2)], num_iters=400, step_size=0.05,
    ...          callback=lambda x, i, g: seen.append(i))
    >>> bool(np.allclose(x[0], -1.0, atol=1e-2)), len(seen)
    (True, 400)
    """
    step = _schedule(step_size)
    m = np.zeros(len(x))
    v = np.zeros(len(x))
    for i in range(num_iters):
        g = grad(x, i)
        if callback:
            callback(x, i, g)
        m = (1 - b1) * g + b1 * m
        v = (1 - b2) * (g**2) + b2 * v
        mhat = m / (1 - b1 ** (i + 1))  # the moments start at zero: without this, early steps are too short
        vhat = v / (1 - b2 ** (i + 1))
        x = x - step(i) * mhat / (np.sqrt(vhat) + eps)
    return x
