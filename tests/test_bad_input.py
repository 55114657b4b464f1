"""Bad input, one table: each mistake raises the right exception, naming the culprit."""

import numpy as np
import pytest

import adjoint
import adjoint.numpy as anp
import solvers


def graph(*constraints, inputs=("x",)):
    """A graph with ``inputs`` and constraints ``(name, fn, args[, init])``."""
    g = adjoint.ConstraintGraph()
    for x in inputs:
        g.add_input(x)
    for c in constraints:
        g.add_constraint(*c)
    return g


def undefined_argument():
    g = graph(("y", lambda x, w: x * w, ["x", "weights"]))
    adjoint.solve(g, {"x": 1.0}, "y")


def constraint_on_input():
    graph(("x", lambda x: x + 1, ["x"]))


def defined_twice():
    graph(("y", lambda x: x + 1, ["x"]), ("y", lambda x: x * 2, ["x"]))


def input_declared_twice():
    graph(inputs=("x", "x"))


def missing_input_value():
    g = graph(("y", lambda x, w: x * w, ["x", "w"]), inputs=("x", "w"))
    adjoint.solve(g, {"x": 1.0}, "y")


def unknown_input_value():
    adjoint.solve(graph(("y", lambda x: x * 2, ["x"])), {"x": 1.0, "typo": 2.0}, "y")


def input_not_numbers():
    adjoint.solve(graph(("y", lambda x: x * 2, ["x"])), {"x": "one"}, "y")


def nan_chain(**options):
    """x -> a = 2x -> b = log(a) (NaN for x < 0) -> c = 2b (NaN too): b is the first."""
    g = graph(
        ("a", lambda x: 2 * x, ["x"]),
        ("b", lambda a: anp.log(a), ["a"]),
        ("c", lambda b: 2 * b, ["b"]),
    )
    with np.errstate(invalid="ignore"):
        return adjoint.solve(g, {"x": -1.0}, "c", **options)


def inf_node():
    g = graph(("r", lambda x: 1.0 / x, ["x"]), ("s", lambda r: r + 1.0, ["r"]))
    with np.errstate(divide="ignore"):
        adjoint.solve(g, {"x": np.array([1.0, 0.0])}, ("s", np.ones(2)))


def infinite_multiplier():
    g = graph(("r", lambda x: anp.sqrt(x), ["x"]), ("s", lambda r: anp.sum(r), ["r"]))
    with np.errstate(divide="ignore"):
        adjoint.solve(g, {"x": np.array([1.0, 0.0])}, "s")


def infinite_multiplier_inside():
    g = graph(("a", lambda x: 2 * x, ["x"]), ("r", lambda a: anp.sqrt(a), ["a"]), ("s", lambda r: anp.sum(r), ["r"]))
    with np.errstate(divide="ignore"):
        adjoint.solve(g, {"x": np.array([1.0, 0.0])}, "s")


def shape_mismatch():
    g = graph(("y", lambda a, b: a + b, ["a", "b"]), inputs=("a", "b"))
    adjoint.solve(g, {"a": np.ones(2), "b": np.ones(3)}, ("y", np.ones(2)))


def cyclic_shape_changes():
    g = graph(("z", lambda z, x: anp.concatenate([z, x]) / 2, ["z", "x"], np.zeros(2)))
    adjoint.solve(g, {"x": np.ones(1)}, ("z", np.ones(2)))


def nonscalar_objective():
    g = graph(("y", lambda x: anp.sin(x), ["x"]))
    adjoint.solve(g, {"x": np.ones(3)}, "y")


def cotangent_wrong_shape():
    g = graph(("y", lambda x: anp.sin(x), ["x"]))
    adjoint.solve(g, {"x": np.ones(3)}, ("y", np.ones(2)))


def objective_not_a_node():
    adjoint.solve(graph(("y", lambda x: x * 2, ["x"])), {"x": 1.0}, "loss")


def grad_of_nonscalar():
    adjoint.grad(lambda x: anp.sin(x))(np.ones(3))


def unsupported_function_in_constraint():
    g = graph(("y", lambda x: anp.sum(np.interp(x, [0.0, 1.0], [0.0, 2.0])), ["x"]))
    adjoint.solve(g, {"x": np.ones(3)}, "y")


def unsupported_function_in_grad():
    adjoint.grad(lambda x: np.sum(np.polyval(x, 2.0)))(np.eye(2))


def float_of_traced():
    adjoint.grad(lambda x: float(x) * 2.0)(1.0)


def singular_component():
    """z = z + sin(x - 1): at x = 1 every z is a solution, ∂f/∂z = 1, I - J_BB = 0."""
    g = graph(("z", lambda z, x: z + anp.sin(x - 1.0), ["z", "x"], 0.5))
    adjoint.solve(g, {"x": 1.0}, "z")


def singular_fixed_point():
    adjoint.grad(lambda x: adjoint.fixed_point(lambda z, x: z + anp.sin(x - 1.0), 0.5, x))(1.0)


def forward_not_converging():
    g = graph(("z", lambda z, x: z + 1.0 + 0.0 * x, ["z", "x"], 0.0))
    adjoint.solve(g, {"x": 1.0}, "z", forward="fixed_point", maxiter=50)


def newton_without_solution():
    g = graph(("z", lambda z, x: z + 1.0 + 0.0 * x, ["z", "x"], 0.0))
    adjoint.solve(g, {"x": 1.0}, "z")


def fixed_point_not_converging():
    adjoint.fixed_point(lambda z, x: z + x, 0.0, 1.0, forward="fixed_point", maxiter=50)


def cycle_without_init():
    g = graph(("a", lambda b, x: b / 2 + x, ["b", "x"]), ("b", lambda a: anp.sin(a), ["a"]))
    adjoint.solve(g, {"x": 1.0}, "a")


def triangular_on_cycle():
    g = graph(("z", lambda z, x: z / 2 + x, ["z", "x"], 0.0))
    adjoint.solve(g, {"x": 1.0}, "z", adjoint="triangular")


def solve_with(**options):
    def run():
        g = graph(("z", lambda z, x: anp.cos(z) / 2 + x, ["z", "x"], 0.0))
        adjoint.solve(g, {"x": 1.0}, "z", **options)
    return run


def tangent_with(**options):
    def run():
        g = graph(("z", lambda z, x: anp.cos(z) / 2 + x, ["z", "x"], 0.0))
        adjoint.solve_tangent(g, {"x": 1.0}, {"x": 1.0}, **options)
    return run


def fixed_point_with(**options):
    def run():
        adjoint.fixed_point(lambda z, x: anp.cos(z) / 2 + x, 0.0, 1.0, **options)
    return run


def fn_not_callable():
    graph(("y", "x * 2", ["x"]))


def args_a_string():
    graph(("y", lambda x: x * 2, "x"))


def argnum_out_of_range():
    adjoint.grad(lambda x: x * 2, argnum=3)(1.0)


def argnum_repeated():
    adjoint.grad(lambda x, y: x * y, argnum=(0, 0))(2.0, 3.0)


def argnum_a_string():
    adjoint.grad(lambda x: x * 2, argnum="0")(1.0)


def argument_not_an_array():
    adjoint.grad(lambda x: x * 2)("one")


VALID_FORWARD = ", ".join(["auto", *solvers.nonlinear_methods()])
VALID_ADJOINT = ", ".join(["auto", *solvers.linear_methods()])

CASES = [
    # id, action, exception, pattern the message must match (it names the culprit)
    ("undefined argument", undefined_argument, adjoint.GraphError, r"'weights' is used as an argument by 'y'.*add_input or add_constraint"),
    ("constraint on an input", constraint_on_input, adjoint.GraphError, r"'x' is an input: it cannot also be defined by a constraint"),
    ("name defined twice", defined_twice, adjoint.GraphError, r"'y' is already defined by a constraint"),
    ("input declared twice", input_declared_twice, adjoint.GraphError, r"input 'x' is declared twice"),
    ("missing input value", missing_input_value, adjoint.InvalidArgumentError, r"input 'w' has no value"),
    ("value for a non-input", unknown_input_value, adjoint.InvalidArgumentError, r"'typo' was given a value but is not an input"),
    ("input not numbers", input_not_numbers, adjoint.InvalidArgumentError, r"input 'x' is not an array of numbers"),
    ("NaN: first node named", nan_chain, adjoint.NonFiniteError, r"node 'b' is not finite .*'a'=\[-2\.\].*check_finite=False"),
    ("Inf: node named", inf_node, adjoint.NonFiniteError, r"node 'r' is not finite \(value \[ 1\. inf\]\)"),
    ("infinite multiplier", infinite_multiplier, adjoint.NonFiniteError, r"gradient of input 'x' is not finite: the derivative of 'r' with respect to 'x' is infinite"),
    ("infinite multiplier: first named", infinite_multiplier_inside, adjoint.NonFiniteError, r"multiplier of node 'a' is not finite: the derivative of 'r' with respect to 'a'"),
    ("shape mismatch", shape_mismatch, adjoint.GraphError, r"constraint 'y' failed .*argument shapes: 'a' \(2,\), 'b' \(3,\)"),
    ("shape changes on a cycle", cyclic_shape_changes, adjoint.GraphError, r"constraint 'z' returned shape \(3,\) but the node has shape \(2,\)"),
    ("non-scalar objective", nonscalar_objective, adjoint.InvalidArgumentError, r"objective 'y' has shape \(3,\), not a scalar; pass \('y', cotangent\)"),
    ("cotangent of wrong shape", cotangent_wrong_shape, adjoint.InvalidArgumentError, r"cotangent for objective 'y' has shape \(2,\), but the node has shape \(3,\)"),
    ("objective not a node", objective_not_a_node, adjoint.InvalidArgumentError, r"objective 'loss' is not a node"),
    ("grad of non-scalar", grad_of_nonscalar, adjoint.InvalidArgumentError, r"grad needs a scalar-valued function, but it returned shape \(3,\)"),
    ("unsupported numpy in constraint", unsupported_function_in_constraint, adjoint.UnsupportedFunctionError, r"constraint 'y': numpy\.interp has no derivative rule"),
    ("unsupported numpy in grad", unsupported_function_in_grad, adjoint.UnsupportedFunctionError, r"numpy\.polyval has no derivative rule"),
    ("float() of a traced value", float_of_traced, adjoint.UnsupportedFunctionError, r"float\(\) of a traced value would drop its derivative"),
    ("singular component", singular_component, adjoint.SingularSystemError, r"cyclic component \['z'\] is singular"),
    ("singular fixed point", singular_fixed_point, adjoint.SingularSystemError, r"cyclic component \['z'\] is singular"),
    ("forward does not converge", forward_not_converging, adjoint.ConvergenceError, r"component \['z'\] by 'fixed_point' did not converge.*residual [0-9.e+-]+ after 50 iterations"),
    ("Newton finds no solution", newton_without_solution, adjoint.ConvergenceError, r"component \['z'\] by 'newton' did not converge: singular Jacobian.*Try forward='anderson'"),
    ("fixed_point does not converge", fixed_point_not_converging, adjoint.ConvergenceError, r"component \['z'\] by 'fixed_point' did not converge.*after 50 iterations"),
    ("cycle without init", cycle_without_init, adjoint.GraphError, r"lies on a cycle through \['a', 'b'\] and has no init"),
    ("triangular on a cycle", triangular_on_cycle, adjoint.InvalidArgumentError, r"adjoint='triangular' needs an acyclic graph, but \['z'\] form a cycle"),
    ("unknown forward method", solve_with(forward="newtn"), adjoint.InvalidArgumentError, rf"unknown forward method 'newtn'; choose one of {VALID_FORWARD}"),
    ("unknown adjoint method", solve_with(adjoint="gmress"), adjoint.InvalidArgumentError, rf"unknown adjoint method 'gmress'; choose one of {VALID_ADJOINT}"),
    ("unknown method for a node", solve_with(adjoint={"z": "lu"}), adjoint.InvalidArgumentError, r"unknown adjoint method 'lu'"),
    ("method for a missing node", solve_with(adjoint={"w": "direct"}), adjoint.InvalidArgumentError, r"adjoint= names node 'w', which is not in the graph"),
    ("unknown sweep", solve_with(sweep="red_black"), adjoint.InvalidArgumentError, r"unknown sweep 'red_black'; choose 'jacobi' or 'gauss_seidel'"),
    ("unknown fixed_point method", fixed_point_with(forward="picard"), adjoint.InvalidArgumentError, rf"unknown forward method 'picard'; choose one of {VALID_FORWARD}"),
    ("negative rtol", solve_with(rtol=-1e-8), adjoint.InvalidArgumentError, r"rtol must be a finite number >= 0, got -1e-08"),
    ("NaN atol", solve_with(atol=float("nan")), adjoint.InvalidArgumentError, r"atol must be a finite number >= 0, got nan"),
    ("string rtol", solve_with(rtol="tight"), adjoint.InvalidArgumentError, r"rtol must be a finite number >= 0, got 'tight'"),
    ("zero maxiter", solve_with(maxiter=0), adjoint.InvalidArgumentError, r"maxiter must be a positive integer, got 0"),
    ("fractional maxiter", solve_with(maxiter=2.5), adjoint.InvalidArgumentError, r"maxiter must be a positive integer, got 2.5"),
    ("boolean maxiter", solve_with(maxiter=True), adjoint.InvalidArgumentError, r"maxiter must be a positive integer, got True"),
    ("fixed_point negative rtol", fixed_point_with(rtol=-1.0), adjoint.InvalidArgumentError, r"rtol must be a finite number >= 0, got -1"),
    ("fixed_point zero maxiter", fixed_point_with(maxiter=0), adjoint.InvalidArgumentError, r"maxiter must be a positive integer, got 0"),
    ("unknown adjoint option", solve_with(adjoint="gmres", adjoint_options={"k": 3}), adjoint.InvalidArgumentError, r"adjoint_options has no option 'k' for method 'gmres'; its options are: restart"),
    ("unknown option under auto", solve_with(adjoint_options={"restrat": 3}), adjoint.InvalidArgumentError, r"adjoint_options has no option 'restrat' for method 'direct', 'gmres'; its options are: permc_spec, restart"),
    ("bad option value", solve_with(adjoint="neumann", adjoint_options={"k": -1}), adjoint.InvalidArgumentError, r"adjoint_options: .*k"),
    ("unknown forward option", solve_with(forward="anderson", forward_options={"memroy": 3}), adjoint.InvalidArgumentError, r"forward_options has no option 'memroy' for method 'anderson'"),
    ("unknown tangent option", tangent_with(linear="gmres", linear_options={"k": 3}), adjoint.InvalidArgumentError, r"linear_options has no option 'k' for method 'gmres'"),
    ("fixed_point unknown option", fixed_point_with(adjoint="neumann", adjoint_options={"restart": 3}), adjoint.InvalidArgumentError, r"adjoint_options has no option 'restart' for method 'neumann'; its options are: k"),
    ("fn not callable", fn_not_callable, adjoint.GraphError, r"constraint 'y': fn must be callable, got str"),
    ("args a string", args_a_string, adjoint.GraphError, r"constraint 'y': args must be a list of node names, got 'x'; write \['x'\]"),
    ("argnum out of range", argnum_out_of_range, adjoint.InvalidArgumentError, r"argnum 3 is out of range for a call with 1 arguments"),
    ("argnum repeated", argnum_repeated, adjoint.InvalidArgumentError, r"argnum \(0, 0\) names argument 0 twice"),
    ("argnum a string", argnum_a_string, adjoint.InvalidArgumentError, r"argnum must be an int or a tuple of ints, got '0'"),
    ("argument not an array", argument_not_an_array, adjoint.InvalidArgumentError, r"argument 0 is a str"),
]


@pytest.mark.parametrize("action, error, match", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_names_the_culprit(action, error, match):
    with pytest.raises(error, match=match):
        action()


@pytest.mark.parametrize("options", [
    {"adjoint": "gmres", "adjoint_options": {"k": 3}},
    {"forward": "anderson", "forward_options": {"memroy": 3}},
    {"rtol": -1.0},
])
def test_settings_are_refused_before_any_work(options):
    calls = []

    def f(z, x):
        calls.append(1)
        return anp.cos(z) / 2 + x

    with pytest.raises(adjoint.InvalidArgumentError):
        adjoint.solve(graph(("z", f, ["z", "x"], 0.0)), {"x": 1.0}, "z", **options)
    assert calls == []


def test_shared_options_reach_only_the_methods_that_take_them():
    g = graph(("z", lambda z, x: anp.cos(z) / 2 + x, ["z", "x"], 0.0))
    # "auto" is direct on this small block: direct has no restart, GMRES does
    sol = adjoint.solve(g, {"x": 1.0}, "z", adjoint_options={"restart": 5})
    assert sol.blocks[0].adjoint.method == "direct"


def test_check_finite_false_turns_the_check_off():
    sol = nan_chain(check_finite=False)
    assert np.isnan(sol.values["b"]) and np.isnan(sol.values["c"]) and sol.values["a"] == -2.0
    assert sol.gradient["x"] == pytest.approx(-2.0)  # 2 * (1 / a) * 2 at a = -2


def test_errors_share_one_base_class():
    for _, _, error, _ in CASES:
        assert issubclass(error, adjoint.AdjointError)


def test_convergence_error_carries_nodes_and_report():
    with pytest.raises(adjoint.ConvergenceError) as info:
        forward_not_converging()
    assert info.value.nodes == ("z",)
    assert info.value.report.iterations == 50 and not info.value.report.converged
    assert info.value.report.residual > 1e-3
