"""Every third-party module the course imports is pinned exactly in requirements.txt, and pyproject.toml declares
what the package itself imports: a fresh machine installs what the code needs, and nothing floats."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

from coursekit.paths import PROJECT_ROOT

# Modules of the course's own (tests/ helpers and the scripts' sibling files), never packages to install.
LOCAL_FOLDERS = ("tests", "examples/app")


def canonical(name: str) -> str:
    """PEP 503 normalisation: ``PyYAML`` and ``pyyaml``, ``huggingface_hub`` and ``huggingface-hub`` are one name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_modules(folders: list[str], root: Path = PROJECT_ROOT) -> set[str]:
    """Top-level names imported (absolutely) anywhere in the Python files below ``root/folder`` for each folder."""
    names: set[str] = set()
    for folder in folders:
        for path in (root / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names.add(node.module.split(".")[0])
    return names


def third_party(modules: set[str]) -> set[str]:
    """The distributions (canonical names) that provide the non-stdlib, non-course modules among ``modules``."""
    local = {path.stem for folder in LOCAL_FOLDERS for path in (PROJECT_ROOT / folder).glob("*.py")} | {"coursekit"}
    providers = importlib.metadata.packages_distributions()
    wanted = sorted(modules - set(sys.stdlib_module_names) - local - {"__future__"})
    missing = [module for module in wanted if module not in providers]
    assert not missing, f"imported but not installed: {missing}"
    return {canonical(providers[module][0]) for module in wanted}


def pinned() -> dict[str, str]:
    """``{canonical name: version}`` of every ``name==version`` line of requirements.txt."""
    lines = (PROJECT_ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    pins = [line.split("#")[0].strip() for line in lines]
    return {canonical(p.split("==")[0]): p.split("==")[1] for p in pins if "==" in p}


def test_every_imported_distribution_is_pinned_exactly():
    needed = third_party(imported_modules(["coursekit", "examples", "tests", "data"]))
    assert needed - pinned().keys() == set()


def test_pins_match_what_is_installed():
    wrong = {
        name: (version, importlib.metadata.version(name))
        for name, version in pinned().items()
        if importlib.metadata.version(name).split("+")[0] != version  # torch 2.13.0+cpu is the 2.13.0 pin
    }
    assert wrong == {}, "requirements.txt pin vs installed version; run `make install`"


def test_pyproject_declares_what_the_package_imports():
    declared = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    assert {canonical(name) for name in declared} == third_party(imported_modules(["coursekit"]))


def test_the_import_scan_sees_a_new_dependency(tmp_path: Path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "module.py").write_text("import numpy as np\nfrom yaml import safe_load\nimport json\n")
    (tmp_path / "pkg" / "other.py").write_text("from . import module\nfrom sklearn.metrics import f1_score\n")
    assert imported_modules(["pkg"], root=tmp_path) == {"numpy", "yaml", "json", "sklearn"}
    assert third_party(imported_modules(["pkg"], root=tmp_path)) == {"numpy", "pyyaml", "scikit-learn"}
