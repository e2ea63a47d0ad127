"""Grading of challenge hand-ins: safe submission reading, spec-driven checks, gradebook and feedback.

``python -m coursekit.grading.grade`` is the command; this package holds its parts:

* :mod:`coursekit.grading.submissions` opens a student's folder or zip without running, following or
  extracting anything unsafe (symlinks, oversized files, zip bombs, path traversal, nested zips).
* :mod:`coursekit.grading.checks` loads a lab's YAML spec (``coursekit/grading/specs/lab-N.yaml``) and runs its checks.
* :mod:`coursekit.grading.report` writes ``gradebook.csv``, ``checks.csv`` and ``feedback/<student>.md``.
"""
