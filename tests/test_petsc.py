"""The ``"petsc"`` linear method: KSP on every form of K, inside the adjoint layer, over MPI.

References: a dense ``numpy.linalg.solve``, and SciPy's ``direct`` / ``gmres`` adjoints of the
same graph. Tests that need petsc4py are marked ``petsc`` and skip, saying how to install it,
where it is missing (``tests/conftest.py``); the ones at the end check that message itself.
"""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp

import adjoint
import adjoint.numpy as anp
import solvers
from solvers.linear import petsc

HERE = os.path.dirname(__file__)
sys.path.insert(0, os.path.join(HERE, "mpi"))
from petsc_pagerank import pagerank_graph  # noqa: E402


def system(n=60, seed=0, radius=0.8):
    rng = np.random.default_rng(seed)
    K = sp.random_array((n, n), density=6 / n, rng=rng, format="csr")
    K.data -= 0.5
    K = K * (radius / max(abs(np.linalg.eigvals(K.toarray()))))
    return K.tocsr(), rng.standard_normal(n)


FORMS = {
    "sparse": lambda K: K,
    "dense": lambda K: K.toarray(),
    "callable": lambda K: (lambda v: K @ v),
}
KSP = [
    {},
    {"ksp_type": "gmres", "pc_type": "ilu"},
    {"ksp_type": "preonly", "pc_type": "lu"},
    {"ksp_type": "bcgs", "pc_type": "jacobi"},
    {"ksp_type": "gmres", "pc_type": "gamg"},
    {"ksp_type": "fgmres", "pc_type": "none", "options": {"ksp_gmres_restart": 5}},
]


# a shell matrix (K a callable) has no entries to build a preconditioner from: no PC there
CASES = [(form, o) for form in FORMS for o in KSP if form != "callable" or o.get("pc_type") in (None, "none")]


@pytest.mark.petsc
@pytest.mark.parametrize("form, options", CASES, ids=[f"{f}-{o or 'defaults'}" for f, o in CASES])
def test_solves_match_a_dense_solve(form, options):
    K, b = system()
    x, report = solvers.solve_linear("petsc", FORMS[form](K), b, **options)
    exact = np.linalg.solve(np.eye(K.shape[0]) - K.toarray(), b)
    assert report.converged and report.method == "petsc" and "KSP" in report.reason
    assert np.abs(x - exact).max() <= 1e-8 * np.abs(exact).max()
    assert report.residual <= 1e-10 and report.residuals[-1] == report.residual


@pytest.mark.petsc
def test_warm_start_and_callback():
    K, b = system()
    exact = np.linalg.solve(np.eye(K.shape[0]) - K.toarray(), b)
    seen = []
    _, report = solvers.solve_linear("petsc", K, b, callback=lambda k, x, r: seen.append((k, r)))
    assert [k for k, _ in seen] == list(range(1, report.iterations + 1)) and seen[-1][1] < 1e-9
    _, warm = solvers.solve_linear("petsc", K, b, x0=exact)
    assert warm.converged and warm.iterations == 0


@pytest.mark.petsc
@pytest.mark.parametrize("case, options, code", [
    ("iteration budget", {"maxiter": 2, "pc_type": "none"}, "maxiter"),
    ("richardson on a non-contraction", {"ksp_type": "richardson", "pc_type": "none"}, "diverged"),
])
def test_failures_are_reported_not_converged(case, options, code):
    K, b = system(radius=0.8 if code == "maxiter" else 3.0)
    x, report = solvers.solve_linear("petsc", K, b, **options)
    assert not report.converged and report.code == code
    assert "KSP" in report.reason and f"{report.residual:.3g}" in report.reason


@pytest.mark.petsc
def test_options_are_set_for_one_solve_only():
    from petsc4py import PETSc

    K, b = system()
    before = PETSc.Options().getAll()
    _, report = solvers.solve_linear("petsc", K, b, ksp_type="gmres", options={"ksp_gmres_restart": 3})
    assert report.converged and PETSc.Options().getAll() == before


@pytest.mark.petsc
@pytest.mark.parametrize("options", [{}, {"pc_type": "gamg"}, {"ksp_type": "preonly", "pc_type": "lu"}],
                         ids=["gmres-ilu", "gmres-gamg", "lu"])
def test_graph_adjoint_equals_scipy(options):
    graph, inputs = pagerank_graph(3000)
    direct = adjoint.solve(graph, inputs, "J", adjoint="direct").gradient["v"]
    sol = adjoint.solve(graph, inputs, "J", adjoint="petsc", adjoint_options=options)
    assert sol.blocks[0].adjoint.converged and sol.blocks[0].method == "petsc"
    assert np.abs(sol.gradient["v"] - direct).max() <= 1e-8 * np.abs(direct).max()


A = np.array([[3.0, 1.0, 0.0], [1.0, 4.0, 1.0], [0.0, 1.0, 5.0]])
IMPLICIT = {
    "root": lambda b, method: anp.sum(
        adjoint.root(lambda z, b: A @ z + 0.1 * z ** 3 - b, np.zeros(3), b, adjoint=method) ** 2),
    "fixed_point": lambda x, method: anp.sum(
        adjoint.fixed_point(lambda z, x: anp.tanh(A @ z / 10 + x), np.zeros(3), x, adjoint=method)),
}


@pytest.mark.petsc
@pytest.mark.parametrize("name", IMPLICIT)
def test_fixed_point_root_and_tangents_with_petsc(name):
    f, b = IMPLICIT[name], np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(adjoint.grad(lambda v: f(v, "petsc"))(b), adjoint.grad(lambda v: f(v, "direct"))(b),
                               rtol=1e-9)
    jvp_petsc = adjoint.make_jvp(lambda v: f(v, "petsc"))(b)(np.ones(3))[1]
    jvp_direct = adjoint.make_jvp(lambda v: f(v, "direct"))(b)(np.ones(3))[1]
    assert abs(jvp_petsc - jvp_direct) <= 1e-9 * abs(jvp_direct)


@pytest.mark.petsc
def test_newton_steps_by_petsc():
    graph, inputs = pagerank_graph(2000)
    default = adjoint.solve(graph, inputs, "J", forward="newton")
    by_petsc = adjoint.solve(graph, inputs, "J", forward="newton",
                             forward_options={"linear": "petsc", "linear_options": {"pc_type": "gamg"}})
    assert by_petsc.blocks[0].forward.converged
    np.testing.assert_allclose(by_petsc.values["r"], default.values["r"], rtol=1e-9)
    np.testing.assert_allclose(by_petsc.gradient["v"], default.gradient["v"], rtol=1e-8)


@pytest.mark.petsc
def test_a_failed_ksp_raises_convergence_error_or_warns():
    graph, inputs = pagerank_graph(2000)
    kwargs = dict(forward="newton", adjoint="petsc", adjoint_options={"pc_type": "none"}, maxiter=2)
    with pytest.raises(adjoint.ConvergenceError, match="adjoint solve .* maxiter reached: .* KSP"):
        adjoint.solve(graph, inputs, "J", **kwargs)
    with pytest.warns(adjoint.ConvergenceWarning, match="adjoint solve .* KSP"):
        sol = adjoint.solve(graph, inputs, "J", throw=False, **kwargs)
    assert not sol.blocks[0].adjoint.converged and sol.blocks[0].adjoint.code == "maxiter"


@pytest.mark.petsc
@pytest.mark.skipif(shutil.which("mpiexec") is None, reason="mpiexec is not installed (it comes with petsc-dev)")
@pytest.mark.parametrize("options", [{}, {"pc_type": "gamg"}], ids=["gmres-bjacobi", "gmres-gamg"])
def test_two_ranks_give_every_rank_the_scipy_gradient(options, tmp_path):
    command = ["mpiexec", "-n", "2", sys.executable, os.path.join(HERE, "mpi", "petsc_pagerank.py"), "20000",
               json.dumps(options), str(tmp_path)]
    if os.geteuid() == 0:
        command[1:1] = ["--allow-run-as-root", "--oversubscribe"]
    out = subprocess.run(command, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "OMPI_MCA_rmaps_base_oversubscribe": "1"})
    assert out.returncode == 0, out.stderr[-2000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    assert sorted(r["rank"] for r in ranks) == [0, 1] and all(r["size"] == 2 for r in ranks)
    assert ranks[0]["checksum"] == ranks[1]["checksum"]  # bit for bit the same gradient
    assert all(r["converged"] and r["difference"] <= 1e-8 for r in ranks)


# --- without petsc4py: runs everywhere -------------------------------------------------

def test_without_petsc4py_the_error_says_how_to_install(monkeypatch):
    monkeypatch.setattr(petsc, "unavailable", lambda: petsc.INSTALL)
    K, b = system()
    with pytest.raises(solvers.SolverDependencyError, match="scripts/install_petsc.sh"):
        solvers.solve_linear("petsc", K, b)
    graph, inputs = pagerank_graph(100)
    with pytest.raises(adjoint.MissingDependencyError, match="petsc4py"):
        adjoint.solve(graph, inputs, "J", adjoint="petsc")
    assert isinstance(adjoint.MissingDependencyError("x"), ImportError)


def test_petsc_options_are_checked_before_any_work():
    K, b = system()
    with pytest.raises(solvers.SolverSettingError, match="ksp_type must be a name"):
        solvers.solve_linear("petsc", K, b, ksp_type=3)
    with pytest.raises(solvers.SolverSettingError, match="options must be a dict"):
        solvers.solve_linear("petsc", K, b, options=["ksp_monitor"])
    with pytest.raises(solvers.SolverSettingError, match="exact linear method"):
        solvers.solve_fixed_point("newton", np.cos, np.zeros(2), jacobian=lambda z: np.diag(-np.sin(z)),
                                  linear="neumann")


@pytest.mark.petsc
def test_a_block_that_cannot_be_assembled_takes_the_shell_matrix(monkeypatch):
    from adjoint.graph.cyclic import linear_solve

    def refuse(*args, **kwargs):
        raise adjoint.AdjointError("no partial rule (simulated): use a matrix-free method")

    graph, inputs = pagerank_graph(2000)
    direct = adjoint.solve(graph, inputs, "J", adjoint="direct").gradient["v"]
    monkeypatch.setattr(linear_solve, "assemble", refuse)
    with pytest.raises(adjoint.AdjointError, match="simulated"):
        adjoint.solve(graph, inputs, "J", adjoint="direct")
    sol = adjoint.solve(graph, inputs, "J", adjoint="petsc")
    assert "gmres/none" in sol.blocks[0].adjoint.reason  # the shell: nothing to precondition with
    assert np.abs(sol.gradient["v"] - direct).max() <= 1e-8 * np.abs(direct).max()
