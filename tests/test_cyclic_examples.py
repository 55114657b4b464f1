"""The numbers the cyclic examples print, checked (on their reduced sizes)."""

import importlib.util
import pathlib

import numpy as np

EXAMPLES = pathlib.Path(__file__).parent.parent / "examples"


def run(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main(small=True)


def test_cycle_scalar_exact_methods_reach_the_analytic_gradient():
    out = run("cycle_scalar")
    for (forward, method), error in out["errors"].items():
        if method == "neumann":
            assert 1e-6 < error < 1e-3  # ten trips around the cycle, contraction ≈ 0.46
        elif method == "jfb":
            assert error > 0.1  # drops the path through f: dz/dx = 1 instead of 0.68
        else:  # exact to the tolerance rtol = 1e-10, of the forward solve too
            assert error < 1e-9, (forward, method)


def test_pagerank_methods_agree_and_match_finite_differences():
    out = run("pagerank")
    results = out["results"]
    for method in ("gmres", "fixed_point"):
        for x in ("v", "w"):
            a, b = results[method].gradient[x], results["direct"].gradient[x]
            assert np.max(np.abs(a - b)) <= 1e-8 * np.max(np.abs(b))
    for *_, residual in out["rows"]:
        assert residual < 1e-9
    for name, *_, error in out["checks"]:
        assert error < 1e-6, name


def test_bratu_inverse_gradient_and_recovery():
    out = run("bratu_inverse")
    assert out["fd_error"] < 1e-6
    assert out["result"].success
    assert out["recovery"] < 0.3  # from 0.38 at the start, with 1 % noise and 64 sensors


def test_deq_layer_approximations_approach_the_exact_gradient():
    rows = {label: (cosine, error) for label, cosine, error, _ in run("deq_layer")}
    assert rows["gmres"][1] < 1e-8
    errors = [rows[f"neumann k={k}"][1] for k in (1, 2, 5, 10, 20)]
    assert errors == sorted(errors, reverse=True) and errors[-1] < 1e-6
    assert rows["jfb"][1] > errors[0]  # k = 0 is the crudest
    assert 0.8 < rows["jfb"][0] < 1.0
