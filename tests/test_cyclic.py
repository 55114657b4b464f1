"""Cyclic components: every forward and adjoint method against independent references.

The references never use the library's derivatives: the partials ``∂f_i/∂z_j`` of every
constraint are central differences of its plain numpy function at the solution, assembled
into a dense ``I - J_BB`` and solved with ``numpy.linalg.solve``; fixed points come from
``scipy.optimize.root``; ``fixed_point`` gradients from autograd through an unrolled,
converged iteration; whole gradients from central differences of re-solved graphs.
"""

import time
import warnings

import autograd
import autograd.numpy as agnp
import numpy as np
import pytest
import scipy.optimize

import adjoint
import adjoint.numpy as anp
from graphs.structure import strongly_connected_blocks

EXACT = ("direct", "gmres", "bicgstab", "lgmres", "fixed_point")
FORWARD = ("fixed_point", "anderson", "newton", "newton_krylov", "auto")

rng = np.random.default_rng(42)
M3 = rng.normal(size=(3, 3)) / 3
M4 = rng.normal(size=(4, 4)) / 4
A20 = rng.normal(size=(20, 20))
A20 *= 0.8 / np.linalg.norm(A20, 2)
C20 = rng.normal(size=20)


# --- the graphs ---------------------------------------------------------------------------
def scalar_self_loop():
    g = adjoint.ConstraintGraph()
    g.add_input("x")
    g.add_constraint("z", lambda z, x: anp.cos(z) / 2 + x, ["z", "x"], init=0.0)
    return g, {"x": np.array(1.0)}, "z"


def vector_two_cycle():
    """a (declared) and b (interior), vector nodes; the objective a node of the cycle."""
    g = adjoint.ConstraintGraph()
    g.add_input("x")
    g.add_constraint("a", lambda b, x: 0.5 * anp.tanh(M3 @ b) + x, ["b", "x"], init=np.zeros(3))
    g.add_constraint("b", lambda a: 0.4 * anp.sin(a) + 0.1 * a, ["a"])
    g.add_constraint("J", lambda a, b: anp.sum(a * b) + anp.sum(b), ["a", "b"])
    return g, {"x": np.array([0.3, -0.2, 0.5])}, "J"


def cycle_with_interior():
    """u is iterated; v and w are evaluated by substitution; J reads the iterate and w."""
    g = adjoint.ConstraintGraph()
    g.add_input("x")
    g.add_input("y")
    g.add_constraint("u", lambda w, x: 0.3 * anp.tanh(w) + x, ["w", "x"], init=np.zeros(4))
    g.add_constraint("v", lambda u, y: anp.sin(u) * y, ["u", "y"])
    g.add_constraint("w", lambda v, u: M4 @ v + 0.2 * u, ["v", "u"])
    g.add_constraint("J", lambda u, w: anp.sum(u**2) + anp.sum(w * np.arange(4.0)), ["u", "w"])
    return g, {"x": np.array([0.1, 0.2, -0.3, 0.4]), "y": np.array(0.7)}, "J"


def two_declared_iterates():
    g = adjoint.ConstraintGraph()
    g.add_input("x")
    g.add_input("y")
    g.add_constraint("a", lambda b, x: 0.5 * anp.cos(b) + x, ["b", "x"], init=0.0)
    g.add_constraint("b", lambda a, b, y: 0.5 * anp.sin(a) * y + 0.2 * b, ["a", "b", "y"], init=0.0)
    g.add_constraint("J", lambda a, b: a * b + b, ["a", "b"])
    return g, {"x": np.array(0.4), "y": np.array(1.5)}, "J"


def contraction_20():
    """A vector self-loop of 20 scalars with a contraction of norm 0.8, read downstream."""
    g = adjoint.ConstraintGraph()
    g.add_input("x")
    g.add_constraint("z", lambda z, x: anp.tanh(A20 @ z + x), ["z", "x"], init=np.zeros(20))
    g.add_constraint("J", lambda z: anp.sum(C20 * z) + 0.5 * anp.sum(z**2), ["z"])
    return g, {"x": np.linspace(-1, 1, 20)}, "J"


GRAPHS = {
    "scalar self-loop": scalar_self_loop,
    "2-cycle of vector nodes": vector_two_cycle,
    "cycle with interior nodes": cycle_with_interior,
    "two declared iterates": two_declared_iterates,
    "contraction of 20": contraction_20,
}


# --- the dense reference, from central differences of the plain constraints -------------
def fd_partial(fn, args, k, h=1e-6):
    """``∂fn/∂args[k]`` (flattened) by central differences."""
    args = [np.array(a, dtype=float) for a in args]
    x = args[k]
    cols = []
    for e in range(x.size):
        plus, minus = [a.copy() for a in args], [a.copy() for a in args]
        plus[k].reshape(-1)[e] += h
        minus[k].reshape(-1)[e] -= h
        cols.append((np.ravel(fn(*plus)) - np.ravel(fn(*minus))) / (2 * h))
    return np.array(cols).T.reshape(-1, x.size)


class DenseBlock:
    """The cyclic block of a solved graph as dense matrices, and its multipliers by numpy."""

    def __init__(self, graph, sol, objective):
        (self.block,) = [b for b in strongly_connected_blocks(graph) if b.cyclic]
        self.graph, self.values, self.objective = graph, sol.values, objective
        self.nodes = self.block.nodes
        self.sizes = {n: np.size(sol.values[n]) for n in graph}
        self.offsets = dict(zip(self.nodes, np.cumsum([0] + [self.sizes[n] for n in self.nodes])))
        n = sum(self.sizes[m] for m in self.nodes)
        self.J = np.zeros((n, n))
        for i in self.nodes:
            for k, a in enumerate(graph.nodes[i]["args"]):
                if a in self.offsets:
                    self.J[self._rows(i), self._rows(a)] += self.partial(i, k)
        self.rhs = np.zeros(n)
        if objective in self.offsets:
            self.rhs[self._rows(objective)] = 1.0
        else:
            for k, a in enumerate(graph.nodes[objective]["args"]):
                if a in self.offsets:
                    self.rhs[self._rows(a)] += self.partial(objective, k).ravel()

    def _rows(self, name):
        return slice(self.offsets[name], self.offsets[name] + self.sizes[name])

    def partial(self, node, k):
        args = [self.values[a] for a in self.graph.nodes[node]["args"]]
        return fd_partial(self.graph.nodes[node]["fn"], args, k)

    def exact(self):
        return np.linalg.solve((np.eye(len(self.rhs)) - self.J).T, self.rhs)

    def reduced(self, k):
        """Neumann-k on the reduced system of the iterates (``k=0``: JFB), then the interior."""
        T = np.concatenate([np.arange(self.offsets[t], self.offsets[t] + self.sizes[t]) for t in self.block.iterates])
        inner = np.setdiff1d(np.arange(len(self.rhs)), T)
        J_II, J_IT, J_TI, J_TT = (self.J[np.ix_(r, c)] for r, c in ((inner, inner), (inner, T), (T, inner), (T, T)))
        dI_dT = np.linalg.solve(np.eye(len(inner)) - J_II, J_IT)
        K = (J_TT + J_TI @ dI_dT).T
        b = self.rhs[T] + dI_dT.T @ self.rhs[inner]
        lam_T, term = b.copy(), b.copy()
        for _ in range(k):
            term = K @ term
            lam_T += term
        lam = np.zeros(len(self.rhs))
        lam[T] = lam_T
        lam[inner] = np.linalg.solve((np.eye(len(inner)) - J_II).T, self.rhs[inner] + J_TI.T @ lam_T)
        return lam

    def gradient(self, lam):
        """``dJ/dx`` from the block's multipliers (and J's own use of x)."""
        grads = {}
        for x in self.graph.inputs:
            g = np.zeros(self.sizes[x])
            users = [i for i in self.nodes] + ([] if self.objective in self.offsets else [self.objective])
            for i in users:
                for k, a in enumerate(self.graph.nodes[i]["args"]):
                    if a == x:
                        seed = lam[self._rows(i)] if i in self.offsets else np.ones(1)
                        g += self.partial(i, k).T @ seed
            grads[x] = g
        return grads

    def multipliers(self, sol):
        return np.concatenate([np.ravel(sol.multipliers[n]) for n in self.nodes])


def assert_close(actual, expected, rtol, what):
    err = np.max(np.abs(np.ravel(actual) - np.ravel(expected))) / max(np.max(np.abs(expected)), 1e-300)
    assert err <= rtol, f"{what}: relative error {err:.2e} > {rtol:.0e}"


# --- adjoint methods against the dense solve ---------------------------------------------
@pytest.mark.parametrize("method", EXACT)
@pytest.mark.parametrize("case", list(GRAPHS))
def test_exact_adjoint_matches_dense_solve(case, method):
    graph, inputs, objective = GRAPHS[case]()
    sol = adjoint.solve(graph, inputs, objective, adjoint=method)  # default tolerances
    dense = DenseBlock(graph, sol, objective)
    lam = dense.exact()
    assert_close(dense.multipliers(sol), lam, 1e-8, "multipliers")
    for x, g in dense.gradient(lam).items():
        assert_close(sol.gradient[x], g, 1e-8, f"gradient {x}")
    (report,) = sol.blocks
    assert report.method == method and report.exact and report.converged
    assert report.residual < 1e-9  # the computed KKT residual, default rtol 1e-10


@pytest.mark.parametrize("k", [0, 1, 3, 10])
@pytest.mark.parametrize("case", list(GRAPHS))
def test_neumann_is_the_truncated_series(case, k):
    graph, inputs, objective = GRAPHS[case]()
    sol = adjoint.solve(graph, inputs, objective, adjoint="neumann", adjoint_options={"k": k})
    dense = DenseBlock(graph, sol, objective)
    lam = dense.reduced(k)
    assert_close(dense.multipliers(sol), lam, 1e-8, f"Neumann-{k} multipliers")
    for x, g in dense.gradient(lam).items():
        assert_close(sol.gradient[x], g, 1e-8, f"gradient {x}")
    assert not sol.blocks[0].exact


@pytest.mark.parametrize("case", list(GRAPHS))
def test_jfb_is_back_substitution_with_feedback_edges_cut(case):
    graph, inputs, objective = GRAPHS[case]()
    sol = adjoint.solve(graph, inputs, objective, adjoint="jfb")
    dense = DenseBlock(graph, sol, objective)
    assert_close(dense.multipliers(sol), dense.reduced(0), 1e-8, "JFB multipliers")
    report = sol.blocks[0]
    assert report.method == "jfb" and not report.exact and report.iterations == 0


def test_jfb_of_fixed_point_is_one_vjp_of_f_at_the_fixed_point():
    W = rng.normal(size=(5, 5)) * 0.2
    c = rng.normal(size=5)

    def f(z, W, x):
        return anp.tanh(W @ z + x)

    def loss(W, x, method):
        return anp.sum(c * adjoint.fixed_point(f, np.zeros(5), W, x, adjoint=method))

    x = rng.normal(size=5)
    z_star = adjoint.fixed_point(f, np.zeros(5), W, x)
    one_vjp = adjoint.grad(lambda W, x: anp.sum(c * f(z_star, W, x)), argnum=(0, 1))(W, x)
    jfb = adjoint.grad(loss, argnum=(0, 1))(W, x, "jfb")
    exact = adjoint.grad(loss, argnum=(0, 1))(W, x, "direct")
    for a, b in zip(jfb, one_vjp):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)
    assert max(np.max(np.abs(a - b)) for a, b in zip(jfb, exact)) > 1e-3  # and it is not exact


# --- forward methods ---------------------------------------------------------------------
def reference_fixed_point(graph, inputs):
    """The block's values by scipy.optimize.root on ``z_B - f_B(z_B)``, plain numpy."""
    (block,) = [b for b in strongly_connected_blocks(graph) if b.cyclic]
    with warnings.catch_warnings():  # a few Picard steps give a start and the shapes
        warnings.simplefilter("ignore", adjoint.ConvergenceWarning)
        start = adjoint.solve(graph, inputs, forward="fixed_point", maxiter=5, throw=False).values
    shapes = {n: np.shape(start[n]) for n in block.nodes}
    sizes = [int(np.prod(shapes[n])) for n in block.nodes]
    cuts = np.cumsum(sizes)[:-1]

    def unpack(vec):
        return {n: p.reshape(shapes[n]) for n, p in zip(block.nodes, np.split(vec, cuts))}

    def residual(vec):
        z = {**inputs, **unpack(vec)}
        return vec - np.concatenate([np.ravel(graph.nodes[n]["fn"](*[z[a] for a in graph.nodes[n]["args"]])) for n in block.nodes])

    z0 = np.concatenate([np.ravel(start[n]) for n in block.nodes])
    result = scipy.optimize.root(residual, z0, tol=1e-13)
    assert np.linalg.norm(residual(result.x)) < 1e-13 * max(1.0, np.linalg.norm(result.x))
    return unpack(result.x)


@pytest.mark.parametrize("method", FORWARD)
@pytest.mark.parametrize("case", list(GRAPHS))
def test_forward_methods_reach_the_fixed_point(case, method):
    graph, inputs, _ = GRAPHS[case]()
    reference = reference_fixed_point(graph, inputs)
    sol = adjoint.solve(graph, inputs, forward=method)
    for n, v in reference.items():
        assert_close(sol.values[n], v, 1e-8, f"node {n}")
    (report,) = sol.blocks
    assert report.forward.converged and report.forward_residual <= 1e-10
    if method == "auto":  # small components: Newton on the assembled Jacobian
        assert report.forward_method == "newton"


def test_gauss_seidel_sweep_reaches_the_same_fixed_point():
    graph, inputs, _ = two_declared_iterates()
    reference = reference_fixed_point(graph, inputs)
    jacobi = adjoint.solve(graph, inputs, forward="fixed_point")
    seidel = adjoint.solve(graph, inputs, forward="fixed_point", sweep="gauss_seidel")
    for n, v in reference.items():
        assert_close(seidel.values[n], v, 1e-8, f"node {n}")
    assert seidel.blocks[0].forward_iterations < jacobi.blocks[0].forward_iterations


# --- fixed_point against autograd through an unrolled iteration ---------------------------
def unrolled(f, z0, steps=300):
    def run(*params):
        z = z0
        for _ in range(steps):
            z = f(z, *params)
        return z

    return run


W4 = rng.normal(size=(4, 4))
W4 *= 0.7 / np.linalg.norm(W4, 2)


def deq(np_):
    return lambda z, W, x: np_.tanh(W @ z + x)


def scalar_two_params(np_):
    return lambda z, a, x: np_.cos(z) / 2 + a * x


def vector_elementwise(np_):
    return lambda z, p: 0.5 * np_.sin(z) * p[0] + p[1]


def dict_params(np_):
    return lambda z, p: np_.tanh(p["W"] @ z + p["b"]) * p["s"]


FIXED_POINTS = {
    # name: (map factory, z0, params, argnums)
    "deq W and x": (deq, np.zeros(4), (W4, np.linspace(-1, 1, 4)), (0, 1)),
    "scalar, two scalar params": (scalar_two_params, 0.0, (0.8, 1.3), (0, 1)),
    "vector, list of params": (vector_elementwise, np.zeros(3), ([np.array([0.9, 1.1, 1.4]), np.array([0.2, -0.4, 1.0])],), (0,)),
    "dict of params": (dict_params, np.zeros(4), ({"W": W4, "b": np.array([0.5, -0.5, 0.1, 0.0]), "s": np.array(0.9)},), (0,)),
}


def flatten(tree):
    if isinstance(tree, dict):
        return np.concatenate([flatten(tree[k]) for k in sorted(tree)])
    if isinstance(tree, (list, tuple)):
        return np.concatenate([flatten(t) for t in tree]) if tree else np.zeros(0)
    return np.ravel(tree).astype(float)


@pytest.mark.parametrize("method", ["direct", "gmres", "fixed_point", "auto"])
@pytest.mark.parametrize("case", list(FIXED_POINTS))
def test_fixed_point_gradient_matches_autograd_unrolled(case, method):
    factory, z0, params, argnums = FIXED_POINTS[case]
    weights = np.linspace(0.5, 1.5, np.size(z0))

    def ours(*ps):
        z = adjoint.fixed_point(factory(anp), z0, *ps, adjoint=method)
        return anp.sum(weights * z**2)

    def reference(*ps):
        z = unrolled(factory(agnp), z0)(*ps)
        return agnp.sum(weights * z**2)

    expected = autograd.grad(reference, argnums)(*params) if len(argnums) > 1 else (autograd.grad(reference)(*params),)
    got = adjoint.grad(ours, argnum=argnums)(*params)
    got = got if len(argnums) > 1 else (got,)
    for g, e in zip(got, expected):
        assert_close(flatten(g), flatten(e), 1e-8, case)
    assert abs(ours(*params) - reference(*params)) < 1e-10


# --- a cycle over several named nodes against central differences ---------------------------
def three_node_cycle():
    g = adjoint.ConstraintGraph()
    g.add_input("x")
    g.add_input("y")
    g.add_constraint("p", lambda x: anp.exp(-x), ["x"])  # upstream, acyclic
    g.add_constraint("a", lambda c, p: 0.3 * anp.sin(c) + p, ["c", "p"], init=np.zeros(3))
    g.add_constraint("b", lambda a, y: 0.5 * anp.tanh(a) * y, ["a", "y"])
    g.add_constraint("c", lambda b, a: 0.4 * anp.cos(b) + 0.2 * a[::-1], ["b", "a"])
    g.add_constraint("J", lambda a, b, c: anp.sum(a * c) + anp.sum(b**2), ["a", "b", "c"])
    return g, {"x": np.array([0.2, -0.1, 0.4]), "y": np.array(1.2)}


@pytest.mark.parametrize("method", EXACT + ("auto",))
def test_cycle_over_named_nodes_matches_central_differences(method):
    graph, inputs = three_node_cycle()
    sol = adjoint.solve(graph, inputs, "J", adjoint=method)

    def J(name, vec):
        changed = dict(inputs, **{name: vec.reshape(np.shape(inputs[name]))})
        return float(adjoint.solve(graph, changed, forward="newton", rtol=1e-14).values["J"])

    for name, value in inputs.items():
        value = np.ravel(value).astype(float)
        h = 1e-5
        fd = np.array([(J(name, value + h * e) - J(name, value - h * e)) / (2 * h) for e in np.eye(value.size)])
        assert_close(sol.gradient[name], fd, 1e-7, f"dJ/d{name}")


# --- maps without a fixed point -----------------------------------------------------------
@pytest.mark.parametrize("method", FORWARD)
def test_no_fixed_point_raises_promptly(method):
    graph = adjoint.ConstraintGraph()
    graph.add_input("x")
    graph.add_constraint("z", lambda z, x: z + x, ["z", "x"], init=0.0)
    t = time.perf_counter()
    with pytest.raises(adjoint.ConvergenceError, match=r"forward solve of the cyclic component \['z'\].*did not converge.*residual [0-9.e+-]+ after \d+ iterations") as info:
        adjoint.solve(graph, {"x": 1.0}, "z", forward=method)
    assert time.perf_counter() - t < 10
    assert info.value.nodes == ("z",) and not info.value.report.converged
    assert info.value.report.iterations <= 1000


def test_diverging_picard_iteration_raises_with_fixed_point():
    t = time.perf_counter()
    with pytest.raises(adjoint.ConvergenceError, match=r"\['z'\] by 'fixed_point' did not converge: diverged"):
        adjoint.fixed_point(lambda z, x: 2 * z + x, 0.0, 1.0, forward="fixed_point")
    assert time.perf_counter() - t < 10
    # z = 2z + 1 has the fixed point -1, which Newton finds (it needs no contraction)
    assert adjoint.fixed_point(lambda z, x: 2 * z + x, 0.0, 1.0, forward="newton") == pytest.approx(-1.0)


def test_throw_false_warns_and_reports_not_converged():
    graph = adjoint.ConstraintGraph()
    graph.add_input("x")
    graph.add_constraint("z", lambda z, x: 2 * z + x, ["z", "x"], init=0.0)
    with pytest.warns(adjoint.ConvergenceWarning, match=r"\['z'\] by 'fixed_point' did not converge"):
        sol = adjoint.solve(graph, {"x": 1.0}, "z", forward="fixed_point", throw=False)
    (report,) = sol.blocks
    assert not report.converged and not report.forward.converged
    # the adjoint fails too where λ ← 1 + 2λ diverges, after Newton found z = -1
    with pytest.warns(adjoint.ConvergenceWarning, match=r"adjoint solve .* by 'fixed_point' did not converge"):
        sol = adjoint.solve(graph, {"x": 1.0}, "z", forward="newton", adjoint="fixed_point", throw=False)
    (report,) = sol.blocks
    assert report.forward.converged and not report.converged and report.residual > 1
    with pytest.raises(adjoint.ConvergenceError):
        adjoint.solve(graph, {"x": 1.0}, "z", forward="newton", adjoint="fixed_point")


def test_cycle_without_init_is_an_error_naming_the_node():
    graph = adjoint.ConstraintGraph()
    graph.add_input("x")
    graph.add_constraint("a", lambda b, x: 0.5 * b + x, ["b", "x"])
    graph.add_constraint("b", lambda a: anp.sin(a), ["a"])
    with pytest.raises(adjoint.GraphError, match=r"node '[ab]' lies on a cycle through \['a', 'b'\] and has no init"):
        adjoint.solve(graph, {"x": 1.0}, "a")


# --- structure ----------------------------------------------------------------------------
def test_acyclic_parts_around_a_cycle_are_separate_components():
    graph, inputs = three_node_cycle()
    blocks = strongly_connected_blocks(graph)
    assert [(sorted(b.nodes), b.cyclic) for b in blocks] == [(["p"], False), (["a", "b", "c"], True), (["J"], False)]
    (cyclic,) = [b for b in blocks if b.cyclic]
    assert cyclic.iterates == ("a",) and cyclic.interior == ("b", "c")
    sol = adjoint.solve(graph, inputs, "J")
    assert [sorted(r.nodes) for r in sol.blocks] == [["a", "b", "c"]]


def two_independent_cycles():
    g = adjoint.ConstraintGraph()
    g.add_input("x")
    g.add_input("y")
    g.add_constraint("a", lambda a, x: 0.5 * anp.sin(a) + x, ["a", "x"], init=0.0)
    g.add_constraint("b", lambda a: 2.0 * a, ["a"])
    g.add_constraint("c", lambda c, d, y: 0.5 * anp.cos(c) + 0.1 * d + y, ["c", "d", "y"], init=0.0)
    g.add_constraint("d", lambda c: anp.sin(c), ["c"])
    g.add_constraint("J", lambda b, c: b + c, ["b", "c"])
    return g, {"x": 0.3, "y": 0.6}


def test_one_report_per_cyclic_component():
    graph, inputs = two_independent_cycles()
    sol = adjoint.solve(graph, inputs, "J")
    assert sorted(sorted(r.nodes) for r in sol.blocks) == [["a"], ["c", "d"]]


def test_a_method_per_component():
    graph, inputs = two_independent_cycles()
    mixed = adjoint.solve(graph, inputs, "J", adjoint={"a": "direct", "c": "jfb"})
    exact = adjoint.solve(graph, inputs, "J", adjoint="direct")
    methods = {tuple(sorted(r.nodes)): r.method for r in mixed.blocks}
    assert methods == {("a",): "direct", ("c", "d"): "jfb"}
    a = mixed.values["a"]
    assert mixed.gradient["x"] == pytest.approx(2.0 / (1 - 0.5 * np.cos(a)), rel=1e-12)  # exact
    assert mixed.gradient["x"] == pytest.approx(exact.gradient["x"], rel=1e-12)
    # JFB through c: λ_c = 1 with c's feedback edges cut, so dJ/dy = ∂f_c/∂y = 1
    assert mixed.gradient["y"] == pytest.approx(1.0, rel=1e-12)
    assert abs(exact.gradient["y"] - 1.0) > 1e-2
    # a default for the unnamed components, under the key None
    default = adjoint.solve(graph, inputs, "J", adjoint={None: "jfb", "a": "gmres"})
    assert {tuple(sorted(r.nodes)): r.method for r in default.blocks} == {("a",): "gmres", ("c", "d"): "jfb"}


def test_conflicting_methods_within_one_component_are_an_error():
    graph, inputs = two_independent_cycles()
    with pytest.raises(adjoint.InvalidArgumentError, match=r"gives the component \['c', 'd'\] several methods \['direct', 'jfb'\]"):
        adjoint.solve(graph, inputs, "J", adjoint={"c": "direct", "d": "jfb"})
    with pytest.raises(adjoint.InvalidArgumentError, match="several methods"):
        adjoint.solve(graph, inputs, "J", forward={"c": "newton", "d": "anderson"})


def test_multiplier_is_the_sensitivity_to_a_perturbed_constraint():
    """λ_i = dJ/dε for z_i = f_i(...) + ε, here on the interior node b of a cycle."""
    graph, inputs, objective = vector_two_cycle()
    sol = adjoint.solve(graph, inputs, objective)
    fn = graph.nodes["b"]["fn"]
    h = 1e-6
    fd = []
    for e in np.eye(3):
        values = []
        for s in (h, -h):
            graph.nodes["b"]["fn"] = lambda a, s=s, e=e: fn(a) + s * e
            values.append(float(adjoint.solve(graph, inputs, forward="newton", rtol=1e-14).values[objective]))
        fd.append((values[0] - values[1]) / (2 * h))
    graph.nodes["b"]["fn"] = fn
    assert_close(sol.multipliers["b"], fd, 1e-7, "λ_b")


def test_newton_on_a_two_node_block_with_equations_on_different_scales():
    """Newton works on the iterates' equations: an interior node on another scale (here
    ``reaction = 2 exp(u)`` beside a Jacobi update of a 2-D Laplacian) cannot stall it."""
    import scipy.sparse as sp

    n = 12
    h = 1.0 / (n + 1)
    T = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(n, n))
    L = ((sp.kron(sp.eye(n), T) + sp.kron(T, sp.eye(n))) / h**2).tocsr()
    diagonal = L.diagonal()
    off = (L - sp.diags(diagonal)).tocsr()
    g = adjoint.ConstraintGraph()
    g.add_input("f")
    g.add_constraint("reaction", lambda u: 2.0 * anp.exp(u), ["u"])
    g.add_constraint("u", lambda r, f, u: (r + f - anp.sparse_matmul(off, u)) / diagonal,
                     ["reaction", "f", "u"], init=np.zeros(n * n))
    g.add_constraint("J", lambda u: anp.sum(u ** 2), ["u"])
    f = np.linspace(0.5, 1.5, n * n)
    newton = adjoint.solve(g, {"f": f}, "J", forward="newton", adjoint="direct")
    krylov = adjoint.solve(g, {"f": f}, "J", forward="newton_krylov", adjoint="gmres")
    assert newton.blocks[0].forward_iterations <= 6
    u = newton.values["u"]
    np.testing.assert_allclose(L @ u, 2.0 * np.exp(u) + f, rtol=1e-9)
    np.testing.assert_allclose(newton.gradient["f"], krylov.gradient["f"], rtol=1e-7)
    # λ of J = ‖u‖² through the steady state: (L - diag(2 e^u)) adjoint, solved densely.
    dense = np.linalg.solve((L.toarray() - np.diag(2.0 * np.exp(u))).T, 2 * u)
    np.testing.assert_allclose(newton.gradient["f"], dense, rtol=1e-8)
