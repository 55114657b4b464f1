"""Residual constraints in constraint graphs (``ConstraintGraph.add_residual``), against dense references.

Every graph is also written as one dense system ``C(y, x) = 0`` over all its non-input nodes:
``C_i = y_i - f_i(...)`` for an explicit node, ``C_i = F_i(y_i, ...)`` for a residual one, with
``∂C/∂y`` and ``∂C/∂x`` from autograd (HIPS) on the same functions written with
``autograd.numpy`` — exact partials that owe nothing to the library. Then

- the multipliers are ``Λ = (∂C/∂y)⁻ᵀ e_J``: ``dJ/dε`` for the perturbed constraint
  ``y_i = f_i + ε`` or ``F_i = ε`` (the documented meaning of ``Solution.multipliers``), which is
  also checked by central differences of re-solving the graph with ``F = ε``;
- the gradient is ``-(∂C/∂x)ᵀ Λ``, the tangent ``ẏ = -(∂C/∂y)⁻¹ (∂C/∂x) ẋ`` (and central
  differences of the solved values).
"""

from dataclasses import dataclass

import autograd
import autograd.numpy as agnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import adjoint
import adjoint.numpy as anp

ADJOINT = ("auto", "direct", "gmres", "lgmres", "bicgstab")
DIRECT = ("auto", "direct")
FORWARD = ("auto", "newton", "newton_krylov")

rng = np.random.default_rng(5)
A3 = 3 * np.eye(3) + rng.normal(size=(3, 3)) / 3
M3 = rng.normal(size=(3, 3)) / 3


def tolerance(method):
    return 1e-10 if method in DIRECT else 1e-8


@dataclass
class Node:
    """A non-input node: ``kind`` "residual" (``F(y, *args) = 0``) or "explicit" (``y = f(*args)``)."""

    name: str
    kind: str
    fn: object  # np_ -> the function, written for adjoint.numpy or autograd.numpy
    args: tuple
    init: object = None


@dataclass
class Case:
    inputs: dict  # name -> value; every residual node r has an input "eps_r", zero, subtracted in F
    nodes: list
    objective: str = "J"

    def graph(self):
        g = adjoint.ConstraintGraph()
        for name in self.inputs:
            g.add_input(name)
        for node in self.nodes:
            if node.kind == "residual":
                g.add_residual(node.name, node.fn(anp), list(node.args), init=node.init)
            else:
                g.add_constraint(node.name, node.fn(anp), list(node.args), init=node.init)
        return g

    @property
    def residual_nodes(self):
        return [n.name for n in self.nodes if n.kind == "residual"]


# --- the graphs ----------------------------------------------------------------------------------
def residual_then_explicit():
    """A residual node alone (its own cyclic component) with explicit nodes downstream."""
    return Case(
        inputs={"x": np.array([0.4, -0.3, 1.1]), "eps_z": np.zeros(3)},
        nodes=[
            Node("z", "residual", lambda np_: lambda z, x, e: np_.dot(A3, z) + 0.1 * z**3 - x - e, ("x", "eps_z"),
                 np.zeros(3)),
            Node("y", "explicit", lambda np_: lambda z, x: np_.sin(z) * x, ("z", "x")),
            Node("J", "explicit", lambda np_: lambda y, z: np_.sum(y**2) + np_.sum(z), ("y", "z")),
        ],
    )


def mixed_scalar_cycle():
    """``u³ + u - v = 0`` with ``v = cos(u) / 2 + x``: one component, one residual and one explicit node."""
    return Case(
        inputs={"x": np.array(0.7), "eps_u": np.array(0.0)},
        nodes=[
            Node("u", "residual", lambda np_: lambda u, v, e: u**3 + u - v - e, ("v", "eps_u"), 0.0),
            Node("v", "explicit", lambda np_: lambda u, x: 0.5 * np_.cos(u) + x, ("u", "x")),
            Node("w", "explicit", lambda np_: lambda u, v: np_.sin(u) * v, ("u", "v")),
            Node("J", "explicit", lambda np_: lambda w, u: w**2 + u, ("w", "u")),
        ],
    )


def mixed_vector_cycle_then_residual():
    """A vector cycle (residual u, explicit v), then a scalar residual r downstream of it."""
    return Case(
        inputs={"x": np.array([0.2, -0.5, 0.9]), "s": np.array(1.5), "eps_u": np.zeros(3), "eps_r": np.array(0.0)},
        nodes=[
            Node("u", "residual", lambda np_: lambda u, v, e: u**3 + 2 * u - np_.dot(M3, v) - e, ("v", "eps_u"),
                 np.zeros(3)),
            Node("v", "explicit", lambda np_: lambda u, x: 0.5 * np_.tanh(u) + x, ("u", "x")),
            Node("p", "explicit", lambda np_: lambda u, v: np_.sum(u * v), ("u", "v")),
            Node("r", "residual", lambda np_: lambda r, p, s, e: r + r**3 / 3 - s * p - e, ("p", "s", "eps_r"), 0.0),
            Node("J", "explicit", lambda np_: lambda r, u: r**2 + np_.sum(np_.sin(u)), ("r", "u")),
        ],
    )


CASES = {
    "residual then explicit": residual_then_explicit,
    "mixed scalar cycle": mixed_scalar_cycle,
    "mixed vector cycle then residual": mixed_vector_cycle_then_residual,
}


# --- the dense reference -----------------------------------------------------------------------
class Dense:
    """``C(y, x) = 0`` over the case's nodes at the library's solution, with autograd's partials."""

    def __init__(self, case, values):
        self.case = case
        self.names = [n.name for n in case.nodes]
        self.inputs = list(case.inputs)
        self.shapes = {k: np.shape(v) for k, v in values.items()}
        y = self.flat(values, self.names)
        x = self.flat(values, self.inputs)
        self.C_y = autograd.jacobian(self.C, 0)(y, x)
        self.C_x = autograd.jacobian(self.C, 1)(y, x)
        self.residual = self.C(y, x)

    def flat(self, values, names):
        return np.concatenate([np.ravel(values[n]) for n in names])

    def split(self, v, names):
        out, k = {}, 0
        for n in names:
            size = int(np.prod(self.shapes[n]))
            out[n] = agnp.reshape(v[k:k + size], self.shapes[n])
            k += size
        return out

    def C(self, y, x):
        env = self.split(y, self.names) | self.split(x, self.inputs)
        rows = []
        for node in self.case.nodes:
            args = [env[a] for a in node.args]
            if node.kind == "residual":
                rows.append(agnp.ravel(node.fn(agnp)(env[node.name], *args)))
            else:
                rows.append(agnp.ravel(env[node.name] - node.fn(agnp)(*args)))
        return agnp.concatenate(rows)

    def multipliers(self):
        e_J = np.zeros(len(self.C_y))  # the objective is a scalar node: ∂J/∂y is its unit vector
        e_J[sum(int(np.prod(self.shapes[n])) for n in self.names[: self.names.index(self.case.objective)])] = 1.0
        return self.split(np.linalg.solve(self.C_y.T, e_J), self.names)

    def gradient(self):
        lam = self.flat(self.multipliers(), self.names)
        return self.split(-self.C_x.T @ lam, self.inputs)

    def tangents(self, xdot):
        xd = np.concatenate([np.ravel(xdot.get(n, np.zeros(self.shapes[n]))) for n in self.inputs])
        return self.split(-np.linalg.solve(self.C_y, self.C_x @ xd), self.names)


def solved(case, **kwargs):
    return adjoint.solve(case.graph(), case.inputs, case.objective, **kwargs)


# --- the tests -----------------------------------------------------------------------------------
@pytest.mark.parametrize("forward", FORWARD)
@pytest.mark.parametrize("name", list(CASES))
def test_values_satisfy_every_constraint(name, forward):
    case = CASES[name]()
    sol = adjoint.solve(case.graph(), case.inputs, forward=forward)
    assert np.max(np.abs(Dense(case, sol.values).residual)) < 1e-9
    for report in sol.blocks:
        assert report.converged
        if report.residuals and forward == "auto":
            assert report.forward_method == "newton"


@pytest.mark.parametrize("name", list(CASES))
def test_forward_auto_is_newton_for_residual_components(name):
    case = CASES[name]()
    sol = solved(case)
    holding = [report for report in sol.blocks if report.residuals]
    assert sorted(r for report in holding for r in report.residuals) == sorted(case.residual_nodes)
    for report in holding:
        assert report.forward_method == "newton"
        assert report.forward.method == "newton"
    assert sorted(case.graph().residuals) == sorted(case.residual_nodes)


@pytest.mark.parametrize("adjoint_method", ADJOINT)
@pytest.mark.parametrize("name", list(CASES))
def test_gradient_matches_the_dense_implicit_function_solve(name, adjoint_method):
    case = CASES[name]()
    sol = solved(case, adjoint=adjoint_method)
    expected = Dense(case, sol.values).gradient()
    tol = tolerance(adjoint_method)
    for n in case.inputs:
        assert_allclose(sol.gradient[n], expected[n], rtol=tol, atol=tol, err_msg=n)


@pytest.mark.parametrize("adjoint_method", DIRECT)
@pytest.mark.parametrize("name", list(CASES))
def test_multipliers_match_the_dense_system(name, adjoint_method):
    case = CASES[name]()
    sol = solved(case, adjoint=adjoint_method)
    expected = Dense(case, sol.values).multipliers()
    for node in case.nodes:
        assert_allclose(sol.multipliers[node.name], expected[node.name], rtol=1e-10, atol=1e-12, err_msg=node.name)


@pytest.mark.parametrize("name", list(CASES))
def test_residual_multiplier_is_the_sensitivity_to_the_residual(name):
    """``μ_r = dJ/dε`` for ``F_r = ε``: central differences of re-solving the perturbed graph."""
    case = CASES[name]()
    graph, sol = case.graph(), solved(case)
    h = 1e-6
    for r in case.residual_nodes:
        eps = case.inputs[f"eps_{r}"]
        fd = np.zeros(np.shape(eps))
        for k in np.ndindex(np.shape(eps)):
            e = np.zeros(np.shape(eps))
            e[k] = h
            J = [adjoint.solve(graph, case.inputs | {f"eps_{r}": eps + s * e}).values["J"] for s in (1, -1)]
            fd[k] = (J[0] - J[1]) / (2 * h)
        assert_allclose(sol.multipliers[r], fd, rtol=1e-7, atol=1e-8, err_msg=r)
        # and the input subtracted from F receives exactly μ: -(∂F/∂ε)ᵀ μ with ∂F/∂ε = -I
        assert_allclose(sol.gradient[f"eps_{r}"], sol.multipliers[r], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("linear", ADJOINT)
@pytest.mark.parametrize("name", list(CASES))
def test_solve_tangent(name, linear):
    case = CASES[name]()
    graph = case.graph()
    xdot = {"x": np.random.default_rng(3).normal(size=np.shape(case.inputs["x"]))}
    if "s" in case.inputs:
        xdot["s"] = np.array(-0.7)
    sol = adjoint.solve_tangent(graph, case.inputs, xdot, linear=linear)
    expected = Dense(case, sol.values).tangents(xdot)
    tol = tolerance(linear)
    for node in case.nodes:
        assert_allclose(sol.tangents[node.name], expected[node.name], rtol=tol, atol=tol, err_msg=node.name)
    # central differences of the solved values along ẋ
    h = 1e-6
    shifted = [adjoint.solve(graph, case.inputs | {k: case.inputs[k] + s * h * v for k, v in xdot.items()}).values
               for s in (1, -1)]
    for node in case.nodes:
        fd = (shifted[0][node.name] - shifted[1][node.name]) / (2 * h)
        assert_allclose(sol.tangents[node.name], fd, rtol=1e-6, atol=1e-8, err_msg=node.name)
    for report in sol.blocks:
        if report.residuals:
            assert report.forward_method == "newton" and report.tangent is not None and report.tangent.converged


@pytest.mark.parametrize("method", ["neumann", "fixed_point", "jfb"])
@pytest.mark.parametrize("name", list(CASES))
def test_contraction_adjoints_are_refused_on_residual_components(name, method):
    case = CASES[name]()
    with pytest.raises(adjoint.InvalidArgumentError, match="contraction"):
        solved(case, adjoint=method)


def test_neumann_tangent_is_refused_on_a_residual_component():
    case = mixed_scalar_cycle()
    with pytest.raises(adjoint.InvalidArgumentError, match="contraction"):
        adjoint.solve_tangent(case.graph(), case.inputs, {"x": 1.0}, linear="neumann")


def test_an_explicit_component_elsewhere_may_still_use_neumann():
    """The refusal is per component: a dict gives the residual one a direct solve."""
    g = adjoint.ConstraintGraph()
    g.add_input("x")
    g.add_constraint("a", lambda a, x: 0.5 * anp.sin(a) + x, ["a", "x"], init=0.0)
    g.add_residual("u", lambda u, a: u**3 + u - a, ["a"], init=0.0)
    sol = adjoint.solve(g, {"x": 0.3}, "u", adjoint={"a": "neumann", "u": "direct"},
                        adjoint_options={"k": 200})
    a, u = sol.values["a"], sol.values["u"]
    assert_allclose(sol.gradient["x"], 1 / (3 * u**2 + 1) / (1 - 0.5 * np.cos(a)), rtol=1e-10)


# --- a property: random systems of residual nodes ----------------------------------------------
def random_residual_system(seed, sizes, m):
    """Residual nodes ``z_i`` with ``F_i = Σ_j M_ij z_j + c_i tanh(z_i) - B_i x`` (random couplings).

    ``M`` is diagonally dominant (rows sum of |off-diagonal| < diagonal - |c|), so ``∂F/∂z`` is
    nonsingular wherever ``z`` is; ``J = Σ_i w_i · sin(z_i)``.
    """
    r = np.random.default_rng(seed)
    n = sum(sizes)
    offsets = np.cumsum([0, *sizes])
    mask = r.random((len(sizes), len(sizes))) < 0.6  # which nodes each residual reads
    M = r.normal(size=(n, n))
    for i in range(len(sizes)):
        for j in range(len(sizes)):
            if i != j and not mask[i, j]:
                M[offsets[i]:offsets[i + 1], offsets[j]:offsets[j + 1]] = 0.0
    np.fill_diagonal(M, 0.0)
    c = r.uniform(-1, 1, size=n)
    np.fill_diagonal(M, np.abs(M).sum(axis=1) + np.abs(c) + r.uniform(0.5, 2, size=n))
    B, w, x = r.normal(size=(n, m)), r.normal(size=n), r.normal(size=m)
    return M, c, B, w, x, offsets


def system_graph(M, c, B, w, offsets):
    g = adjoint.ConstraintGraph()
    g.add_input("x")
    k = len(offsets) - 1
    names = [f"z{i}" for i in range(k)]
    for i in range(k):
        lo, hi = offsets[i], offsets[i + 1]
        coupled = [j for j in range(k) if j != i and np.any(M[lo:hi, offsets[j]:offsets[j + 1]])]

        def F(z, x, *others, i=i, lo=lo, hi=hi, coupled=coupled):
            out = anp.dot(M[lo:hi, lo:hi], z) + c[lo:hi] * anp.tanh(z) - anp.dot(B[lo:hi], x)
            for j, zj in zip(coupled, others):
                out = out + anp.dot(M[lo:hi, offsets[j]:offsets[j + 1]], zj)
            return out

        g.add_residual(names[i], F, ["x", *[names[j] for j in coupled]], init=np.zeros(hi - lo))
    g.add_constraint(
        "J", lambda *zs: sum(anp.sum(w[offsets[i]:offsets[i + 1]] * anp.sin(z)) for i, z in enumerate(zs)), names
    )
    return g, names


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), sizes=st.lists(st.integers(1, 3), min_size=1, max_size=3),
       m=st.integers(1, 3), adjoint_method=st.sampled_from(ADJOINT))
def test_random_residual_systems_match_the_implicit_function_formula(seed, sizes, m, adjoint_method):
    M, c, B, w, x, offsets = random_residual_system(seed, sizes, m)
    graph, names = system_graph(M, c, B, w, offsets)
    sol = adjoint.solve(graph, {"x": x}, "J", adjoint=adjoint_method)
    z = np.concatenate([np.ravel(sol.values[n]) for n in names])
    assert_allclose(M @ z + c * np.tanh(z), B @ x, atol=1e-9)
    K = M + np.diag(c * (1 - np.tanh(z) ** 2))  # ∂F/∂z
    mu = np.linalg.solve(K.T, w * np.cos(z))
    tol = tolerance(adjoint_method)
    assert_allclose(sol.gradient["x"], B.T @ mu, rtol=tol, atol=tol)
    assert_allclose(np.concatenate([np.ravel(sol.multipliers[n]) for n in names]), mu, rtol=tol, atol=tol)
    for report in sol.blocks:
        if report.residuals:
            assert report.forward_method == "newton"
