"""Guards: tracing notes the outcomes of piecewise-constant functions of traced values."""

import numpy as np

import adjoint.numpy as anp
from graphs.guards import guard_holds, replayable_guards, same_outcome
from graphs.tape import Tape


def _tape(*values):
    tape = Tape()
    return tape, [tape.input(np.asarray(v, dtype=float) if np.ndim(v) else np.float64(v)) for v in values]


def test_comparisons_and_truth_values_are_guards_with_plain_results():
    tape, (x, y) = _tape(2.0, 3.0)
    results = [x < y, x <= 1.0, x > y, x >= 2.0, x == y, x != y, bool(x)]
    assert results == [True, False, False, True, False, True, True]
    assert all(isinstance(r, (bool, np.bool_)) for r in results)
    assert len(tape.guards) == 7
    values = {0: np.float64(5.0), 1: np.float64(3.0)}
    outcomes = [guard_holds(g, values.__getitem__) for g in tape.guards]
    assert outcomes == [False, True, False, True, True, True, True]


def test_numpy_piecewise_constant_functions_are_guards_but_shape_functions_are_not():
    tape, (x,) = _tape([1.0, -2.0, 0.5])
    assert np.array_equal(np.sign(x), [1.0, -1.0, 1.0])
    assert int(np.argmax(x)) == 0
    _ = np.zeros_like(x), np.shape(x)
    assert [g[1] for g in tape.guards] == [np.sign, np.argmax]
    assert guard_holds(tape.guards[1], {0: np.array([0.0, 3.0, 1.0])}.__getitem__) is False


def test_a_traced_where_condition_is_a_guard():
    tape, (c, x) = _tape([1.0, 0.0], [2.0, 3.0])
    y = anp.where(c, x, 0.0)
    assert np.array_equal(y.value, [2.0, 0.0])
    assert len(tape.guards) == 1 and tape.guards[0][4] == (0, -1)


def test_guards_inside_containers_cannot_be_replayed():
    tape, (x,) = _tape([1.0, 2.0])
    assert bool(np.allclose(x, [x, x])) is True  # traced values inside a list
    assert not replayable_guards(tape.guards)
    assert guard_holds(tape.guards[0], lambda i: None) is False


def test_same_outcome():
    assert same_outcome(np.array([True, False]), np.array([True, False]))
    assert not same_outcome(np.array([1, 2]), np.array([1, 2, 3]))
    assert same_outcome(np.array([np.nan, 1.0]), np.array([np.nan, 1.0]))
