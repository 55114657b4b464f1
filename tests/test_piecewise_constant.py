"""Every entry of ``PIECEWISE_CONSTANT`` really is constant between its kinks.

A function listed there is evaluated on plain values when applied to a traced argument, so
the derivative through it is zero. Listing a function that is not constant (``numpy.sort``
was) gives a silent wrong answer, so each entry is checked at generic points (away from
ties, integers and half-integers): its result must not change under small perturbations of
its arguments (hence its central differences are exactly zero), and the traced call must
return that same plain result.
"""

import numpy
import pytest
from numpy.testing import assert_array_equal

import adjoint
import adjoint.numpy as anp
from graphs.numpy_functions import PIECEWISE_CONSTANT
from graphs.tape import Traced

_rng = numpy.random.default_rng(0)
# Generic points: distinct values, none near an integer or half-integer (round, floor, ceil).
X = numpy.floor(_rng.normal(scale=3.0, size=(3, 4))) + _rng.uniform(0.1, 0.4, size=(3, 4))
Y = numpy.floor(_rng.normal(scale=3.0, size=(3, 4))) + _rng.uniform(0.6, 0.9, size=(3, 4))

#: How to call an entry at a generic point, where a plain ``f(x)`` or ``f(x, y)`` does not do:
#: the arguments given the generic arrays ``x`` and ``y`` (floats in them are perturbed).
RECIPES = {
    numpy.isclose: [lambda x, y: (x, y), lambda x, y: (x, x + 1e-9)],
    numpy.allclose: [lambda x, y: (x, y), lambda x, y: (x, x + 1e-9)],
    numpy.equal: [lambda x, y: (x, y), lambda x, y: (x, numpy.where(x > 0, x + 1.0, y))],
    numpy.not_equal: [lambda x, y: (x, y)],
    numpy.argsort: [lambda x, y: (x,), lambda x, y: (x.ravel(),)],
    numpy.argmax: [lambda x, y: (x,), lambda x, y: (x, 1)],
    numpy.argmin: [lambda x, y: (x,), lambda x, y: (x, 0)],
    numpy.all: [lambda x, y: (x,), lambda x, y: (x > 0,)],
    numpy.any: [lambda x, y: (x > 100,), lambda x, y: (x,)],
    numpy.logical_not: [lambda x, y: (x > 0,), lambda x, y: (x,)],
    numpy.logical_and: [lambda x, y: (x > 0, y)],
    numpy.logical_or: [lambda x, y: (x > 0, y > 0)],
    numpy.iscomplex: [lambda x, y: (x,), lambda x, y: (x + 1j * y,)],
    numpy.isreal: [lambda x, y: (x,), lambda x, y: (x + 1j * y,)],
    numpy.isnan: [lambda x, y: (numpy.where(x > 0, numpy.nan, x),)],
    numpy.isinf: [lambda x, y: (numpy.where(x > 0, numpy.inf, x),)],
    numpy.isfinite: [lambda x, y: (numpy.where(x > 0, -numpy.inf, x),)],
}


def _calls(fn):
    if fn in RECIPES:
        return RECIPES[fn]
    if isinstance(fn, numpy.ufunc):
        return [lambda x, y: (x, y)[:fn.nin]]
    return [lambda x, y: (x,)]


def _perturbed(args, scale, seed):
    rng = numpy.random.default_rng(seed)

    def move(a):
        if isinstance(a, numpy.ndarray) and a.dtype.kind in "fc":
            return a + scale * rng.normal(size=a.shape)
        return a

    return tuple(move(a) for a in args)


def _same(a, b):
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b)
        for u, v in zip(a, b):
            _same(u, v)
    else:
        assert_array_equal(a, b)


def _result(fn, args):
    out = fn(*args)
    if fn is numpy.empty_like:  # its entries are whatever memory held: only its shape and dtype are its result
        return numpy.shape(out), str(out.dtype)
    return out


def _name(fn):
    return getattr(fn, "__name__", repr(fn))


def assert_piecewise_constant(fn, calls=None):
    """``fn`` does not change under small perturbations of generic arguments; central differences are zero."""
    for make in calls or _calls(fn):
        args = make(X, Y)
        base = _result(fn, args)
        for seed, scale in enumerate((1e-9, 1e-8, 1e-7)):
            up, down = _result(fn, _perturbed(args, scale, seed)), _result(fn, _perturbed(args, -scale, seed))
            _same(up, base)
            _same(down, base)
            if not isinstance(base, tuple) and numpy.result_type(numpy.asarray(base)).kind in "fc":
                difference = (numpy.asarray(up, dtype=complex) - numpy.asarray(down, dtype=complex)) / (2 * scale)
                assert_array_equal(difference, 0.0)


@pytest.mark.parametrize("fn", sorted(PIECEWISE_CONSTANT, key=_name), ids=_name)
def test_entry_is_constant_between_kinks(fn):
    assert_piecewise_constant(fn)


@pytest.mark.parametrize("fn", sorted(PIECEWISE_CONSTANT, key=_name), ids=_name)
def test_traced_call_gives_the_plain_result(fn):
    """Applied to traced arguments (numpy's dispatch), an entry gives the plain result, untraced."""
    for make in _calls(fn):
        args = make(X, Y)
        traced = [k for k, a in enumerate(args) if isinstance(a, numpy.ndarray) and a.dtype.kind == "f"]
        if not traced:
            continue
        seen = []

        def f(*zs, args=args, traced=traced, seen=seen):
            call = list(args)
            for k, z in zip(traced, zs):
                call[k] = z
            seen.append(fn(*call))
            return sum(anp.sum(z) for z in zs)

        adjoint.grad(f, tuple(range(len(traced))))(*[args[k] for k in traced])
        assert not isinstance(seen[0], Traced), _name(fn)
        if fn is numpy.empty_like:
            seen[0] = (numpy.shape(seen[0]), str(seen[0].dtype))
        _same(seen[0], _result(fn, args))


@pytest.mark.parametrize("fn", [numpy.sort, numpy.cumsum, numpy.abs, numpy.maximum, numpy.median])
def test_the_check_catches_functions_that_are_not_constant(fn):
    with pytest.raises(AssertionError):
        assert_piecewise_constant(fn)


def test_sort_is_not_listed():
    assert numpy.sort not in PIECEWISE_CONSTANT
