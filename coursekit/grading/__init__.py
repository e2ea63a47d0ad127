"""Instructor tools layer (Labs 1-9): grading of challenge hand-ins and making the hidden challenges.

``python -m coursekit.grading.grade`` grades, ``python -m coursekit.grading.challenge`` makes a lab's inputs and
hidden answers (one variant per student with ``--roster``); this package holds their parts:

* :mod:`coursekit.grading.submissions` opens a student's folder or zip without running, following or
  extracting anything unsafe (symlinks, oversized files, zip bombs, path traversal, nested zips).
* :mod:`coursekit.grading.checks` loads a lab's YAML spec (``coursekit/grading/specs/lab-N.yaml``) and runs its
  checks; every check type is declared once in its registry.
* :mod:`coursekit.grading.report` writes ``gradebook.csv``, ``checks.csv`` and ``feedback/<student>.md``.
"""
