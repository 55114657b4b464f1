"""The fast paths of tracing and back-substitution change nothing but speed."""

import operator
import warnings

import numpy as np
import pytest

import adjoint
from adjoint.tape.reverse import back_substitute
from graphs.rules.broadcasting import unbroadcast
from graphs.tape import Tape

OPS = [operator.add, operator.sub, operator.mul, operator.truediv, operator.pow]
UFUNCS = [np.add, np.subtract, np.multiply, np.true_divide, np.power]


@pytest.mark.parametrize("op, ufunc", list(zip(OPS, UFUNCS)), ids=[u.__name__ for u in UFUNCS])
@pytest.mark.parametrize("a, b", [(2.5, 0.5), (-8.0, 1 / 3), (1.0, 0.0), (0.0, -1.0), (3.0, 2), (1e308, 10.0)])
def test_scalar_operators_give_the_ufuncs_result_type_and_warnings(op, ufunc, a, b):
    for left, right, traced_first in ((a, b, True), (b, a, False)):
        tape = Tape()
        x = tape.input(np.float64(left if traced_first else right))
        with warnings.catch_warnings(record=True) as fast:
            warnings.simplefilter("always")
            got = (op(x, right) if traced_first else op(left, x)).value
        with warnings.catch_warnings(record=True) as slow:
            warnings.simplefilter("always")
            want = ufunc(np.float64(left), right) if traced_first else ufunc(left, np.float64(right))
        assert type(got) is type(want)
        assert np.array_equal(got, want, equal_nan=True)
        assert [w.category for w in fast] == [w.category for w in slow]


def test_unbroadcast_fast_paths_and_general_case():
    assert unbroadcast(np.float64(2.0), 3.0) == 2.0
    g = np.ones((2, 3))
    assert unbroadcast(g, np.zeros((2, 3))) is g
    assert np.array_equal(unbroadcast(g, np.zeros(3)), [2.0, 2.0, 2.0])
    assert np.array_equal(unbroadcast(g, np.zeros((2, 1))), [[3.0], [3.0]])
    assert unbroadcast(g, 1.0) == 6.0


def test_back_substitute_skips_arguments_not_needed():
    tape = Tape()
    x, data = tape.input(np.float64(2.0)), tape.input(np.float64(3.0))
    y = np.sin(x) * data
    full = back_substitute(tape, {y.index: 1.0})
    needed = [True, False, True, True]
    pruned = back_substitute(tape, {y.index: 1.0}, needed=needed)
    assert pruned[x.index] == full[x.index] and pruned[data.index] is None and full[data.index] is not None


def test_grad_restores_the_garbage_collector():
    import gc

    adjoint.grad(lambda x: x * x)(1.0)
    assert gc.isenabled()
    gc.disable()
    try:
        adjoint.grad(lambda x: x * x)(1.0)
        assert not gc.isenabled()
    finally:
        gc.enable()
