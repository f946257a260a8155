"""Imports flow one way: runs -> model -> (agents, policies, metrics) -> environment."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "symbiosim"
LAYER = {"environment": 0, "metrics": 1, "agents": 1, "policies": 1, "accounting": 2, "record": 2, "model": 2, "runs": 3}
# metrics are pure and must not reach the model or agents; agents/policies may not import each other
FORBIDDEN = {"metrics": {"model", "agents", "policies", "runs"}, "agents": {"policies"}, "policies": {"agents"}}


def _layer_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "symbiosim" or len(parts) < 2:
        return None
    return parts[1]


def test_imports_flow_one_way():
    problems = []
    for path in PACKAGE.rglob("*.py"):
        own = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
        if own not in LAYER:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {
            id(inner)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
            for inner in ast.walk(node)
        }  # annotations only: no runtime dependency
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                target = _layer_of(name)
                if target is None or target == own:
                    continue
                if LAYER[target] > LAYER[own] or target in FORBIDDEN.get(own, set()):
                    problems.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert problems == []


def test_every_package_has_a_docstring_and_all():
    for init in PACKAGE.rglob("__init__.py"):
        tree = ast.parse(init.read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"{init} has no docstring"
        if init.parent != PACKAGE / "runs":
            assert "__all__" in init.read_text(encoding="utf-8"), f"{init} has no __all__"


def test_no_coefficient_table_without_sources():
    import pandas as pd

    for table in (PACKAGE / "environment" / "data").rglob("*.csv"):
        frame = pd.read_csv(table, dtype=str, keep_default_na=False)
        if (
            table.name in ("cities.csv", "facilities.csv", "capacities.csv", "urban_waste.csv")
            or table.parent.name == "catalog"
        ):
            assert "source" in frame.columns, f"{table} has no source column"
            assert (frame["source"].str.strip() != "").all(), f"{table} has a row without a source"


def test_bundled_facility_tables_are_what_the_build_script_makes(tmp_path):
    import subprocess
    import sys

    root = PACKAGE.parent
    subprocess.run(
        [sys.executable, str(root / "scripts" / "build_jjj_facilities.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    for name in ("facilities.csv", "capacities.csv"):
        assert (tmp_path / name).read_bytes() == (PACKAGE / "environment" / "data" / "jjj" / name).read_bytes()
