"""Hutchinson estimates of ``‖∂f/∂z‖_F²``: a fixed point's contractivity, and a regulariser.

For a random vector ``v`` of independent ±1 entries (Rademacher), ``E[‖vᵀ A‖²] =
E[‖A v‖²] = ‖A‖_F²``. A deep-equilibrium model ``z* = f(z*, θ)`` is well posed and its
solves are fast while ``∂f/∂z`` is small (Bai, Koltun & Kolter, "Stabilizing Equilibrium
Models by Jacobian Regularization", ICML 2021); the Frobenius norm bounds the spectral norm.

Two functions, two jobs:

* ``frobenius_estimate`` — a diagnostic on plain values: one trace of ``f``, then one exact
  VJP (back-substitution) per sample. Not differentiable: our derivative rules act on plain
  numpy values (``graphs.primitive``), so a VJP is not itself a traced computation.
* ``jacobian_penalty`` — the same estimator written *in traced code*, usable as a training
  penalty: ``A v`` is taken by a central difference, ``(f(z + h v) - f(z - h v)) / 2h``, which
  is ordinary numpy code that ``adjoint.grad`` differentiates exactly (through ``z*`` too, by
  the fixed point's adjoint). Its value differs from ``‖A v‖²`` by ``O(h²)`` (relative
  ``~1e-8`` at the default step) and its gradient is the exact gradient of that value. We
  chose this over exact second-order AD (a VJP of a VJP), which would need every derivative
  rule to be traceable.
"""

from dataclasses import dataclass

import numpy as np

from adjoint.pytree import as_float, flatten, like
from adjoint.tape.grad import index_on
from adjoint.tape.reverse import back_substitute
from graphs.tape import Tape, Traced

#: The relative step of ``jacobian_penalty``'s central difference: truncation ``~h²``,
#: rounding ``~1e-16 / h``, both far below a penalty's statistical noise.
PENALTY_STEP = 1e-4


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


def jacobian_penalty(f, z, *params, samples=1, seed=None, step=PENALTY_STEP):
    """``‖∂f/∂z‖_F²`` at ``z`` by Hutchinson's estimator, as traced code: a training penalty.

    Each probe ``v`` (±1 entries) contributes ``‖(f(z + h v) - f(z - h v)) / 2h‖²``, with
    ``h = step · max(1, rms(z))``. Called on traced ``z`` (e.g. the result of
    ``adjoint.fixed_point``) and parameters, the result is traced: add ``γ · penalty`` to a
    loss and ``adjoint.grad`` gives its gradient (see the module docstring for why a
    difference and not a VJP).

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
    step : float
        Relative step of the central difference.

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
    >>> bool(abs(penalty(0.5) - 3 * 0.25) < 1e-8)       # ∂f/∂z = a I at z = 0
    True
    >>> bool(abs(adjoint.grad(penalty)(0.5) - 3.0) < 1e-6)   # d(3 a²)/da
    True
    """
    if not (isinstance(samples, (int, np.integer)) and samples >= 1):
        raise ValueError(f"samples must be a positive integer, got {samples!r}")
    z_value = np.asarray(z.value if isinstance(z, Traced) else z, dtype=np.float64)
    rms = float(np.sqrt(np.mean(np.square(z_value)))) if z_value.size else 0.0
    h = step * max(1.0, rms)
    rng = np.random.default_rng(seed)
    total = 0.0
    for _ in range(samples):
        v = rng.choice([-1.0, 1.0], size=z_value.shape)
        jv = (f(z + h * v, *params) - f(z - h * v, *params)) / (2.0 * h)
        total = total + (jv * jv).sum()
    return total / samples
