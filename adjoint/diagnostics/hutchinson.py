"""Hutchinson estimates of ``‖∂f/∂z‖_F²``: a fixed point's contractivity, and a regulariser.

For a random vector ``v`` of independent ±1 entries (Rademacher), ``E[‖vᵀ A‖²] =
E[‖A v‖²] = ‖A‖_F²``. A deep-equilibrium model ``z* = f(z*, θ)`` is well posed and its
solves are fast while ``∂f/∂z`` is small (Bai, Koltun & Kolter, "Stabilizing Equilibrium
Models by Jacobian Regularization", ICML 2021); the Frobenius norm bounds the spectral norm.

Two functions, two jobs:

* ``frobenius_estimate`` — a diagnostic on plain values: one trace of ``f``, then one exact
  VJP (back-substitution) per sample, returned with its standard error.
* ``jacobian_penalty`` — the same estimator as a training penalty: ``A v`` is an exact JVP
  of ``f``, and because derivative rules trace, the penalty is traced code whose gradient
  (through ``z*`` too, by the fixed point's derivatives of second order) is exact.
"""

from dataclasses import dataclass

import numpy as np

from adjoint.pytree import as_float, flatten, like
from adjoint.tape.grad import index_on
from adjoint.tape.jvp import make_jvp
from adjoint.tape.reverse import back_substitute
from graphs.tape import Tape, Traced


@dataclass(frozen=True)
class FrobeniusEstimate:
    """A Hutchinson estimate: ``value ± standard_error`` from ``samples`` probes."""

    value: float
    standard_error: float
    samples: int

    def __float__(self):
        return float(self.value)


def _plain(x):
    """``x`` with traced leaves replaced by their values: the estimate is not traced."""
    leaves, rebuild = flatten(x, "fixed-point parameter")
    return rebuild([leaf.value if isinstance(leaf, Traced) else leaf for leaf in leaves])


def frobenius_estimate(f, z, *params, samples=100, seed=0):
    """Estimate ``‖∂f/∂z‖_F²`` at ``z`` with ``samples`` Rademacher VJPs.

    Parameters
    ----------
    f : callable
        ``f(z, *params)``, written with ``adjoint.numpy`` (the map of ``adjoint.fixed_point``).
    z : array_like
        The point, typically the fixed point ``z*``. Traced values are read, not traced.
    *params :
        The other arguments of ``f``.
    samples : int
        Probes; the standard error falls as ``1 / sqrt(samples)``.
    seed : int or None
        Seed of the probes (``None``: fresh randomness).

    Returns
    -------
    FrobeniusEstimate

    Examples
    --------
    For ``f(z) = A z`` the estimate is unbiased for ``‖A‖_F²`` (here 0.3):

    >>> import numpy as np
    >>> import adjoint
    >>> A = np.array([[0.5, 0.1], [0.2, 0.1]])
    >>> est = adjoint.frobenius_estimate(lambda z, A: A @ z, np.zeros(2), A, samples=4000)
    >>> bool(abs(est.value - 0.31) < 4 * est.standard_error)
    True
    """
    if not (isinstance(samples, (int, np.integer)) and samples >= 1):
        raise ValueError(f"samples must be a positive integer, got {samples!r}")
    tape = Tape()
    zt = tape.input(as_float(z.value if isinstance(z, Traced) else z))
    out = f(zt, *[_plain(p) for p in params])
    index = index_on(out, tape)
    if index is None:
        return FrobeniusEstimate(0.0, 0.0, int(samples))  # f does not depend on z
    rng = np.random.default_rng(seed)
    draws = np.empty(samples)
    for s in range(samples):
        v = rng.choice([-1.0, 1.0], size=np.shape(out.value))
        draws[s] = np.sum(np.square(like(back_substitute(tape, {index: v})[zt.index], zt.value)))
    error = float(np.std(draws, ddof=1) / np.sqrt(samples)) if samples > 1 else float("inf")
    return FrobeniusEstimate(float(np.mean(draws)), error, int(samples))


def jacobian_penalty(f, z, *params, samples=1, seed=None):
    """``‖∂f/∂z‖_F²`` at ``z`` by Hutchinson's estimator, as traced code: a training penalty.

    Each probe ``v`` (±1 entries) contributes ``‖(∂f/∂z) v‖²``, the tangent of ``f`` taken
    exactly by forward substitution. Called on traced ``z`` (e.g. the result of
    ``adjoint.fixed_point``) and parameters, the result is traced: add ``γ · penalty`` to a
    loss and ``adjoint.grad`` gives its exact gradient (a derivative of a derivative).

    Parameters
    ----------
    f : callable
        ``f(z, *params)``.
    z, *params :
        Values or traced values.
    samples : int
        Probes averaged (one is the usual choice in training: the noise averages out over steps).
    seed : int or None
        Seed of the probes; ``None`` draws fresh ones on every call.

    Returns
    -------
    float or traced scalar

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> import adjoint.numpy as anp
    >>> f = lambda z, a: anp.tanh(a * z)
    >>> penalty = lambda a: adjoint.jacobian_penalty(f, np.zeros(3), a, seed=0)
    >>> float(penalty(0.5))                              # ∂f/∂z = a I at z = 0
    0.75
    >>> float(adjoint.grad(penalty)(0.5))                # d(3 a²)/da
    3.0
    """
    if not (isinstance(samples, (int, np.integer)) and samples >= 1):
        raise ValueError(f"samples must be a positive integer, got {samples!r}")
    rng = np.random.default_rng(seed)
    tangent = make_jvp(lambda z: f(z, *params))(z)
    total = 0.0
    for _ in range(samples):
        jv = tangent(rng.choice([-1.0, 1.0], size=np.shape(z)))[1]
        total = total + (jv * jv).sum()
    return total / samples
