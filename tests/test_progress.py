"""Watching long solves: the callback reaches every cyclic solve, and progress bars show."""

import sys

import numpy as np
import pytest

import adjoint
import adjoint.numpy as anp


def contraction():
    """z = cos(z) / 4 + x on three entries: Picard's residual falls by ~4x per iteration."""
    g = adjoint.ConstraintGraph()
    g.add_input("x")
    g.add_constraint("z", lambda z, x: anp.cos(z) / 4 + x, ["z", "x"], init=np.zeros(3))
    g.add_constraint("J", lambda z: anp.sum(z ** 2), ["z"])
    return g


def record():
    calls = []
    return calls, lambda nodes, phase, iteration, residual: calls.append((nodes, phase, iteration, residual))


def by_phase(calls):
    phases = {}
    for nodes, phase, iteration, residual in calls:
        phases.setdefault(phase, []).append((nodes, iteration, residual))
    return phases


def decreasing(values):
    return all(b < a for a, b in zip(values, values[1:]))


@pytest.mark.parametrize("forward, adjoint_method", [
    ("fixed_point", "fixed_point"), ("anderson", "gmres"), ("newton", "bicgstab"),
])
def test_solve_calls_back_with_decreasing_residuals(forward, adjoint_method):
    calls, callback = record()
    adjoint.solve(contraction(), {"x": np.array([1.0, 2.0, 3.0])}, "J", forward=forward,
                  adjoint=adjoint_method, callback=callback)
    phases = by_phase(calls)
    assert set(phases) == {"forward", "adjoint"}
    for seen in phases.values():
        nodes, iterations, residuals = zip(*seen)
        assert set(nodes) == {("z",)}
        # iterations count operator applications: BiCGSTAB reports every second one
        assert iterations[0] in (1, 2) and all(b > a for a, b in zip(iterations, iterations[1:]))
        assert decreasing(residuals), residuals
        assert residuals[-1] <= 1e-10


def test_fixed_point_calls_back_in_all_three_phases():
    calls, callback = record()

    def z_star(x):
        return adjoint.fixed_point(lambda z, x: anp.cos(z) / 4 + x, np.zeros(3), x, forward="fixed_point",
                                   adjoint="fixed_point", callback=callback)

    x = np.array([1.0, 2.0, 3.0])
    adjoint.grad(lambda x: anp.sum(z_star(x)))(x)
    adjoint.jvp(z_star)(x, np.ones(3))
    phases = by_phase(calls)
    assert set(phases) == {"forward", "adjoint", "tangent"}
    solves = []  # grad and jvp each trace, so each solve forward: a new run starts at iteration 1
    for phase, seen in phases.items():
        for _, iteration, residual in seen:
            if iteration == 1:
                solves.append((phase, []))
            solves[-1][1].append(residual)
    assert [phase for phase, _ in solves] == ["forward", "forward", "adjoint", "tangent"]
    assert all(decreasing(residuals) and residuals[-1] <= 1e-10 for _, residuals in solves)


def test_solve_tangent_calls_back_in_the_tangent_phase():
    calls, callback = record()
    g = contraction()
    adjoint.solve_tangent(g, {"x": np.ones(3)}, {"x": np.ones(3)}, forward="fixed_point", linear="gmres",
                          callback=callback)
    assert {phase for _, phase, _, _ in calls} == {"forward", "tangent"}


def test_progress_bar_with_tqdm(capsys):
    adjoint.solve(contraction(), {"x": np.ones(3)}, "J", forward="fixed_point", adjoint="fixed_point",
                  progress=True)
    err = capsys.readouterr().err
    assert "forward ['z']" in err and "adjoint ['z']" in err


def test_progress_without_tqdm_prints_plain_lines(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    adjoint.solve(contraction(), {"x": np.ones(3)}, "J", forward="fixed_point", adjoint="fixed_point",
                  progress=True)
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines and all(line.startswith(("forward ['z']: iteration", "adjoint ['z']: iteration")) for line in lines)
    assert any(line.startswith("adjoint") for line in lines)


def test_without_callback_or_progress_the_solver_is_called_as_is():
    from types import SimpleNamespace

    from adjoint.diagnostics.progress import monitored

    def solver():
        return None

    assert monitored(solver, SimpleNamespace(callback=None, progress=False), None, "forward") is solver


@pytest.mark.parametrize("options, message", [
    ({"callback": 3}, "callback must be callable"),
    ({"progress": "yes"}, "progress must be True or False"),
])
@pytest.mark.parametrize("entry", ["solve", "fixed_point", "solve_tangent"])
def test_bad_watch_options_are_refused(entry, options, message):
    g = contraction()
    calls = {
        "solve": lambda: adjoint.solve(g, {"x": np.ones(3)}, "J", **options),
        "fixed_point": lambda: adjoint.fixed_point(lambda z, x: z / 2 + x, 0.0, 1.0, **options),
        "solve_tangent": lambda: adjoint.solve_tangent(g, {"x": np.ones(3)}, {}, **options),
    }
    with pytest.raises(adjoint.InvalidArgumentError, match=message):
        calls[entry]()
