"""``"petsc"``: PETSc's Krylov solvers and preconditioners (KSP, petsc4py) on ``I - K``.

In one process it is one more linear method. Under ``mpiexec -n P python script.py`` every
rank runs the same program, so every rank holds the same ``K`` and ``b``; each rank inserts
the rows of ``I - K`` it owns (PETSc's default split of ``n`` rows over ``PETSc.COMM_WORLD``)
into a distributed AIJ matrix, the KSP solve runs on the ``P`` processes, and the solution
is gathered to every rank, which therefore returns the same answer. The matrix and the
solve are distributed; the program around them (the graph, its forward pass, assembling
``K``) is repeated on each rank.

``K`` explicit (sparse or dense): AIJ, with any KSP and preconditioner (``"gamg"``,
``"hypre"`` where PETSc has it, ``"ilu"``, ``"bjacobi"``, ``"lu"`` with ``ksp_type="preonly"``).
``K`` a LinearOperator or callable: a shell matrix (``Mat`` of type python) whose product
gathers its argument and applies ``v - K v``; no preconditioner can be built from it.

Options: ``ksp_type`` (default PETSc's, GMRES), ``pc_type`` (default PETSc's: ILU in one
process, block Jacobi over several), and ``options``, a dict of any further PETSc options
(``{"pc_gamg_threshold": 0.02, "ksp_gmres_restart": 100}``), set under the prefix
``adjoint_`` for this solve and removed after it. The PETSc options database also applies:
``-adjoint_ksp_monitor`` or ``-adjoint_pc_type gamg`` on the command line (``setFromOptions``).
``rtol``, ``atol`` and ``maxiter`` become KSP's tolerances; ``maxiter`` counts KSP iterations.

Convergence is decided as for every method (:mod:`solvers.tolerance`) on the *true* residual
``b - (I - K) x``, computed after the solve: KSP's own test reads the preconditioned residual
for left-preconditioned methods, so where it passes and the true residual does not, KSP goes
on from its answer with a tighter ``rtol`` (up to ``REFINEMENTS`` times). A KSP that diverges
(``DIVERGED_*``) is not converged and its reason is named; one converged by its own test
whose true residual is then within 10 times the tolerance is accepted (and said so), as for
scipy's Krylov methods.

Installing: PETSc has no wheels on PyPI; ``scripts/install_petsc.sh`` installs Debian's
``petsc-dev`` and builds ``petsc4py`` against it. Without petsc4py the method raises
``SolverDependencyError`` saying so.
"""

import itertools
import math

import numpy
import scipy.sparse

from ..capabilities import LinearCapabilities
from ..errors import SolverDependencyError
from ..report import SolveReport, converged_reason
from ..settings import Option, optional, require_string_keys, require_word
from ..tolerance import ITERATIVE_MAXITER, Tolerance, relative
from .krylov import SCIPY_SUCCESS_SLACK
from .system import LinearSystem

CAPABILITIES = LinearCapabilities(warm_start=True, prefers_matrix=True)
OPTIONS = {
    "ksp_type": Option(None, optional(require_word)),
    "pc_type": Option(None, optional(require_word)),
    "options": Option(None, optional(require_string_keys)),
}

#: Further solves from the answer, with a tighter ``rtol``, when KSP's own test (on the
#: preconditioned residual, for left preconditioning) passed but the true residual did not.
REFINEMENTS = 2
#: The options prefix of every solve here: ``-adjoint_ksp_type cg`` on the command line.
PREFIX = "adjoint_"
INSTALL = (
    "method 'petsc' needs petsc4py, which is not installed. PETSc has no wheels on PyPI: run "
    "scripts/install_petsc.sh (Debian's petsc-dev, then `PETSC_DIR=/usr/lib/petsc pip install "
    "--no-build-isolation petsc4py==3.18.5` with numpy and 'cython<3' installed), or use another "
    "linear method ('direct', 'gmres')"
)
_solves = itertools.count()


def unavailable():
    """Why this method cannot run here (petsc4py missing), or ``None``.

    Examples
    --------
    >>> unavailable() is None or "petsc4py" in unavailable()
    True
    """
    try:
        import petsc4py  # noqa: F401
    except ImportError:
        return INSTALL
    return None


def petsc():
    """``petsc4py.PETSc``, or ``SolverDependencyError`` saying how to install it."""
    try:
        from petsc4py import PETSc
    except ImportError as error:
        raise SolverDependencyError(INSTALL) from error
    return PETSc


def solve(system: LinearSystem, *, x0, tolerance: Tolerance, callback, ksp_type, pc_type, options):
    """Solve ``(I - K) x = b`` with a PETSc KSP; see :mod:`solvers.tolerance` for the rule.

    Parameters
    ----------
    system : LinearSystem
        ``K`` explicit (an AIJ matrix is assembled) or matrix-free (a shell matrix).
    x0 : array or None
        Starting point (KSP's initial guess is then nonzero); default zero.
    tolerance : Tolerance
        ``maxiter`` counts KSP iterations (default 1000).
    callback : callable or None
        ``callback(iteration, None, residual)`` from KSP's monitor, with the norm KSP
        monitors (preconditioned for left preconditioning) relative to ``‖b‖``.
    ksp_type, pc_type : str or None
        PETSc's names (``"gmres"``, ``"cg"``, ``"preonly"``; ``"gamg"``, ``"ilu"``, ``"lu"``).
    options : dict or None
        Further PETSc options, without the leading dash or the prefix.

    Returns
    -------
    x : array
        The same on every rank.
    report : SolveReport
        ``iterations`` are KSP's; ``reason`` carries KSP's converged reason.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.tolerance import Tolerance
    >>> system = LinearSystem(np.array([[0.5, 0.2], [0.1, 0.3]]), np.ones(2))
    >>> x, report = solve(system, x0=None, tolerance=Tolerance(), callback=None,
    ...                   ksp_type="gmres", pc_type="none", options=None)  # doctest: +SKIP
    >>> report.converged  # doctest: +SKIP
    True
    """
    PETSc = petsc()
    tolerance = tolerance.with_default_maxiter(ITERATIVE_MAXITER)
    comm = PETSc.COMM_WORLD
    n = system.n
    start, stop = _owned_rows(n, comm.getSize(), comm.getRank())
    A = _matrix(PETSc, system, start, stop, comm)
    b, x = A.createVecLeft(), A.createVecRight()
    b.setArray(system.b[start:stop])
    if x0 is not None:
        x.setArray(numpy.asarray(x0, dtype=numpy.float64)[start:stop])
    scale = float(numpy.linalg.norm(system.b))
    history = []

    def monitor(ksp, iteration, norm):
        if iteration == 0:
            return
        history.append(relative(float(norm), scale))
        if callback is not None:
            callback(iteration, None, history[-1])

    ksp = PETSc.KSP().create(comm)
    database = PETSc.Options()
    prefix = f"{PREFIX}{next(_solves)}_" if options else PREFIX
    given = {k.lstrip("-"): v for k, v in (options or {}).items()}
    try:
        for key, value in given.items():
            database[prefix + key] = value
        ksp.setOptionsPrefix(prefix)
        ksp.setOperators(A)
        if ksp_type is not None:
            ksp.setType(ksp_type)
        if pc_type is not None or not system.explicit:
            ksp.getPC().setType(pc_type or "none")  # a shell matrix gives nothing to precondition with
        ksp.setInitialGuessNonzero(x0 is not None)
        ksp.setTolerances(rtol=tolerance.rtol, atol=tolerance.atol, max_it=tolerance.maxiter)
        ksp.setMonitor(monitor)
        ksp.setFromOptions()
        iterations, rtol = 0, tolerance.rtol
        for _ in range(REFINEMENTS + 1):
            ksp.solve(b, x)
            reason_code = ksp.getConvergedReason()
            iterations += ksp.getIterationNumber()
            residual_norm = float(numpy.linalg.norm(system.residual(_gathered(PETSc, x))))
            if reason_code <= 0 or tolerance.is_met(residual_norm, scale) or not math.isfinite(residual_norm):
                break
            # converged on KSP's (preconditioned) norm, not on the true residual: go on from x, tighter
            rtol *= 0.5 * tolerance.threshold(scale) / residual_norm
            ksp.setInitialGuessNonzero(True)
            ksp.setTolerances(rtol=rtol, atol=tolerance.atol, max_it=max(1, tolerance.maxiter - iterations))
        method_name = f"{ksp.getType()}/{ksp.getPC().getType()}"
    finally:
        for key in given:
            database.delValue(prefix + key)
        ksp.destroy()
    solution = _gathered(PETSc, x)
    A.destroy(), b.destroy(), x.destroy()
    return solution, _report(system, solution, tolerance, scale, reason_code, iterations, method_name, history)


def _owned_rows(n, size, rank):
    """PETSc's default split of ``n`` rows over ``size`` ranks: this rank's ``[start, stop)``."""
    counts = [n // size + (1 if r < n % size else 0) for r in range(size)]
    start = sum(counts[:rank])
    return start, start + counts[rank]


def _matrix(PETSc, system, start, stop, comm):
    """``I - K`` as a PETSc matrix with this rank's rows: AIJ if ``K`` is explicit, else a shell."""
    n, local = system.n, stop - start
    if system.explicit:
        rows = scipy.sparse.csr_matrix(system.assemble(sparse=False))[start:stop]  # CSR: no CSC round trip
        rows.sort_indices()
        csr = (rows.indptr.astype(PETSc.IntType), rows.indices.astype(PETSc.IntType), rows.data)
        return PETSc.Mat().createAIJ(size=((local, n), (local, n)), csr=csr, comm=comm)
    shell = PETSc.Mat().createPython(((local, n), (local, n)), context=_Shell(PETSc, system, start, stop), comm=comm)
    shell.setUp()
    return shell


class _Shell:
    """The product of a shell matrix: gather ``v`` to every rank, apply ``v - K v``, keep this rank's rows."""

    def __init__(self, PETSc, system, start, stop):
        self.PETSc, self.operator, self.start, self.stop = PETSc, system.operator(), start, stop

    def mult(self, mat, v, out):
        full = _gathered(self.PETSc, v)
        out.setArray(numpy.asarray(self.operator.matvec(full)).ravel()[self.start:self.stop])


def _gathered(PETSc, v):
    """The whole of a distributed vector, as a numpy array on every rank."""
    scatter, whole = PETSc.Scatter.toAll(v)
    scatter.scatter(v, whole, PETSc.InsertMode.INSERT_VALUES, PETSc.ScatterMode.FORWARD)
    out = numpy.array(whole.getArray(), dtype=numpy.float64)
    scatter.destroy(), whole.destroy()
    return out


def _report(system, x, tolerance, scale, reason_code, iterations, method_name, history):
    residual_norm = float(numpy.linalg.norm(system.residual(x)))
    residual = relative(residual_norm, scale)
    allowed = relative(tolerance.threshold(scale), scale)
    ksp_reason = f"{method_name}: {_reason_name(reason_code)}"
    if not math.isfinite(residual):
        code, reason = "diverged", f"diverged: non-finite residual (KSP {ksp_reason})"
    elif tolerance.is_met(residual_norm, scale):
        code, reason = "converged", f"{converged_reason(residual, allowed)} (KSP {ksp_reason})"
    elif reason_code > 0 and residual <= SCIPY_SUCCESS_SLACK * allowed:
        code = "converged"
        reason = (f"{converged_reason(residual, allowed).replace('<=', '<~')} (within {SCIPY_SUCCESS_SLACK:g}x: "
                  f"KSP {ksp_reason} on its own norm, the true residual is slightly above the tolerance)")
    elif reason_code == _diverged_max_it():
        code, reason = "maxiter", (f"maxiter reached: {iterations} KSP iterations, residual {residual:.3g} > "
                                   f"{allowed:.3g} (KSP {ksp_reason})")
    elif reason_code < 0:
        code, reason = "diverged", f"diverged: KSP {ksp_reason} after {iterations} iterations, residual {residual:.3g}"
    else:
        code, reason = "stagnated", (f"stagnated: KSP {ksp_reason} after {iterations} iterations, but the true "
                                     f"residual {residual:.3g} > tolerance {allowed:.3g}")
    return SolveReport(
        method="petsc", converged=code == "converged", iterations=int(iterations),
        residual=residual, residuals=history + [residual], reason=reason, exact=True,
        evaluations=system.applications, code=code,
    )


def _diverged_max_it():
    from petsc4py import PETSc

    return PETSc.KSP.ConvergedReason.DIVERGED_MAX_IT


def _reason_name(code):
    from petsc4py import PETSc

    names = {getattr(PETSc.KSP.ConvergedReason, k): k for k in dir(PETSc.KSP.ConvergedReason) if k.isupper()}
    return f"{names.get(code, 'reason')} ({code})"
