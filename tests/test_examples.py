"""Every example runs, on reduced sizes, so that none of them rots."""

import importlib.util
import pathlib

import pytest

EXAMPLES = sorted((pathlib.Path(__file__).parent.parent / "examples").glob("*.py"))


def load(path):
    spec = importlib.util.spec_from_file_location(f"example_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(path, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that write pictures write them here
    load(path).main(small=True)
    assert capsys.readouterr().out.strip(), f"{path.name} printed nothing"


def test_quickstart_agrees_with_autograd():
    _, rows = load(EXAMPLES[[p.stem for p in EXAMPLES].index("quickstart")]).main(small=True)
    reference = rows[-1][1]
    for _, g in rows:
        assert abs(g - reference).max() < 1e-12
