"""solvers.triangular: (I - J)ᵀ x = b by level sweeps and by spsolve_triangular."""

import numpy as np
import pytest
import scipy.linalg

from solvers import compiled_loops
from solvers.triangular import METHODS, TriangularPattern


def _random_pattern(rng, n, per_row, levels=True):
    rows = np.repeat(np.arange(1, n), per_row)
    cols = (rng.random(rows.size) * rows).astype(np.int64)
    if not levels:
        return n, rows, cols, None
    level = np.zeros(n, dtype=np.int64)  # longest path from the first unknown
    for r, c in sorted(zip(rows, cols)):
        level[r] = max(level[r], level[c] + 1)
    order = np.argsort(level, kind="stable")  # renumber so that levels are contiguous
    new = np.empty(n, dtype=np.int64)
    new[order] = np.arange(n)
    starts = np.searchsorted(level[order], np.arange(level.max() + 1))
    return n, new[rows], new[cols], starts


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("levels", [True, False])
def test_agrees_with_a_dense_solve(method, levels):
    rng = np.random.default_rng(0)
    n, rows, cols, starts = _random_pattern(rng, 60, 2, levels)
    rows, cols = np.concatenate([rows, rows[:5]]), np.concatenate([cols, cols[:5]])  # repeats add up
    data = rng.uniform(-0.5, 0.5, rows.size)
    b = rng.standard_normal(n)
    J = np.zeros((n, n))
    np.add.at(J, (rows, cols), data)
    expected = scipy.linalg.solve_triangular((np.eye(n) - J).T, b, lower=False)
    pattern = TriangularPattern(n, rows, cols, starts)
    assert pattern.has_duplicates
    x = pattern.solve(data, b, method)
    assert np.allclose(x, expected, rtol=1e-12, atol=1e-12)
    assert np.array_equal(b, b.copy())  # b untouched


def test_empty_pattern_is_the_identity():
    pattern = TriangularPattern(3, [], [])
    for method in METHODS:
        assert np.array_equal(pattern.solve(np.zeros(0), np.array([1.0, 2.0, 3.0]), method), [1.0, 2.0, 3.0])


def test_refuses_entries_on_or_above_the_diagonal():
    with pytest.raises(ValueError, match="strictly lower"):
        TriangularPattern(3, [0, 2], [1, 1])


def test_the_compiled_method_without_numba_says_what_to_install(monkeypatch):
    monkeypatch.setattr(compiled_loops, "available", lambda: False)
    pattern = TriangularPattern(2, [1], [0])
    assert "compiled" not in pattern.candidates()
    with pytest.raises(ImportError, match="pip install numba"):
        pattern.solve(np.ones(1), np.ones(2), "compiled")


def test_unknown_method():
    with pytest.raises(ValueError, match="unknown triangular method"):
        TriangularPattern(2, [1], [0]).solve(np.ones(1), np.ones(2), "magic")


def test_cost_model_rules_out_levels_on_a_chain():
    n = 10_000
    chain = TriangularPattern(n, np.arange(1, n), np.arange(n - 1))
    assert chain.candidates() == (["compiled"] if compiled_loops.available() else ["spsolve"])
    wide = TriangularPattern(n, np.arange(100, n), np.arange(n - 100), np.arange(0, n, 100))
    costs = wide.estimate(wide.n, wide.nnz, wide.n_levels)
    assert costs["levels"] < 4 * costs["spsolve"]  # within the factor of candidates()
