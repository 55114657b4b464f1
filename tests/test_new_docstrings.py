"""The examples in the docstrings of the performance modules (issue 5) run as doctests."""

import doctest
import importlib

import pytest

MODULES = [
    "adjoint.plan", "adjoint.plan_arguments", "adjoint.plan_backend", "adjoint.replay",
    "adjoint.scalar_engine", "adjoint.gc_pause", "graphs.guards", "graphs.tape",
    "graphs.rules.broadcasting", "solvers.triangular",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
