"""``adjoint.extend`` against ``autograd.extend``: the same rule code, two libraries.

The primitives below are written once, against autograd's extension API and
``autograd.numpy`` (as ported code is), by ``define(ext)``; they are defined once with
``ext = autograd.extend`` and once with ``ext = adjoint.extend``, and the derivatives of
each case must agree to 1e-12. ``autograd.numpy`` applied to adjoint's traced values
(no autograd boxes among the arguments) calls plain numpy, which dispatches to adjoint.
"""

import types

import numpy
import pytest
import scipy.special
from numpy.testing import assert_allclose

import adjoint
import adjoint.extend as adx
from adjoint.errors import InvalidArgumentError, MissingRuleError
from graphs.numpy_functions import NUMPY_EQUIVALENTS
from graphs.primitive import PRIMITIVES

autograd = pytest.importorskip("autograd")
agx = pytest.importorskip("autograd.extend")
np = pytest.importorskip("autograd.numpy")

TOL = dict(rtol=1e-12, atol=1e-12)


# --- the primitives, written once for autograd -------------------------------------------

def define(ext):
    """The test primitives registered through the extension module ``ext``."""

    @ext.primitive
    def logsumexp(x, axis=None):
        m = numpy.max(x, axis=axis, keepdims=True)
        return numpy.squeeze(m + numpy.log(numpy.sum(numpy.exp(x - m), axis=axis, keepdims=True)), axis=axis)

    def logsumexp_vjp(ans, x, axis=None):
        def vjp(g):
            if axis is not None:
                g, ans_ = np.expand_dims(g, axis), np.expand_dims(ans, axis)
            else:
                ans_ = ans
            return g * np.exp(x - ans_)
        return vjp

    def logsumexp_jvp(g, ans, x, axis=None):
        ans_ = ans if axis is None else np.expand_dims(ans, axis)
        return np.sum(g * np.exp(x - ans_), axis=axis)

    ext.defvjp(logsumexp, logsumexp_vjp)
    ext.defjvp(logsumexp, logsumexp_jvp)

    @ext.primitive
    def weighted_norm(x, w):
        return numpy.sqrt(numpy.sum(w * x ** 2))

    ext.defvjp(weighted_norm,
               lambda ans, x, w: lambda g: g * w * x / ans,
               lambda ans, x, w: lambda g: g * x ** 2 / (2 * ans))
    ext.defjvp(weighted_norm,
               lambda g, ans, x, w: np.sum(g * w * x) / ans,
               lambda g, ans, x, w: np.sum(g * x ** 2) / (2 * ans))

    # A scalar exponent broadcast against an array: its cotangent must be summed to shape ().
    # The rules call the primitive itself: nested derivatives differentiate through them.
    @ext.primitive
    def power(x, p):
        return x ** p

    ext.defvjp(power,
               lambda ans, x, p: lambda g: g * p * power(x, p - 1.0),
               lambda ans, x, p: lambda g: np.sum(g * ans * np.log(x)))
    ext.defjvp(power,
               lambda g, ans, x, p: g * p * power(x, p - 1.0),
               lambda g, ans, x, p: g * ans * np.log(x))

    # Any number of arguments, one rule for all of them.
    @ext.primitive
    def weighted_total(*xs, scale=1.0):
        return scale * sum((k + 1) * numpy.sum(x) for k, x in enumerate(xs))

    ext.defvjp_argnum(weighted_total,
                      lambda argnum, ans, args, kwargs: lambda g: kwargs.get("scale", 1.0) * (argnum + 1) * g
                      * np.ones(np.shape(args[argnum])))
    ext.defjvp_argnum(weighted_total,
                      lambda argnum, g, ans, args, kwargs: kwargs.get("scale", 1.0) * (argnum + 1) * np.sum(g))

    # Linear in each argument: its JVPs come from def_linear, its VJPs from defvjp.
    @ext.primitive
    def outer_scale(a, x):
        return a * x

    ext.def_linear(outer_scale)
    ext.defvjp(outer_scale,
               lambda ans, a, x: lambda g: np.sum(g * x),
               lambda ans, a, x: lambda g: g * a)

    # Only the second argument is differentiable: argnums, and None for a zero derivative.
    @ext.primitive
    def shifted_sin(shift, x):
        return numpy.sin(x + shift)

    ext.defvjp(shifted_sin, None, lambda ans, shift, x: lambda g: g * np.cos(x + shift))
    ext.defjvp(shifted_sin, lambda g, ans, shift, x: g * np.cos(x + shift), argnums=[1])

    # Rules for several arguments at once (adjoint asks them one argument at a time).
    @ext.primitive
    def product(a, b):
        return a * b

    ext.defvjp_argnums(product, lambda argnums, ans, args, kwargs: lambda g: [
        np.sum(g * args[1 - k]) if np.ndim(args[k]) == 0 else g * args[1 - k] for k in argnums])
    ext.defjvp_argnums(product, lambda argnums, gs, ans, args, kwargs: sum(
        g * args[1 - k] for k, g in zip(argnums, gs)))

    return types.SimpleNamespace(**locals())


AG = define(agx)
AD = define(adx)


# --- cases: (id, function of (P, *args), args, argnum) -----------------------------------

def _normal(shape, seed):
    return numpy.random.default_rng(seed).normal(size=shape)


X3, X34 = _normal(3, 0), _normal((3, 4), 1)
W3 = numpy.abs(_normal(3, 2)) + 0.5
POS3 = numpy.abs(_normal(3, 3)) + 0.5
V = numpy.array([0.3, -1.2, 2.0])

CASES = [
    ("logsumexp", lambda P, x: P.logsumexp(x), (X3,), 0),
    ("logsumexp matrix", lambda P, x: P.logsumexp(x), (X34,), 0),
    ("logsumexp axis=1", lambda P, x: np.sum(P.logsumexp(x, axis=1) ** 2), (X34,), 0),
    ("logsumexp axis=0", lambda P, x: np.sum(np.sin(P.logsumexp(x, axis=0))), (X34,), 0),
    ("logsumexp composed", lambda P, x: P.logsumexp(np.tanh(x) * 2.0) * np.sum(x), (X3,), 0),
    ("weighted_norm x", lambda P, x, w: P.weighted_norm(x, w), (X3, W3), 0),
    ("weighted_norm w", lambda P, x, w: P.weighted_norm(x, w), (X3, W3), 1),
    ("weighted_norm both", lambda P, x, w: P.weighted_norm(np.sin(x), w) ** 2, (X3, W3), (0, 1)),
    ("power x", lambda P, x, p: np.sum(P.power(x, p)), (POS3, 2.5), 0),
    ("power p", lambda P, x, p: np.sum(P.power(x, p)), (POS3, 2.5), 1),
    ("power both", lambda P, x, p: np.sum(P.power(x, p) * x), (POS3, 2.5), (0, 1)),
    ("weighted_total", lambda P, a, b: P.weighted_total(a, b, a * b, scale=2.0) ** 2, (X3, 0.7), (0, 1)),
    ("outer_scale", lambda P, a, x: np.sum(P.outer_scale(a, x) ** 3), (1.3, X3), (0, 1)),
    ("shifted_sin None rule", lambda P, s, x: np.sum(P.shifted_sin(s, x)), (0.4, X3), (0, 1)),
    ("product argnums", lambda P, a, x: np.sum(np.sin(P.product(a, x))), (1.3, X3), (0, 1)),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize("name, fun, args, argnum", CASES, ids=IDS)
def test_grad_matches_autograd(name, fun, args, argnum):
    value, grads = adjoint.value_and_grad(lambda *a: fun(AD, *a), argnum)(*args)
    ag_value, ag_grads = autograd.value_and_grad(lambda *a: fun(AG, *a), argnum)(*args)
    assert_allclose(value, ag_value, **TOL)
    for g, ag in zip(*((grads, ag_grads) if isinstance(argnum, tuple) else ((grads,), (ag_grads,)))):
        assert numpy.shape(g) == numpy.shape(ag)
        assert_allclose(g, ag, **TOL)


JVP_CASES = [(n, f, a, k) for n, f, a, k in CASES if not isinstance(k, tuple)] + [
    ("weighted_total vector out", lambda P, a: P.weighted_total(a, 2.0 * a) * V + P.weighted_total(a), (X3,), 0),
    ("outer_scale vector out", lambda P, x: P.outer_scale(2.0, x) + P.outer_scale(x, x), (X3,), 0),
    ("shifted_sin vector out", lambda P, x: P.shifted_sin(0.3, x), (X3,), 0),
    ("logsumexp vector out", lambda P, x: P.logsumexp(x, axis=1), (X34,), 0),
]


@pytest.mark.parametrize("name, fun, args, argnum", JVP_CASES, ids=[c[0] for c in JVP_CASES])
def test_jvp_matches_autograd(name, fun, args, argnum):
    tangent = _normal(numpy.shape(args[argnum]), 7)
    tangent = tangent if numpy.ndim(args[argnum]) else float(tangent)
    value, out = adjoint.jvp(lambda *a: fun(AD, *a), argnum)(*args, tangent)
    ag_value, ag_out = autograd.make_jvp(lambda *a: fun(AG, *a), argnum)(*args)(tangent)
    assert_allclose(value, ag_value, **TOL)
    assert numpy.shape(out) == numpy.shape(ag_out)
    assert_allclose(out, ag_out, **TOL)


# --- the wrapper -------------------------------------------------------------------------

def test_plain_call_runs_f():
    x = numpy.array([[0.0, 1.0], [2.0, 3.0]])
    assert_allclose(AD.logsumexp(x), numpy.log(numpy.sum(numpy.exp(x))), **TOL)
    assert_allclose(AD.logsumexp(x, axis=0), numpy.log(numpy.sum(numpy.exp(x), axis=0)), **TOL)
    assert AD.power(2.0, 3.0) == 8.0
    assert AD.weighted_total(1.0, 2.0, scale=3.0) == 15.0


def test_wrapper_keeps_name_and_registers_under_module_and_qualname():
    assert AD.logsumexp.__name__ == "logsumexp" and AD.logsumexp.fun.__name__ == "logsumexp"
    name = f"user:{__name__}.define.<locals>.logsumexp"
    assert AD.logsumexp.primitive.name == name
    assert PRIMITIVES[name] is AD.logsumexp.primitive


def test_redefining_replaces_the_registered_primitive():
    wrappers = []
    for scale in (1.0, 10.0):  # the same definition run twice, as a notebook cell
        @adx.primitive
        def redefined(x):
            return 2.0 * x

        adx.defvjp(redefined, lambda ans, x, scale=scale: lambda g: scale * g)
        wrappers.append(redefined)
    first, second = wrappers
    assert first.primitive.name == second.primitive.name
    assert PRIMITIVES[second.primitive.name] is second.primitive
    assert adjoint.grad(second)(1.0) == 10.0
    assert adjoint.grad(first)(1.0) == 1.0  # an old wrapper keeps its own rules


def test_keyword_argument_traced_is_an_error():
    @adx.primitive
    def keyword_scaled(x, scale=1.0):
        return scale * x

    adx.defvjp(keyword_scaled, lambda ans, x, scale=1.0: lambda g: scale * g)
    with pytest.raises(InvalidArgumentError, match="keyword argument 'scale'.*keyword_scaled"):
        adjoint.grad(lambda s: keyword_scaled(1.0, scale=s))(2.0)


def test_defvjp_of_a_plain_function_is_an_error():
    with pytest.raises(InvalidArgumentError, match="decorate the function with adjoint.extend.primitive"):
        adx.defvjp(numpy.sin, lambda ans, x: lambda g: g)


def test_argnums_and_rules_must_match():
    @adx.primitive
    def mismatched(x, y):
        return x * y

    with pytest.raises(InvalidArgumentError, match="2 rules for argnums=\\(0,\\)"):
        adx.defvjp(mismatched, lambda ans, x, y: lambda g: g, None, argnums=[0])


# --- shape checks ------------------------------------------------------------------------

def _wrong_shape_primitives():
    @adx.primitive
    def wrong_vjp_shape(x, y):
        return x * y

    # A cotangent for the scalar y left unsummed, as autograd would broadcast it silently.
    adx.defvjp(wrong_vjp_shape, lambda ans, x, y: lambda g: g * y, lambda ans, x, y: lambda g: g * x)
    adx.defjvp(wrong_vjp_shape, lambda g, ans, x, y: numpy.sum(g * y), lambda g, ans, x, y: g * x)
    return wrong_vjp_shape


WRONG = _wrong_shape_primitives()
WRONG_SHAPE_CASES = [
    ("vjp scalar argument", lambda: adjoint.grad(lambda y: numpy.sum(WRONG(X3, y)))(2.0),
     r"VJP of primitive '.*wrong_vjp_shape' for argument 1 returned a cotangent of shape \(3,\), but argument 1 has shape \(\)"),
    ("jvp summed tangent", lambda: adjoint.jvp(lambda x: WRONG(x, 2.0))(X3, numpy.ones(3)),
     r"JVP of primitive '.*wrong_vjp_shape' for argument 0 returned a tangent of shape \(\), but the result has shape \(3,\)"),
]


@pytest.mark.parametrize("name, call, message", WRONG_SHAPE_CASES, ids=[c[0] for c in WRONG_SHAPE_CASES])
def test_wrong_shape_rule_is_an_error(name, call, message):
    with pytest.raises(InvalidArgumentError, match=message):
        call()


def test_right_shapes_of_the_same_rules_pass():
    # the rules above are right where nothing is broadcast: x and y of the same shape
    g = adjoint.grad(lambda y: numpy.sum(WRONG(X3, y)))(W3)
    assert_allclose(g, X3, **TOL)


def test_none_cotangent_is_an_error():
    @adx.primitive
    def returns_none(x):
        return 2.0 * x

    adx.defvjp(returns_none, lambda ans, x: lambda g: None)
    with pytest.raises(InvalidArgumentError, match="returns_none' for argument 0 returned None"):
        adjoint.grad(returns_none)(1.0)


# --- missing rules -----------------------------------------------------------------------

def _missing_rule_primitive():
    @adx.primitive
    def half_ruled(x, y):
        return x * numpy.sin(y)

    adx.defvjp(half_ruled, lambda ans, x, y: lambda g: g * numpy.sin(y))
    adx.defjvp(half_ruled, lambda g, ans, x, y: g * numpy.sin(y))
    return half_ruled


HALF = _missing_rule_primitive()
MISSING_CASES = [
    ("vjp argument 1", lambda: adjoint.grad(HALF, argnum=1)(1.0, 2.0), "VJP rule for argument 1"),
    ("jvp argument 1", lambda: adjoint.jvp(HALF, argnum=1)(1.0, 2.0, 1.0), "JVP rule for argument 1"),
]


@pytest.mark.parametrize("name, call, message", MISSING_CASES, ids=[c[0] for c in MISSING_CASES])
def test_missing_rule_names_op_and_argument(name, call, message):
    with pytest.raises(MissingRuleError, match=f"primitive '.*half_ruled' has no {message}"):
        call()


def test_argument_with_a_rule_still_differentiates():
    assert_allclose(adjoint.grad(HALF)(1.0, 2.0), numpy.sin(2.0), **TOL)


def test_no_rules_at_all():
    @adx.primitive
    def ruleless(x):
        return 2.0 * x

    assert ruleless(1.0) == 2.0
    with pytest.raises(MissingRuleError, match="ruleless' has no VJP rule for argument 0"):
        adjoint.grad(ruleless)(1.0)


# --- notrace_primitive -------------------------------------------------------------------

def test_notrace_primitive_matches_autograd():
    def count_positive(x):
        return numpy.sum(x > 0)

    ad_count, ag_count = adx.notrace_primitive(count_positive), agx.notrace_primitive(count_positive)
    x = numpy.array([1.0, -2.0, 3.0])
    g = adjoint.grad(lambda x: ad_count(x) * np.sum(x ** 2))(x)
    assert_allclose(g, autograd.grad(lambda x: ag_count(x) * np.sum(x ** 2))(x), **TOL)
    assert ad_count(x) == 2


# --- compiled plans ----------------------------------------------------------------------

def test_compiled_plan_replays_a_user_primitive():
    fun = lambda x: AD.logsumexp(np.sin(x), axis=1) @ V  # noqa: E731
    plan = adjoint.compile(fun, X34)
    value, g = plan.value_and_grad(X34 + 1.0)
    ag_value, ag_g = autograd.value_and_grad(lambda x: AG.logsumexp(np.sin(x), axis=1) @ V)(X34 + 1.0)
    assert_allclose(value, ag_value, **TOL)
    assert_allclose(g, ag_g, **TOL)


# --- nested derivatives ------------------------------------------------------------------

NESTED_CASES = [
    ("logsumexp of s v", lambda P, s: P.logsumexp(s * V), 0.7),
    ("power, rule calls the primitive", lambda P, s: np.sum(P.power(POS3, s)) + P.power(s, 3.0), 1.5),
    ("weighted_norm", lambda P, s: P.weighted_norm(V * s, W3), 0.8),
]


@pytest.mark.parametrize("name, fun, s", NESTED_CASES, ids=[c[0] for c in NESTED_CASES])
def test_second_derivative_matches_autograd(name, fun, s):
    second = adjoint.grad(adjoint.grad(lambda s: fun(AD, s)))(s)
    assert_allclose(second, autograd.grad(autograd.grad(lambda s: fun(AG, s)))(s), **TOL)


@pytest.mark.parametrize("fun, derivative, x", [
    (numpy.cbrt, lambda x: x ** (-2.0 / 3.0) / 3.0, numpy.array([0.5, 2.0, 3.0])),
    (scipy.special.dawsn, lambda x: 1.0 - 2.0 * x * scipy.special.dawsn(x), numpy.array([-0.5, 0.1, 1.2])),
])
def test_a_user_primitive_of_a_numpy_function_receives_plain_numpy_calls(fun, derivative, x):
    assert fun not in NUMPY_EQUIVALENTS  # no built-in rule: the case is the one this is for
    try:
        prim = adx.primitive(fun)
        adx.defvjp(prim, lambda ans, x: lambda g: g * derivative(x))
        # Plain numpy / scipy code, unchanged: the traced value dispatches to the primitive.
        g = adjoint.grad(lambda x: numpy.sum(fun(x) ** 2))(x)
        assert_allclose(g, 2 * fun(x) * derivative(x), rtol=1e-12)
    finally:
        NUMPY_EQUIVALENTS.pop(fun, None)
        PRIMITIVES.pop(prim.primitive.name, None)


@pytest.mark.parametrize("fun", [numpy.sin, scipy.special.erf])
def test_a_user_primitive_never_displaces_a_built_in_rule(fun):
    built_in = NUMPY_EQUIVALENTS[fun]
    wrapped = adx.primitive(fun)
    try:
        assert NUMPY_EQUIVALENTS[fun] is built_in
    finally:
        NUMPY_EQUIVALENTS[fun] = built_in
        PRIMITIVES.pop(wrapped.primitive.name, None)
