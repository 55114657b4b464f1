"""Bad settings raise ValueError naming the setting, the value and what is allowed."""

import numpy as np
import pytest
import scipy.sparse.linalg as sla

from solvers import Tolerance, solve_fixed_point, solve_linear


def linear(**settings):
    method = settings.pop("method", "gmres")
    return solve_linear(method, np.eye(3) / 2, np.ones(3), **settings)


def nonlinear(**settings):
    method = settings.pop("method", "anderson")
    return solve_fixed_point(method, np.cos, np.zeros(3), **settings)


BAD_SETTINGS = [
    ({"rtol": -1}, r"rtol must be a finite number >= 0, got -1"),
    ({"atol": float("nan")}, r"atol must be a finite number >= 0, got nan"),
    ({"maxiter": 0}, r"maxiter must be a positive integer, got 0"),
    ({"maxiter": 1.5}, r"maxiter must be a positive integer, got 1.5"),
    ({"method": "foo"}, r"method 'foo'; valid methods are: "),
    ({"rtol": "1e-3"}, r"rtol must be a finite number"),
    ({"atol": float("inf")}, r"atol must be a finite number"),
    ({"maxiter": True}, r"maxiter must be a positive integer"),
]


@pytest.mark.parametrize("solve", [linear, nonlinear], ids=["linear", "nonlinear"])
@pytest.mark.parametrize("settings, message", BAD_SETTINGS,
                         ids=[str(s) for s, _ in BAD_SETTINGS])
def test_bad_setting_is_named(solve, settings, message):
    with pytest.raises(ValueError, match=message):
        solve(**settings)


def test_unknown_method_lists_the_valid_ones():
    with pytest.raises(ValueError, match="direct, gmres, bicgstab, lgmres, minres, cg, petsc, fixed_point, neumann"):
        linear(method="foo")
    with pytest.raises(ValueError, match="fixed_point, anderson, newton, newton_krylov"):
        nonlinear(method="foo")


@pytest.mark.parametrize("solve, settings, message", [
    (linear, {"method": "fixed_point", "damping": 0}, r"damping must be a number in \(0, 1\]"),
    (linear, {"method": "fixed_point", "damping": 1.5}, r"damping must be"),
    (linear, {"method": "neumann", "k": -1}, r"k must be an integer >= 0, got -1"),
    (linear, {"method": "gmres", "restart": 0}, r"restart must be a positive integer"),
    (linear, {"method": "gmres", "inner_m": 5}, r"method 'gmres' has no option 'inner_m'; its options are: restart"),
    (linear, {"method": "lgmres", "inner_m": 0}, r"inner_m must be a positive integer"),
    (nonlinear, {"method": "anderson", "memory": -2}, r"memory must be an integer >= 0"),
    (nonlinear, {"method": "anderson", "regularization": -1.0}, r"regularization must be a finite number"),
    (nonlinear, {"method": "fixed_point", "damping": 0.0}, r"damping must be"),
    (nonlinear, {"method": "newton_krylov", "jvp": lambda z, v: v, "forcing": 2.0}, r"forcing must be"),
    (nonlinear, {"method": "newton"}, r"needs jacobian=.*newton_krylov"),
    (nonlinear, {"method": "newton_krylov"}, r"needs jvp="),
    (nonlinear, {"rtol": 0, "atol": 0}, r"rtol and atol must not both be zero"),
    (linear, {"callback": 3}, r"callback must be callable"),
])
def test_bad_method_option_is_named(solve, settings, message):
    with pytest.raises(ValueError, match=message):
        solve(**settings)


def test_bad_vectors_and_operators():
    with pytest.raises(ValueError, match=r"b must be a 1-D vector, got shape \(3, 1\)"):
        solve_linear("gmres", np.eye(3), np.ones((3, 1)))
    with pytest.raises(ValueError, match="b contains NaN"):
        solve_linear("gmres", np.eye(3), np.array([1.0, np.nan, 0.0]))
    with pytest.raises(ValueError, match=r"x0 must have length 3"):
        solve_linear("gmres", np.eye(3) / 2, np.ones(3), x0=np.ones(2))
    with pytest.raises(ValueError, match=r"K must have shape \(3, 3\)"):
        solve_linear("gmres", np.eye(4), np.ones(3))
    with pytest.raises(ValueError, match=r"K must have shape \(3, 3\)"):
        solve_linear("gmres", sla.aslinearoperator(np.eye(2)), np.ones(3))
    with pytest.raises(TypeError, match="K must be a scipy.sparse matrix"):
        solve_linear("gmres", "not an operator", np.ones(3))
    with pytest.raises(ValueError, match=r"K must return a vector of shape \(3,\)"):
        solve_linear("fixed_point", lambda v: v[:2], np.ones(3))
    with pytest.raises(ValueError, match=r"F must return a vector of shape \(3,\)"):
        solve_fixed_point("fixed_point", lambda z: z[:2], np.zeros(3))
    with pytest.raises(ValueError, match=r"jacobian must return a matrix of shape \(3, 3\)"):
        solve_fixed_point("newton", np.cos, np.zeros(3), jacobian=lambda z: np.eye(2))
    with pytest.raises(ValueError, match="z0 must be a 1-D vector"):
        solve_fixed_point("anderson", np.cos, 0.0)


def test_tolerance_object():
    assert Tolerance.linear() == Tolerance(rtol=1e-10, atol=0.0, maxiter=None)
    assert Tolerance.nonlinear().atol == 1e-12
    assert Tolerance(rtol=1e-3, atol=0.0).threshold(10.0) == pytest.approx(1e-2)
    with pytest.raises(ValueError, match="maxiter"):
        Tolerance(maxiter=-3)
