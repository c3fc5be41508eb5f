"""Imports of our own code inside functions are refused outside the short list documented in
docs/architecture.md ("Imports inside functions"), AppConfig.ready() aside (#22)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "equimentor"


def _module_name(path: Path, package: Path) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _absolute(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")[: -node.level]
    return ".".join([*base, node.module] if node.module else base)


def imports_inside_functions(package: Path = PACKAGE) -> set[tuple[str, str]]:
    """(importing module, imported module of ours) for every import inside a function, except in
    an app's apps.py."""
    found = set()
    for path in package.rglob("*.py"):
        if "migrations" in path.parts or path.name == "apps.py":
            continue
        module = _module_name(path, package)
        for fn in ast.walk(ast.parse(path.read_text())):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.ImportFrom):
                    names = [_absolute(module, node)]
                elif isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                else:
                    continue
                for name in names:
                    if name == "equimentor" or name.startswith("equimentor."):
                        found.add((module, name))
    return found


def documented() -> set[tuple[str, str]]:
    text = (ROOT / "docs" / "architecture.md").read_text()
    section = text.split("### Imports inside functions", 1)[1].split("\n## ", 1)[0]
    allowed = set()
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`equimentor"):
            continue
        for imported in re.findall(r"`(equimentor[\w.]*)`", cells[1]):
            allowed.add((cells[0].strip("`"), imported))
    return allowed


def test_every_import_inside_a_function_is_documented():
    found, allowed = imports_inside_functions(), documented()
    assert len(allowed) >= 5  # the table was read (9 rows today)
    undocumented = sorted(found - allowed)
    assert not undocumented, (
        "imports inside functions not in docs/architecture.md's list (move them to the top of "
        f"the module, or document why they cannot be): {undocumented}"
    )
    stale = sorted(allowed - found)
    assert not stale, f"rows of docs/architecture.md's list that no longer happen: {stale}"


def test_the_walk_sees_a_new_import_inside_a_function(tmp_path):
    """The check can fail: a function importing another app is found, one in apps.py is not."""
    package = tmp_path / "equimentor"
    (package / "portal").mkdir(parents=True)
    (package / "portal" / "views.py").write_text(
        "def f():\n    from equimentor.matching import services\n    from ..core import audit\n"
    )
    (package / "portal" / "apps.py").write_text("def ready():\n    from . import checks\n")
    assert imports_inside_functions(package) == {
        ("equimentor.portal.views", "equimentor.matching"),
        ("equimentor.portal.views", "equimentor.core"),
    }


def imports_of_test_modules(tests: Path = ROOT / "tests") -> set[tuple[str, str]]:
    """(test module, what it imports) for every import, at any depth, of another test module
    (``test_*``) or of a benchmark script: shared setup lives in tests/factories.py and the
    tests/*_setup.py, *_data.py and *_files.py modules, which benchmarks may use in turn."""
    found = set()
    for path in tests.rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                parts = name.split(".")
                if parts[0] == "benchmarks" or any(p.startswith("test_") for p in parts[1:]):
                    found.add((path.relative_to(tests).as_posix(), name))
    return found


def test_no_test_module_imports_another_or_a_benchmark():
    assert sorted(imports_of_test_modules()) == []


def test_the_test_import_check_can_fail(tmp_path):
    (tmp_path / "test_a.py").write_text(
        "from tests import factories\nfrom tests.test_b import helper\n"
        "def test():\n    from benchmarks import bench_x\n"
    )
    assert imports_of_test_modules(tmp_path) == {
        ("test_a.py", "tests.test_b"),
        ("test_a.py", "tests.test_b.helper"),
        ("test_a.py", "benchmarks"),
        ("test_a.py", "benchmarks.bench_x"),
    }
