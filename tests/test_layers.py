"""The package's layers hold: the core imports neither lessons nor grading, nothing in coursekit loads a script
from examples/, and every module says in its docstring which layer it belongs to and who uses it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from coursekit.paths import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "coursekit"
MODULES = sorted(PACKAGE.rglob("*.py"))
CORE = sorted(PACKAGE.glob("*.py"))


def imports_of(path: Path) -> set[str]:
    """Every module name a file imports (absolute imports, and relative ones resolved inside coursekit)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module if node.level == 0 else f"coursekit.<relative>.{node.module}")
    return names


@pytest.mark.parametrize("module", CORE, ids=lambda p: p.name)
def test_core_modules_do_not_import_lessons_or_grading(module: Path):
    upward = {name for name in imports_of(module) if name.startswith(("coursekit.lessons", "coursekit.grading"))}
    assert upward == set(), f"{module.name} is core; it may not depend on {upward}"


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_no_module_loads_an_example_script(module: Path):
    source = module.read_text(encoding="utf-8").replace("EXAMPLES_DIR = ", "")  # paths.py only names the folder
    assert "EXAMPLES_DIR" not in source, (
        f"{module.name} loads code from examples/: move what it needs into the package"
    )
    assert not {name for name in imports_of(module) if name.split(".")[0] == "examples"}


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_module_docstring_names_its_layer(module: Path):
    docstring = ast.get_docstring(ast.parse(module.read_text(encoding="utf-8"))) or ""
    assert "layer" in docstring.lower(), f"{module.relative_to(PROJECT_ROOT)}: say which layer it is and who uses it"
