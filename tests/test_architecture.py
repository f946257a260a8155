"""Imports flow one way: runs -> model -> (agents, policies, metrics) -> environment; only the model writes its state."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "symbiosim"
LAYER = {"environment": 0, "metrics": 1, "agents": 1, "policies": 1, "accounting": 2, "record": 2, "reach": 2, "model": 2,
         "runs": 3}
# metrics are pure and must not reach the model or agents; agents/policies may not import each other
FORBIDDEN = {"metrics": {"model", "agents", "policies", "runs"}, "agents": {"policies"}, "policies": {"agents"}}


def _layer_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "symbiosim" or len(parts) < 2:
        return None
    return parts[1]


def test_imports_flow_one_way():
    """No module imports a higher layer, not even for annotations (``if TYPE_CHECKING:`` included)."""
    problems = []
    for path in PACKAGE.rglob("*.py"):
        own = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
        if own not in LAYER:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
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


MODEL_NAMES = {"model", "m", "app"}  # what code outside model.py calls a SymbiosisModel


def _writes_to_the_model(tree: ast.AST) -> list[int]:
    """Lines that assign an attribute of a model directly: ``model.x = ...``, ``self.model.x += ...``."""
    lines = []
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, ast.AugAssign | ast.AnnAssign) else []  # fmt: skip
        for target in targets:
            if not isinstance(target, ast.Attribute):
                continue
            owner = target.value
            named = isinstance(owner, ast.Name) and owner.id in MODEL_NAMES
            of_self = isinstance(owner, ast.Attribute) and owner.attr == "model"
            if named or of_self:
                lines.append(node.lineno)
    return lines


def test_only_the_model_writes_its_own_attributes():
    """The model's state changes through its groups (state, levers, market, accounts, record), never by assignment from outside."""
    problems = [
        f"{path.relative_to(PACKAGE)}:{line}"
        for path in PACKAGE.rglob("*.py")
        if path.name != "model.py"
        for line in _writes_to_the_model(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert problems == []


def test_the_rule_finds_what_it_forbids():
    code = "model.limit_factor = 1\nself.model.x += 2\nmodel.state.output[0] = 3\nagent.model = None\n"
    assert _writes_to_the_model(ast.parse(code)) == [1, 2]


def test_model_py_is_short_and_no_module_is_long():
    lengths = {path: len(path.read_text(encoding="utf-8").splitlines()) for path in PACKAGE.rglob("*.py")}
    assert lengths[PACKAGE / "model.py"] < 400
    assert [str(p.relative_to(PACKAGE)) for p, n in lengths.items() if n > 460] == []


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
