"""Compiled plans under hostile use: static arguments changed in place, one plan shared by threads."""

import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from plan_cases import vector_code, wide_program

import adjoint
import adjoint.numpy as anp
from adjoint.errors import InvalidArgumentError

X = np.array([1.0, 1.0, 1.0])


def weighted(x, w=None):
    return anp.sum(x * np.array(w, dtype=float))


def weighted_positional(x, w):
    return anp.sum(x * np.array(w, dtype=float))


def weighted_dict(x, w=None):
    return anp.sum(x * np.array([w["a"], w["b"], w["c"]], dtype=float))


def picked(x, idx):
    return anp.sum(x[idx] * anp.arange(1.0, 3.0))


def signed(x, s=0.0):
    return anp.sum(x) * np.copysign(1.0, s)


def _set_first(container, value):
    container[0] = value


# name: (fun, static value at compile (made afresh per test), how it is changed, how it is passed).
# "mutate": changed in place, then the same object is passed again. "fresh copy": the
# original is changed in place after compiling, then an equal copy of the value the trace saw is
# passed: a trace that kept a reference to the original would replay with the changed one.
STALE = {
    "list keyword, changed in place": (weighted, lambda: [1, 2, 3], lambda w: _set_first(w, 100), "keyword"),
    "dict keyword, changed in place": (weighted_dict, lambda: {"a": 1, "b": 2, "c": 3},
                                       lambda w: w.update(a=100), "keyword"),
    "nested list keyword, changed in place": (lambda x, w=None: weighted(x, w[0]), lambda: [[1, 2, 3]],
                                              lambda w: _set_first(w[0], 100), "keyword"),
    "int array keyword, changed in place": (weighted, lambda: np.array([1, 2, 3]), lambda w: _set_first(w, 100), "keyword"),
    "list positional, changed in place": (weighted_positional, lambda: [1, 2, 3], lambda w: _set_first(w, 100),
                                          "positional"),
    "index array, original changed after compiling": (picked, lambda: np.array([0, 1]), lambda i: _set_first(i, 2),
                                                      "fresh copy"),
    "-0.0 keyword after 0.0": (signed, lambda: 0.0, None, "keyword"),
}


@pytest.mark.parametrize("engine", ["auto", "tape"])
@pytest.mark.parametrize("name", list(STALE))
def test_a_changed_static_argument_is_never_replayed_stale(name, engine):
    fun, make_static, change, passing = STALE[name]
    static = make_static()
    x = X * 2.0
    if passing in ("positional", "fresh copy"):
        plan = adjoint.compile(fun, X, static, engine=engine)
    else:
        plan = adjoint.compile(fun, X, engine=engine, **{fun.__code__.co_varnames[1]: static})
    if passing == "fresh copy":
        before = static.copy()
        change(static)
        static = before
    elif change is None:
        static = -0.0
    else:
        change(static)

    if passing == "keyword":
        kwargs, args = {fun.__code__.co_varnames[1]: static}, (x,)
    else:
        kwargs, args = {}, (x, static)
    value, g = plan.value_and_grad(*args, **kwargs)
    ref_value, ref_g = adjoint.value_and_grad(fun)(*args, **kwargs)
    assert value == ref_value and np.array_equal(g, ref_g), (value, g, ref_value, ref_g)
    # Only a changed value recompiles: the copy of the value the trace saw replays it.
    assert plan.compiles == (1 if passing == "fresh copy" else 2)


class Config:
    def __init__(self):
        self.w = [1, 2, 3]


def _uses_config(x, cfg):
    return anp.sum(x * np.array(cfg.w, dtype=float))


def _uses_config_keyword(x, cfg=None):
    return _uses_config(x, cfg)


def _uses_configs(x, cfgs):
    return _uses_config(x, cfgs[1])


# name: (fun, positional arguments after x, keyword arguments, text the error must name).
UNKEYABLE = {
    "object positional": (_uses_config, (Config(),), {}, "argument 1: "),
    "object keyword": (_uses_config_keyword, (), {"cfg": Config()}, "keyword argument 'cfg': "),
    "object inside a list": (_uses_configs, ([2.0, Config()],), {}, "argument 1 (leaf 1): "),
    "object inside a keyword dict": (lambda x, cfgs=None: _uses_configs(x, cfgs["c"]), (), {"cfgs": {"c": [1, Config()]}},
                                     "keyword argument 'cfgs' (leaf 1): "),
    "random generator": (lambda x, rng: anp.sum(x * rng.uniform()), (np.random.default_rng(0),), {},
                         "argument 1: "),
}


@pytest.mark.parametrize("name", list(UNKEYABLE))
def test_an_object_with_no_value_to_compare_is_refused(name):
    fun, args, kwargs, where = UNKEYABLE[name]
    with pytest.raises(InvalidArgumentError, match="cannot key a .* by value") as info:
        adjoint.compile(fun, X, *args, **kwargs)
    assert str(info.value).startswith(where) and "adjoint.grad" in str(info.value)


@pytest.mark.parametrize("static", [anp.tanh, np.float32(2.0), "mean", None, frozenset({1, 2}), 3 + 1j])
def test_static_arguments_with_a_value_or_functions_still_compile_once(static):
    def fun(x, s):
        return anp.sum(anp.sin(x)) * (2.0 if s is None else 1.0)

    plan = adjoint.compile(fun, X, static)
    for scale in (2.0, 3.0):
        assert np.array_equal(plan(X * scale, static), adjoint.grad(fun)(X * scale, static))
    assert plan.compiles == 1


def test_a_plan_called_from_inside_its_own_function_is_refused():
    plan = None

    def fun(x):
        if plan is not None and np.ndim(x) == 0:
            plan(np.ones(2))  # a replay in the middle of this call's trace
        return anp.sum(x * x)

    plan = adjoint.compile(fun, np.ones(2))
    with pytest.raises(InvalidArgumentError, match="inside its own function"):
        plan(0.5)  # a new key: traces fun, which calls the plan
    assert np.array_equal(plan(np.ones(2) * 3), [6.0, 6.0])  # and the plan is still usable


# name: (fun, arguments at call k, engine whose replay uses buffers kept between calls).
SHARED = {
    "array program": (vector_code, lambda r: (r.standard_normal((30, 40)), r.standard_normal(40)), "tape"),
    "scalar-engine program": (wide_program, lambda r: ([float(v) for v in r.uniform(-1, 1, 6)],), "scalar"),
}


@pytest.fixture
def frequent_thread_switches():
    # Switch threads every microsecond, not every 5 ms: races show within a few hundred calls.
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


@pytest.mark.parametrize("name", list(SHARED))
def test_one_plan_shared_by_eight_threads_gives_the_serial_results(name, frequent_thread_switches):
    fun, make_args, engine = SHARED[name]
    rng = np.random.default_rng(3)
    calls = [make_args(rng) for _ in range(400)]
    plan = adjoint.compile(fun, *calls[0], engine=engine)
    serial = [plan.value_and_grad(*args) for args in calls]
    with ThreadPoolExecutor(8) as pool:
        shared = list(pool.map(lambda args: plan.value_and_grad(*args), calls))
    wrong = [k for k, ((v, g), (w, h)) in enumerate(zip(serial, shared))
             if not (v == w and np.array_equal(g, h))]
    assert not wrong, f"{len(wrong)} of {len(calls)} concurrent calls differ from the serial ones"
    assert plan.engine == engine and plan.compiles == 1 and plan.retraces == 0


class FakeCupyArray:
    """Not a numpy array, but its type's module says cupy: what a real cupy array looks like to a plan."""

    __module__ = "cupy"
    __hash__ = None  # elementwise ==, as cupy's

    def __init__(self, data):
        self.data = np.array(data)
        self.dtype, self.shape = self.data.dtype, self.data.shape

    def get(self):
        return self.data.copy()

    def copy(self):
        return FakeCupyArray(self.data)


def test_gpu_arrays_are_dynamic_floats_or_keyed_by_their_bytes():
    from adjoint.plans.arguments import _is_dynamic_float, _is_number_leaf, snapshot, static_key

    assert _is_dynamic_float(FakeCupyArray([1.0, 2.0])) and _is_number_leaf(FakeCupyArray([1.0]))
    indices = FakeCupyArray([0, 1])
    assert not _is_dynamic_float(indices)
    assert static_key(indices) == static_key(FakeCupyArray([0, 1]))  # by value, not identity
    copy = snapshot(indices)
    indices.data[0] = 2
    assert static_key(indices) != static_key(copy)
