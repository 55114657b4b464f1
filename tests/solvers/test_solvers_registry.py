"""Registries: method names, capabilities, the one check of settings, solver objects, codes."""

import numpy as np
import pytest
import scipy.linalg
import scipy.sparse.linalg as sla

import solvers
from solvers import (
    CODES,
    CONVERGED_CODES,
    LinearSolver,
    NonlinearSolver,
    SolverSettingError,
    capabilities,
    check_options,
    linear_methods,
    nonlinear_methods,
    solve_fixed_point,
    solve_linear,
)
from solvers.linear import LINEAR
from solvers.nonlinear import NONLINEAR

K_CONTRACTION = np.array([[0.5, 0.2, 0.0], [0.1, 0.3, 0.1], [0.0, 0.2, 0.4]])
B = np.array([1.0, -2.0, 0.5])
X_EXACT = np.linalg.solve(np.eye(3) - K_CONTRACTION, B)


def cosine_derivatives():
    return {"jacobian": lambda z: np.diag(-np.sin(z) / 2), "jvp": lambda z, v: -np.sin(z) / 2 * v}


# --- names ---------------------------------------------------------------------------------
def test_method_names_in_a_stable_order():
    assert linear_methods() == (
        "direct", "gmres", "bicgstab", "lgmres", "minres", "cg", "petsc", "fixed_point", "neumann", "jfb")
    assert nonlinear_methods() == ("fixed_point", "anderson", "newton", "newton_krylov")
    assert linear_methods() == LINEAR.names and nonlinear_methods() == NONLINEAR.names


@pytest.mark.parametrize("registry", [LINEAR, NONLINEAR], ids=["linear", "nonlinear"])
def test_every_registered_module_declares_solve_options_and_capabilities(registry):
    for name in registry.names:
        method = registry[name]
        assert callable(method.module.solve)
        assert all(isinstance(option, solvers.settings.Option)
                   for option in method.module.OPTIONS.values())
        assert set(method.fixed) <= set(method.module.OPTIONS)
        assert isinstance(method.capabilities,
                          solvers.LinearCapabilities if registry is LINEAR
                          else solvers.NonlinearCapabilities)


# --- capabilities --------------------------------------------------------------------------
LINEAR_CAPABILITIES = {
    # name: (needs_matrix, exact, warm_start, gpu, needs_contraction, prefers_matrix, true_residual)
    "direct": (True, True, False, False, False, False, False),
    "gmres": (False, True, True, False, False, False, False),
    "bicgstab": (False, True, True, False, False, False, False),
    "lgmres": (False, True, True, False, False, False, False),
    "minres": (False, True, True, False, False, False, False),
    "cg": (False, True, True, False, False, False, False),
    "petsc": (False, True, True, False, False, True, False),
    "fixed_point": (False, True, True, True, True, False, True),
    "neumann": (False, False, False, True, True, False, False),
    "jfb": (False, False, False, True, True, False, False),
}
NONLINEAR_CAPABILITIES = {
    # name: (needs_jacobian, needs_jvp, gpu)
    "fixed_point": (False, False, True),
    "anderson": (False, False, True),
    "newton": (True, False, False),
    "newton_krylov": (False, True, False),
}


def test_capability_tables_cover_every_method():
    assert tuple(LINEAR_CAPABILITIES) == linear_methods()
    assert tuple(NONLINEAR_CAPABILITIES) == nonlinear_methods()


@pytest.mark.parametrize("name", LINEAR_CAPABILITIES)
def test_linear_capabilities(name):
    needs_matrix, exact, warm_start, gpu, needs_contraction, prefers_matrix, true_residual = LINEAR_CAPABILITIES[name]
    caps = capabilities(name, "linear")
    assert caps == solvers.LinearCapabilities(needs_matrix=needs_matrix, exact=exact, warm_start=warm_start, gpu=gpu,
                                              needs_contraction=needs_contraction, prefers_matrix=prefers_matrix,
                                              true_residual=true_residual)
    assert caps.matrix_free is not needs_matrix
    assert capabilities(name, kind="linear") is LinearSolver(name).capabilities


@pytest.mark.parametrize("name", NONLINEAR_CAPABILITIES)
def test_nonlinear_capabilities(name):
    needs_jacobian, needs_jvp, gpu = NONLINEAR_CAPABILITIES[name]
    caps = capabilities(name, "nonlinear")
    assert caps == solvers.NonlinearCapabilities(needs_jacobian=needs_jacobian,
                                                 needs_jvp=needs_jvp, gpu=gpu)
    assert caps.derivative_free is not (needs_jacobian or needs_jvp)


def test_capabilities_are_frozen():
    with pytest.raises(AttributeError):
        capabilities("gmres", "linear").needs_matrix = True


@pytest.mark.parametrize("name, kind, message", [
    ("foo", "linear", r"unknown linear method 'foo'; valid methods are: direct, gmres"),
    ("newton", "linear", r"unknown linear method 'newton'"),
    ("gmres", "nonlinear", r"unknown nonlinear method 'gmres'"),
    ("gmres", "tangent", r"kind must be 'linear' or 'nonlinear', got 'tangent'"),
])
def test_capabilities_of_an_unknown_method_or_kind(name, kind, message):
    with pytest.raises(SolverSettingError, match=message):
        capabilities(name, kind)


@pytest.mark.parametrize("name", linear_methods())
def test_linear_capabilities_are_what_the_methods_do(name):
    caps = capabilities(name, "linear")
    # matrix_free: a callable K is accepted, else refused before any work
    if caps.matrix_free:
        x, report = solve_linear(name, lambda v: K_CONTRACTION @ v, B)
    else:
        with pytest.raises(SolverSettingError, match="needs K as an explicit matrix"):
            solve_linear(name, lambda v: K_CONTRACTION @ v, B)
        x, report = solve_linear(name, K_CONTRACTION, B)
    # exact: held to the tolerance, else a truncation that says so
    assert report.exact is caps.exact
    assert report.code == ("converged" if caps.exact else "truncated")
    if caps.exact:
        np.testing.assert_allclose(x, X_EXACT, rtol=1e-8)
    # warm_start: the exact answer as x0 is recognised at once; otherwise x0 changes nothing
    warm, warm_report = solve_linear(name, K_CONTRACTION, B, x0=X_EXACT)
    if caps.warm_start:
        assert warm_report.iterations == 0 and warm_report.converged
    else:
        cold, cold_report = solve_linear(name, K_CONTRACTION, B, x0=np.zeros(3))
        np.testing.assert_array_equal(warm, cold)
        assert warm_report.iterations == cold_report.iterations


@pytest.mark.parametrize("name", nonlinear_methods())
def test_nonlinear_capabilities_are_what_the_methods_need(name):
    caps = capabilities(name, "nonlinear")
    def F(z):
        return np.cos(z) / 2

    derivatives = cosine_derivatives()
    for missing, needed in (("jacobian", caps.needs_jacobian), ("jvp", caps.needs_jvp)):
        given = {k: v for k, v in derivatives.items() if k != missing}
        if needed:
            with pytest.raises(SolverSettingError, match=f"needs {missing}="):
                solve_fixed_point(name, F, np.zeros(2), **given)
    if caps.derivative_free:
        _, report = solve_fixed_point(name, F, np.zeros(2))
    else:
        _, report = solve_fixed_point(name, F, np.zeros(2), **derivatives)
    assert report.code == "converged"


def test_missing_derivative_message_derives_the_alternatives_from_capabilities():
    with pytest.raises(SolverSettingError) as info:
        solve_fixed_point("newton_krylov", np.cos, np.zeros(2))
    assert str(info.value) == (
        "method 'newton_krylov' needs jvp=lambda z, v: J_F(z) @ v; pass one, or use "
        "method='newton' with jacobian=lambda z: J_F(z) (a sparse or dense matrix), or a "
        "derivative-free method ('fixed_point', 'anderson')"
    )


# --- jfb: neumann with k = 0 -----------------------------------------------------------------
@pytest.mark.parametrize("name, options", [("jfb", {}), ("neumann", {"k": 0})])
@pytest.mark.parametrize("K", [K_CONTRACTION, sla.aslinearoperator(K_CONTRACTION),
                               lambda v: K_CONTRACTION @ v], ids=["dense", "operator", "callable"])
def test_jfb_and_neumann_zero_return_b_exactly(name, options, K):
    x, report = solve_linear(name, K, B, **options)
    assert np.array_equal(x, B) and x is not B
    assert report.method == name
    assert report.iterations == 0 and report.residuals == []
    assert report.exact is False and report.converged and report.code == "truncated"
    residual = np.linalg.norm(K_CONTRACTION @ B) / np.linalg.norm(B)  # b - (b - K b) = K b
    assert report.residual == pytest.approx(residual, rel=1e-12)
    assert report.evaluations == 1


def test_jfb_takes_no_options_and_matches_neumann_zero():
    with pytest.raises(SolverSettingError, match="method 'jfb' has no option 'k'; its options are: \\(none\\)"):
        solve_linear("jfb", K_CONTRACTION, B, k=3)
    assert check_options("jfb", kind="linear") == {}
    jfb, jfb_report = solve_linear("jfb", K_CONTRACTION, B)
    neumann, neumann_report = solve_linear("neumann", K_CONTRACTION, B, k=0)
    np.testing.assert_array_equal(jfb, neumann)
    assert jfb_report.residual == neumann_report.residual


# --- one check of the settings ---------------------------------------------------------------
BAD_TOLERANCES = [
    ({"rtol": -1}, r"^rtol must be a finite number >= 0, got -1$"),
    ({"rtol": "1e-3"}, r"^rtol must be a finite number >= 0, got '1e-3'$"),
    ({"atol": float("nan")}, r"^atol must be a finite number >= 0, got nan$"),
    ({"atol": float("inf")}, r"^atol must be a finite number >= 0, got inf$"),
    ({"maxiter": 0}, r"^maxiter must be a positive integer, got 0$"),
    ({"maxiter": 2.0}, r"^maxiter must be a positive integer, got 2.0$"),
    ({"maxiter": True}, r"^maxiter must be a positive integer, got True$"),
]
ALL_METHODS = [("linear", name) for name in linear_methods()] + [
    ("nonlinear", name) for name in nonlinear_methods()]


def solve_by_kind(kind, name, **settings):
    if kind == "linear":
        return solve_linear(name, K_CONTRACTION, B, **settings)
    return solve_fixed_point(name, lambda z: np.cos(z) / 2, np.zeros(3), **cosine_derivatives(),
                             **settings)


@pytest.mark.parametrize("kind, name", ALL_METHODS)
@pytest.mark.parametrize("settings, message", BAD_TOLERANCES, ids=[str(s) for s, _ in BAD_TOLERANCES])
def test_bad_tolerance_is_refused_by_check_options_and_by_the_solve_alike(kind, name, settings,
                                                                           message):
    with pytest.raises(SolverSettingError, match=message):
        check_options(name, kind=kind, **settings)
    with pytest.raises(SolverSettingError, match=message):
        solve_by_kind(kind, name, **settings)


@pytest.mark.parametrize("kind, name", ALL_METHODS)
def test_unknown_option_names_the_method_and_its_valid_options(kind, name):
    method = (LINEAR if kind == "linear" else NONLINEAR)[name]
    valid = ", ".join(sorted(method.options)) or "(none)"
    message = f"method '{name}' has no option 'colour'; its options are: {valid}"
    with pytest.raises(SolverSettingError) as info:
        check_options(name, {"colour": "red"}, kind=kind)
    assert str(info.value) == message
    with pytest.raises(SolverSettingError) as info:
        solve_by_kind(kind, name, colour="red")
    assert str(info.value) == message


@pytest.mark.parametrize("kind, name", ALL_METHODS)
def test_defaults_are_returned_and_valid_settings_pass(kind, name):
    method = (LINEAR if kind == "linear" else NONLINEAR)[name]
    options = check_options(name, kind=kind, rtol=1e-8, atol=0.0, maxiter=10)
    assert options == {option: spec.default for option, spec in method.options.items()}


BAD_OPTION_VALUES = [
    ("linear", "gmres", {"restart": 0}, r"^restart must be a positive integer, got 0$"),
    ("linear", "lgmres", {"inner_m": 1.5}, r"^inner_m must be a positive integer, got 1.5$"),
    ("linear", "lgmres", {"outer_k": -1}, r"^outer_k must be an integer >= 0, got -1$"),
    ("linear", "fixed_point", {"damping": 0}, r"^damping must be a number in \(0, 1\], got 0$"),
    ("linear", "neumann", {"k": -1}, r"^k must be an integer >= 0, got -1$"),
    ("nonlinear", "anderson", {"memory": -2}, r"^memory must be an integer >= 0, got -2$"),
    ("nonlinear", "anderson", {"regularization": -1.0}, r"^regularization must be a finite"),
    ("nonlinear", "newton", {"line_search": 0}, r"^line_search must be True or False, got 0$"),
    ("nonlinear", "newton_krylov", {"forcing": 2.0}, r"^forcing must be 'eisenstat_walker' or"),
    ("nonlinear", "newton_krylov", {"forcing": "ew"}, r"^forcing must be 'eisenstat_walker' or"),
    ("nonlinear", "newton_krylov", {"inner_maxiter": 0}, r"^inner_maxiter must be a positive"),
    ("nonlinear", "newton_krylov", {"restart": -1}, r"^restart must be a positive integer"),
]


@pytest.mark.parametrize("kind, name, options, message", BAD_OPTION_VALUES,
                         ids=[f"{n}-{o}" for _, n, o, _ in BAD_OPTION_VALUES])
def test_bad_option_value_is_refused_before_any_work(kind, name, options, message):
    with pytest.raises(SolverSettingError, match=message):
        check_options(name, options, kind=kind)
    calls = []

    def K(v):
        calls.append(1)
        return K_CONTRACTION @ v

    with pytest.raises(SolverSettingError, match=message):
        if kind == "linear":
            solve_linear(name, K, B, **options)
        else:
            solve_fixed_point(name, lambda z: calls.append(1) or np.cos(z), np.zeros(3),
                              **cosine_derivatives(), **options)
    assert calls == []


def test_nonlinear_tolerances_not_both_zero():
    check_options("gmres", kind="linear", rtol=0, atol=0)
    with pytest.raises(SolverSettingError, match="rtol and atol must not both be zero"):
        check_options("anderson", kind="nonlinear", rtol=0, atol=0)


def test_setting_errors_are_value_errors_and_data_errors_keep_their_type():
    assert issubclass(SolverSettingError, ValueError)
    with pytest.raises(ValueError) as info:
        solve_linear("gmres", K_CONTRACTION, np.ones(2))  # K of the wrong shape: data
    assert not isinstance(info.value, SolverSettingError)
    with pytest.raises(TypeError):
        solve_linear("gmres", "not an operator", B)


# --- solver objects ------------------------------------------------------------------------
def test_solver_object_checks_when_made_and_solves_like_the_name():
    solver = LinearSolver("gmres", rtol=1e-12, restart=2)
    assert solver.method == "gmres" and dict(solver.options) == {"restart": 2}
    assert solver.tolerance == solvers.Tolerance(rtol=1e-12, atol=0.0, maxiter=None)
    by_object = solve_linear(solver, K_CONTRACTION, B)
    by_name = solve_linear("gmres", K_CONTRACTION, B, rtol=1e-12, restart=2)
    np.testing.assert_array_equal(by_object[0], by_name[0])
    assert by_object[1] == by_name[1]
    with pytest.raises(SolverSettingError, match="restart must be a positive integer"):
        LinearSolver("gmres", restart=0)
    with pytest.raises(SolverSettingError, match="unknown nonlinear method 'direct'"):
        NonlinearSolver("direct")


def test_solver_object_is_immutable_hashable_and_carries_its_settings():
    solver = NonlinearSolver("anderson", memory=2)
    assert solver == NonlinearSolver("anderson", memory=2) != NonlinearSolver("anderson")
    assert len({solver, NonlinearSolver("anderson", memory=2)}) == 1
    with pytest.raises(AttributeError):
        solver.tolerance = None
    with pytest.raises(TypeError):
        solver.options["memory"] = 3
    with pytest.raises(SolverSettingError, match=r"carries its own settings; got rtol, damping"):
        solve_fixed_point(solver, np.cos, np.zeros(1), rtol=1e-3, damping=0.5)
    with pytest.raises(SolverSettingError, match="a linear solve needs a LinearSolver"):
        solve_linear(solver, K_CONTRACTION, B)
    _, report = solve_fixed_point(solver, np.cos, np.zeros(1))
    assert report.method == "anderson" and report.code == "converged"


# --- result codes --------------------------------------------------------------------------
ROTATION = np.eye(2) - np.array([[0.0, 1.0], [-1.0, 0.0]])  # I - K skew: BiCGSTAB breaks down
HILBERT = np.eye(12) - scipy.linalg.hilbert(12)  # I - K = H, condition number ~ 1e16


def nan_operator(v):
    return np.full_like(v, np.nan)


LINEAR_CODE_CASES = {
    # case: (K, b, settings) and the code of each method (missing: not applicable)
    "contraction": ((K_CONTRACTION, B, {}), {
        "direct": "converged", "gmres": "converged", "bicgstab": "converged",
        "lgmres": "converged", "fixed_point": "converged", "neumann": "truncated",
        "jfb": "truncated"}),
    "zero rhs": ((K_CONTRACTION, np.zeros(3), {}), dict.fromkeys(linear_methods(), "converged")),
    "budget of 2": ((0.95 * np.roll(np.eye(40), 1, axis=1), np.eye(40)[0], {"maxiter": 2}), {
        "gmres": "maxiter", "bicgstab": "maxiter", "lgmres": "maxiter",
        "fixed_point": "maxiter"}),
    "spectral radius 1.5": ((1.5 * np.eye(2), np.ones(2), {}), {"fixed_point": "diverged"}),
    "NaN operator": ((nan_operator, np.ones(2), {}), {
        "fixed_point": "diverged", "neumann": "diverged", "jfb": "diverged"}),
    "skew I - K": ((ROTATION, np.array([1.0, 0.0]), {}), {"bicgstab": "breakdown"}),
    "Hilbert I - K": ((HILBERT, np.random.default_rng(0).standard_normal(12), {}),
                      {"direct": "singular"}),
}
LINEAR_CODE_TABLE = [(case, method, code) for case, (_, codes) in LINEAR_CODE_CASES.items()
                     for method, code in codes.items()]


@pytest.mark.parametrize("case, method, code", LINEAR_CODE_TABLE)
def test_linear_result_codes(case, method, code):
    (K, b, settings), _ = LINEAR_CODE_CASES[case]
    _, report = solve_linear(method, K, b, **settings)
    assert report.code == code, report.reason
    assert report.converged is (code in CONVERGED_CODES)
    assert report.reason.split(":")[0].split(" ")[0] in {
        "converged": ("converged",), "truncated": ("truncated",), "maxiter": ("maxiter",),
        "diverged": ("diverged",), "breakdown": ("breakdown",), "singular": ("inaccurate",),
    }[code]


NONLINEAR_CODE_CASES = {
    # case: (F, z0, derivatives) and the code of each method
    "contraction": ((lambda z: np.cos(z) / 2, np.zeros(3), cosine_derivatives()),
                    dict.fromkeys(nonlinear_methods(), "converged")),
    "no fixed point": ((lambda z: z + 1, np.zeros(2),
                        {"jacobian": lambda z: np.eye(2), "jvp": lambda z, v: v}), {
        "fixed_point": "maxiter", "anderson": "maxiter", "newton": "singular",
        "newton_krylov": "breakdown"}),
    "NaN at the start": ((lambda z: np.full_like(z, np.nan), np.zeros(2),
                          {"jacobian": lambda z: np.eye(2), "jvp": lambda z, v: v}),
                         dict.fromkeys(nonlinear_methods(), "diverged")),
    "exploding": ((lambda z: 3 * z + 1, np.zeros(2), {}), {"fixed_point": "diverged"}),
    "wrong derivative": ((lambda z: z / 2 + 1, np.zeros(2),
                          {"jacobian": lambda z: 1.5 * np.eye(2), "jvp": lambda z, v: 1.5 * v}),
                         {"newton": "stagnated", "newton_krylov": "stagnated"}),
}
NONLINEAR_CODE_TABLE = [(case, method, code)
                        for case, (_, codes) in NONLINEAR_CODE_CASES.items()
                        for method, code in codes.items()]


@pytest.mark.parametrize("case, method, code", NONLINEAR_CODE_TABLE)
def test_nonlinear_result_codes(case, method, code):
    (F, z0, derivatives), _ = NONLINEAR_CODE_CASES[case]
    _, report = solve_fixed_point(method, F, z0, maxiter=200, **derivatives)
    assert report.code == code, report.reason
    assert report.converged is (code in CONVERGED_CODES)


def test_every_code_is_produced_by_some_case():
    produced = {code for *_, code in LINEAR_CODE_TABLE + NONLINEAR_CODE_TABLE}
    assert produced == set(CODES)
    assert set(CONVERGED_CODES) < set(CODES)


def test_a_report_refuses_an_inconsistent_code():
    with pytest.raises(ValueError, match="code must be one of"):
        solvers.SolveReport("gmres", False, 1, 1.0, [], "?", code="oops")
    with pytest.raises(ValueError, match="contradicts converged=True"):
        solvers.SolveReport("gmres", True, 1, 0.0, [], "?", code="maxiter")
    with pytest.raises(ValueError, match="code must be one of"):
        solvers.SolveReport("gmres", False, 1, 1.0, [], "maxiter reached")  # no code
    assert solvers.SolveReport("neumann", True, 0, 0.5, [], "t", exact=False).code == "truncated"
