"""``adjoint.plot`` writes pictures (Agg canvas, no display), and says what to install without matplotlib."""

import sys

import numpy as np
import pytest

import adjoint
import adjoint.numpy as anp

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def cyclic_graph():
    g = adjoint.ConstraintGraph()
    g.add_input("x")
    g.add_input("p")
    g.add_constraint("a", lambda c, x: 0.5 * anp.sin(c) + x, ["c", "x"], init=np.zeros(3))
    g.add_constraint("b", lambda a, p: anp.tanh(a * p), ["a", "p"])
    g.add_constraint("c", lambda b, a: 0.6 * b - 0.2 * a, ["b", "a"])
    g.add_constraint("d", lambda d, c: 0.3 * anp.cos(d) + c, ["d", "c"], init=np.zeros(3))
    g.add_constraint("J", lambda d, b: anp.sum(d * b), ["d", "b"])
    return g


def solved():
    g = cyclic_graph()
    sol = adjoint.solve(g, {"x": np.full(3, 0.4), "p": np.array([1.0, 2.0, 0.5])}, "J",
                        forward="fixed_point", adjoint={"a": "gmres", "d": "fixed_point"})
    return g, sol


@pytest.mark.parametrize("picture, suffix", [
    ("graph with multipliers", "png"),
    ("graph alone", "png"),
    ("convergence", "png"),
    ("convergence", "svg"),
])
def test_pictures_are_written(tmp_path, picture, suffix):
    g, sol = solved()
    path = tmp_path / f"picture.{suffix}"
    if picture == "graph with multipliers":
        adjoint.plot.constraint_graph(g, sol, path)
    elif picture == "graph alone":
        adjoint.plot.constraint_graph(g, path=path)
    else:
        adjoint.plot.convergence(sol, path)
    data = path.read_bytes()
    assert len(data) > 1000
    if suffix == "png":
        assert data.startswith(PNG_SIGNATURE)


def test_convergence_draws_one_curve_per_solve_with_a_history():
    _, sol = solved()
    fig = adjoint.plot.convergence(sol.blocks)
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert len(labels) == 4 and sum("forward" in s for s in labels) == 2 and sum("adjoint" in s for s in labels) == 2


def test_without_matplotlib_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)
    with pytest.raises(ImportError, match=r"pip install \"adjoint\[plot\]\""):
        adjoint.plot.convergence([])


def test_importing_adjoint_does_not_import_matplotlib():
    import subprocess

    code = "import sys, adjoint; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
