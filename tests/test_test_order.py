"""The order ``make test`` runs its files in (the repository's root ``conftest.py``): longest first."""

from __future__ import annotations

import importlib.util
import json

from coursekit.paths import PROJECT_ROOT

spec = importlib.util.spec_from_file_location("root_conftest", PROJECT_ROOT / "conftest.py")
assert spec is not None and spec.loader is not None
order = importlib.util.module_from_spec(spec)
spec.loader.exec_module(order)


def test_producers_first_then_longest_then_unmeasured_in_collection_order():
    files = ["a.py", "b.ipynb", *order.FIRST, "c.py", "d.py"]
    seconds = {"b.ipynb": 5, "c.py": 90, order.FIRST[0]: 1}
    assert order.file_order(files, seconds) == [*order.FIRST, "c.py", "b.ipynb", "a.py", "d.py"]


def test_missing_or_broken_durations_leave_the_collection_order(tmp_path):
    assert order.read_durations(tmp_path / "none.json") == {}
    broken = tmp_path / "broken.json"
    broken.write_text("[1, 2", encoding="utf-8")
    assert order.read_durations(broken) == {}
    assert order.file_order(["x.py", "y.py"], {}) == ["x.py", "y.py"]


def test_the_measured_files_exist_and_the_producers_are_measured():
    measured = json.loads(order.DURATIONS_FILE.read_text(encoding="utf-8"))
    missing = [name for name in measured if not (PROJECT_ROOT / name).is_file()]
    assert not missing, f"renamed or deleted: {missing}; run COURSE_RECORD_DURATIONS=1 make test"
    assert all(measured[name] > 60 for name in order.FIRST)  # they train runs that other files wait for


def test_file_of_strips_the_test_and_its_parameters():
    assert order.file_of("tests/test_x.py::test_y[a::b]") == "tests/test_x.py"
    assert order.file_of("notebooks/lab-1.ipynb::Cell 3") == "notebooks/lab-1.ipynb"
