"""README.md's tables of what traces are the ones ``scripts/function_table.py`` generates now."""

import os
import runpy

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_readme_function_table_is_up_to_date():
    script = runpy.run_path(os.path.join(ROOT, "scripts", "function_table.py"))
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    begin, end = script["BEGIN"], script["END"]
    current = readme[readme.index(begin):readme.index(end) + len(end)]
    assert current == script["table"](), "README.md is stale: run python scripts/function_table.py --write"
