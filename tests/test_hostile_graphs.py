"""Hostile graphs and arguments: tuple node names, ``None`` values, maps writing into their arguments.

Each case used to give a wrong answer or a misleading error ("not finite (value [nan])"); now
it gives the right answer or an error naming what was given and what to do.
"""

import numpy as np
import pytest

import adjoint
import adjoint.numpy as anp


def tuple_named_graph():
    """Nodes ``"J" = 2x`` and ``("J", 1) = 3x``: ``("J", 1)`` reads as either; ``("K", 0) = 5x`` as one."""
    g = adjoint.ConstraintGraph()
    g.add_input("x")
    g.add_constraint("J", lambda x: 2 * x, ["x"])
    g.add_constraint(("J", 1), lambda x: 3 * x, ["x"])
    g.add_constraint(("K", 0), lambda x: 5 * x, ["x"])
    g.add_constraint("v", lambda x: anp.stack([x, 7 * x]), ["x"])
    return g


OBJECTIVES = [
    # id, objective, keywords, dJ/dx
    ("tuple node, unambiguous", ("K", 0), {}, 5.0),
    ("tuple node by cotangent=", ("J", 1), {"cotangent": 1.0}, 3.0),
    ("plain node by cotangent=", "J", {"cotangent": 2.0}, 4.0),
    ("pair, unambiguous", ("v", np.array([0.0, 1.0])), {}, 7.0),
    ("vector node by cotangent=", "v", {"cotangent": [1.0, 1.0]}, 8.0),
]


@pytest.mark.parametrize("objective, keywords, expected", [c[1:] for c in OBJECTIVES], ids=[c[0] for c in OBJECTIVES])
def test_objective_readings(objective, keywords, expected):
    sol = adjoint.solve(tuple_named_graph(), {"x": 1.0}, objective, **keywords)
    assert float(sol.gradient["x"]) == expected


BAD_OBJECTIVES = [
    # id, objective, keywords, pattern
    ("ambiguous tuple", ("J", 1), {},
     r"objective \('J', 1\) is ambiguous: it is a node, and it also reads as node 'J' with cotangent 1.*"
     r"solve\(graph, inputs, \('J', 1\), cotangent=1\.0\).*solve\(graph, inputs, 'J', cotangent=1\)"),
    ("cotangent= for a non-node", ("v", 1.0), {"cotangent": 1.0}, r"objective \('v', 1\.0\) is not a node"),
    ("cotangent= without objective", None, {"cotangent": 1.0}, r"a cotangent was given but no objective"),
    ("cotangent= of wrong shape", "v", {"cotangent": 1.0}, r"cotangent for objective 'v' has shape \(\), but the node has shape \(2,\)"),
    ("pair cotangent holding None", ("v", [1.0, None]), {}, r"the cotangent for objective 'v' holds None"),
    ("cotangent= holding None", "v", {"cotangent": [None, 1.0]}, r"the cotangent for objective 'v' holds None"),
    ("vector objective names both spellings", "v", {}, r"pass \('v', cotangent\), or cotangent="),
]


@pytest.mark.parametrize("objective, keywords, match", [c[1:] for c in BAD_OBJECTIVES],
                         ids=[c[0] for c in BAD_OBJECTIVES])
def test_bad_objectives(objective, keywords, match):
    with pytest.raises(adjoint.InvalidArgumentError, match=match):
        adjoint.solve(tuple_named_graph(), {"x": 1.0}, objective, **keywords)


def solve_graph(fn, inputs, cyclic=False):
    g = adjoint.ConstraintGraph()
    g.add_input("x")
    if cyclic:
        g.add_constraint("z", fn, ["z", "x"], init=0.0)
    else:
        g.add_constraint("y", fn, ["x"])
    return lambda: adjoint.solve(g, inputs, "z" if cyclic else "y")


def tangent_none():
    g = adjoint.ConstraintGraph()
    g.add_input("x")
    g.add_constraint("y", lambda x: 2 * x, ["x"])
    adjoint.solve_tangent(g, {"x": 1.0}, {"x": None})


def fixed_point_call(f, z0, *params, grad=False):
    if grad:
        return lambda: adjoint.grad(lambda p: anp.sum(adjoint.fixed_point(f, z0, p)))(*params)
    return lambda: adjoint.fixed_point(f, z0, *params)


def contraction(z, x):
    return anp.cos(z) / 2 + x


NONES = [
    # id, action, exception, pattern
    ("input None", solve_graph(lambda x: 2 * x, {"x": None}), adjoint.InvalidArgumentError,
     r"input 'x' is None; give a float or an array"),
    ("input holding None", solve_graph(lambda x: 2 * x, {"x": [1.0, None]}), adjoint.InvalidArgumentError,
     r"input 'x' holds None"),
    ("constraint returns None", solve_graph(lambda x: None, {"x": 1.0}), adjoint.GraphError,
     r"constraint 'y' returned None; .*return statement missing"),
    ("constraint returns a list holding None", solve_graph(lambda x: [x, None], {"x": 1.0}), adjoint.GraphError,
     r"constraint 'y' returned a list holding None"),
    ("cyclic constraint returns None", solve_graph(lambda z, x: None, {"x": 1.0}, cyclic=True), adjoint.GraphError,
     r"constraint 'z' returned None"),
    ("tangent None", tangent_none, adjoint.InvalidArgumentError, r"the tangent of input 'x' is None"),
    ("fixed_point map returns None", fixed_point_call(lambda z, x: None, 0.0, 1.0), adjoint.GraphError,
     r"fixed_point's f returned None"),
    ("fixed_point z0 None", fixed_point_call(contraction, None, 1.0), adjoint.InvalidArgumentError,
     r"fixed_point's z0 is None"),
    ("fixed_point z0 None, traced", fixed_point_call(contraction, None, 1.0, grad=True), adjoint.InvalidArgumentError,
     r"fixed_point's z0 is None"),
    ("fixed_point z0 holding None", fixed_point_call(contraction, [0.0, None], 1.0), adjoint.InvalidArgumentError,
     r"fixed_point's z0 holds None"),
]


@pytest.mark.parametrize("action, error, match", [c[1:] for c in NONES], ids=[c[0] for c in NONES])
def test_none_is_named_not_nan(action, error, match):
    with pytest.raises(error, match=match):
        action()


def add_in_place(z, p):
    p += 1.0
    return anp.cos(z) / 2 + p


def set_item(z, p):
    p[0] = 5.0
    return anp.cos(z) / 2 + p


def scale_iterate_in_place(z, p):
    z *= 0.5
    return anp.cos(z) / 2 + p


@pytest.mark.parametrize("f", [add_in_place, set_item, scale_iterate_in_place])
@pytest.mark.parametrize("grad", [False, True], ids=["plain", "traced"])
def test_fixed_point_map_cannot_write_into_the_callers_arrays(f, grad):
    p = np.array([1.0, 2.0])
    with pytest.raises(adjoint.GraphError, match=r"fixed_point's f writes into z or a parameter in place.*p = p \+ 1"):
        fixed_point_call(f, np.zeros(2), p, grad=grad)()
    np.testing.assert_array_equal(p, [1.0, 2.0])


def test_fixed_point_does_not_alias_the_callers_arrays():
    p, z0 = np.array([1.0, 2.0]), np.zeros(2)
    z = adjoint.fixed_point(lambda z, p: anp.cos(z) / 2 + p, z0, p)
    expected = adjoint.fixed_point(lambda z, p: anp.cos(z) / 2 + p, np.zeros(2), np.array([1.0, 2.0]))
    np.testing.assert_array_equal(z, expected)
    np.testing.assert_array_equal(p, [1.0, 2.0])
    np.testing.assert_array_equal(z0, [0.0, 0.0])


@pytest.mark.parametrize("cyclic", [False, True], ids=["acyclic", "cyclic"])
def test_constraint_cannot_write_into_its_arguments(cyclic):
    def f(*args):
        args[-1][...] = 0.0
        return 2 * args[-1]

    x = np.array([1.0, 2.0])
    with pytest.raises(adjoint.GraphError, match=r"constraint '[yz]' writes into one of its arguments"):
        solve_graph(f, {"x": x}, cyclic=cyclic)()
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_identity_constraint_has_a_value_of_its_own():
    # constraints get read-only views of their arguments; a node's value must not be one
    g = adjoint.ConstraintGraph()
    g.add_input("x")
    g.add_constraint("y", lambda x: x, ["x"])
    sol = adjoint.solve(g, {"x": np.array([1.0, 2.0])})
    sol.values["y"][0] = 9.0
    assert sol.values["x"][0] == 1.0
