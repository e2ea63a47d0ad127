"""Record the terminal transcripts that the lab texts quote: ``make transcripts`` (or ``python tests/transcripts.py
NAME ...`` for some of them).

Each transcript ``labs/transcripts/NAME.txt`` holds the commands of one lab exercise, each line ``$ python ...``
followed by what the command printed (stdout and stderr, as a terminal shows them). ``tests/test_docs.py`` checks
that every ```text block marked ``<!-- output: labs/transcripts/NAME.txt -->`` quotes it, so after a change to a
script: run this, commit the transcripts, and copy the new output into the lab text.

The checkout's own path is written as ``/path/to/course``, so a transcript is the same on every machine. Folders a
command refuses to replace are set aside (renamed with a ``.old-N`` suffix), never deleted.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from coursekit.fileio import atomic_write_text
from coursekit.paths import OUTPUTS_DIR, PROJECT_ROOT

TRANSCRIPTS = PROJECT_ROOT / "labs" / "transcripts"
PLACEHOLDER_ROOT = "/path/to/course"
LAB4_RUN = "outputs/blankets_creek-minilm-l6"
REGISTRY = "outputs/registry/trail-status"
# A tqdm bar ("  4%|▍   | 2/54 [00:16<06:57,  8.02s/it]"), a bare cursor-up code, or a line of only spaces.
PROGRESS_LINE = re.compile(r"^\s*(\x1b\[A|\[A)?\s*(\d+%\|.*|)$")
CURSOR_UP = re.compile(r"^(\x1b)?\[A")
OFFLINE_HUB = {"HF_TOKEN": "hf_not_a_real_token", "HF_ENDPOINT": "http://127.0.0.1:9"}  # a closed port: no network

# Lab 10: launchers run as modules of this interpreter (`python -m torch.distributed.run` is `torchrun`), and the small
# subset its speed comparison trains on (160 posts, one epoch: a speed measurement, not an accuracy one).
TORCHRUN_2 = ("-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2")
ACCELERATE_LAUNCH = ("-m", "accelerate.commands.launch", "--num_machines", "1", "--mixed_precision", "no")
ACCELERATE_LAUNCH += ("--dynamo_backend", "no")
LAB10_SMALL = ("--max-train-rows", "160", "--epochs", "1", "--overwrite")

Step = tuple[str, ...] | Callable[[], str | None]


def set_aside(relative: str) -> None:
    """Rename an existing output folder to a free ``.old-N`` sibling, so a recording never destroys a run."""
    path = PROJECT_ROOT / relative
    if path.exists():
        n = 1
        while path.with_name(f"{path.name}.old-{n}").exists():
            n += 1
        path.rename(path.with_name(f"{path.name}.old-{n}"))


def make_tampered_copy() -> None:
    """Lab 9 exercise 3: copy the published v1 and "improve" its accuracy in metrics.json."""
    set_aside("outputs/tampered")
    shutil.copytree(PROJECT_ROOT / REGISTRY / "v1", PROJECT_ROOT / "outputs/tampered")
    metrics_file = PROJECT_ROOT / "outputs/tampered/metrics.json"
    metrics = json.loads(metrics_file.read_text(encoding="utf-8"))
    metrics["test"]["accuracy"] = 0.99
    metrics_file.write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")


LAB11_RUN = "outputs/lab-11/trail-minilm"  # a copy of the Lab 4 run: the export writes into its folder


def copy_run(relative: str) -> None:
    """Lab 11: copy the Lab 4 run to ``relative`` (an earlier copy is set aside), so the export leaves it alone."""
    set_aside(relative)
    shutil.copytree(PROJECT_ROOT / LAB4_RUN, PROJECT_ROOT / relative)


SERVICE_PORT = 8000  # the lab's commands use the default port
SERVICE_REQUESTS = [  # the lab's curl commands, as (method, path, JSON body or None)
    ("GET", "/health", None),
    ("GET", "/model", None),
    ("POST", "/predict", '{"texts": ["Blankets is open!", "Closed after the storm."]}'),
    ("POST", "/predict", '{"texts": ""}'),
]


def as_curl(method: str, path: str, body: str | None) -> str:
    """The curl command a student types for one request (what the transcript shows)."""
    if body is None:
        return f"curl localhost:{SERVICE_PORT}{path}"
    return f"curl -X {method} localhost:{SERVICE_PORT}{path} -H 'Content-Type: application/json' -d '{body}'"


def ask(method: str, path: str, body: str | None) -> str:
    """One request to the running service; the response body as curl prints it (errors included)."""
    url = f"http://127.0.0.1:{SERVICE_PORT}{path}"
    data = body.encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.read().decode()
    except urllib.error.HTTPError as error:
        return error.read().decode()


def serve_and_ask() -> str:
    """Lab 8 exercise 2: start the service, send the four curl requests of the lab, stop it; its log, then answers."""
    args = ("examples/serving/service.py", "--model-dir", LAB4_RUN, "--port", str(SERVICE_PORT))
    env = {**os.environ, "TRANSFORMERS_VERBOSITY": "error"}
    server = subprocess.Popen(
        [sys.executable, *args], cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    answers: list[str] = []
    try:
        deadline = time.monotonic() + 300
        while server.poll() is None and time.monotonic() < deadline:
            try:
                ask("GET", "/health", None)
            except OSError:  # not listening yet: the model is still loading
                time.sleep(1)
                continue
            answers = [ask(*request) for request in SERVICE_REQUESTS]
            break
    finally:
        server.terminate()
        log = server.communicate(timeout=60)[0]
    if not answers:
        raise SystemExit(f"error: the service did not answer; its output:\n{log}")
    log = re.sub(r"server process \[\d+\]", "server process [PID]", log)
    log = re.sub(r"127\.0\.0\.1:\d+ - ", "127.0.0.1:PORT - ", log)
    asked = "".join(f"$ {as_curl(*request)}\n{answer}\n" for request, answer in zip(SERVICE_REQUESTS, answers))
    return f"$ python {shlex.join(args)}\n{log}{asked}"


def compare_email_max_length() -> str:
    """Lab 6 exercise 3: the email run at max_length 96 and 128 (same split, seed and rows), paired on the test emails.

    Both runs come from the run cache: the notebook's (128) is reused, the 96 one is trained once if missing.
    """
    from dataclasses import replace

    import pandas as pd
    from scipy.stats import binomtest
    from transformers import AutoTokenizer

    from coursekit.data import load_labelled_texts
    from coursekit.metrics import format_accuracy
    from coursekit.paths import DATA_DIR
    from coursekit.run_cache import find_or_train
    from coursekit.training import TrainConfig, split_dataset

    base = TrainConfig(
        data=DATA_DIR / "email_triage.csv",
        text_column="text",
        label_column="label",
        epochs=2,
        max_train_rows=420,
        no_progress=True,
    )
    runs = {96: OUTPUTS_DIR / "lab-6" / "email-minilm-l6-96", 128: OUTPUTS_DIR / "lab-6" / "email-minilm-l6"}
    right, tokens = {}, {}
    splits = split_dataset(
        load_labelled_texts(base.data, "text", "label"), base.test_size, base.validation_size, base.seed
    )
    train_texts = list(splits["train"].shuffle(seed=base.seed).select(range(420))["text"])
    for max_length, output in runs.items():
        run = find_or_train(replace(base, max_length=max_length, output=output))
        predictions = pd.read_csv(run / "test_predictions.csv", keep_default_na=False)
        right[max_length] = (predictions["predicted_label"] == predictions["true_label"]).tolist()
        tokenizer = AutoTokenizer.from_pretrained(run)
        tokens[max_length] = sum(
            len(ids) for ids in tokenizer(train_texts, truncation=True, max_length=max_length)["input_ids"]
        )
    lengths = [len(ids) for ids in tokenizer(predictions["text"].tolist())["input_ids"]]
    n, long = len(lengths), [length > 96 for length in lengths]
    only = {m: sum(a and not b for a, b in zip(right[m], right[other])) for m, other in ((96, 128), (128, 96))}
    p_value = binomtest(only[128], only[96] + only[128], 0.5).pvalue if only[96] + only[128] else 1.0
    lines = [f"Lab 6 recipe (minilm-l6, 2 epochs, 420 training emails, seed 42), the same {n} test emails:"]
    lines += [
        f"max_length {m:>3}: training tokens {tokens[m]:,}  test accuracy {format_accuracy(sum(right[m]), n)}"
        for m in runs
    ]
    lines.append(f"right only at 96: {only[96]}, right only at 128: {only[128]} (paired sign test p = {p_value:.2f})")
    lines.append(
        f"the {sum(long)} test emails longer than 96 tokens: "
        + ", ".join(f"{sum(r for r, cut in zip(right[m], long) if cut)} right at {m}" for m in runs)
    )
    return "\n".join(lines) + "\n"


# name -> the steps of one exercise: a command (run as `python ARGS...` from the project root, optionally with extra
# environment variables as a trailing dict) or a Python step (its returned text, if any, goes into the transcript).
TRANSCRIPT_STEPS: dict[str, list[Step | tuple[tuple[str, ...], dict[str, str]]]] = {
    "lab-2-token-lengths": [("examples/tokenization/token_lengths.py", "--max-length", "64")],
    "lab-3-augment": [
        ("examples/augmentation/augment_text.py", "Rope Mill is not closed, enjoy the tacky dirt!", "--n", "5")
        + ("--seed", "1")
    ],
    "lab-3-imbalance": [
        ("examples/imbalance/train_imbalanced.py", "--remedy", remedy)
        for remedy in ("none", "class-weights", "oversample")
    ],
    "lab-4-make-train": [("examples/training/classifier.py", "--overwrite")],
    "lab-4-seed-spread": [(("examples/models/seed_spread.py",), {"OMP_NUM_THREADS": "1"})],
    "lab-4-token-lengths": [("examples/tokenization/token_lengths.py", "--max-length", "96")],
    "lab-5-max-length": [
        (
            ("examples/models/seed_spread.py", "--seeds", "42", "1", "--max-length", "64")
            + ("--output", "outputs/seed-spread-64"),
            {"OMP_NUM_THREADS": "1"},
        ),
        (("examples/models/seed_spread.py", "--seeds", "42", "1"), {"OMP_NUM_THREADS": "1"}),
    ],
    "lab-5-advanced-training": [
        (
            "examples/training/advanced_training.py",
            *("--epochs", "6", "--eval-steps", "40", "--patience", "1", "--output", "outputs/lab5-patience1"),
            "--overwrite",
        )
    ],
    "lab-6-email-training": [
        (
            "examples/training/classifier.py",
            *("--data", "data/email_triage.csv", "--text-column", "text", "--label-column", "label"),
            *("--epochs", "2", "--max-length", "128", "--max-train-rows", "420"),
            *("--output", "outputs/lab-6/email-minilm-l6", "--overwrite"),
        )
    ],
    "lab-6-max-length": [compare_email_max_length],
    "lab-6-cleaning-effect": [(("examples/evaluation/cleaning_effect.py",), {"OMP_NUM_THREADS": "1"})],
    "lab-6-token-lengths": [
        ("examples/tokenization/token_lengths.py", "--data", "data/email_triage.csv", "--text-column", "text")
        + ("--max-length", str(max_length))
        for max_length in (96, 128)
    ],
    "lab-7-batch-predict": [
        (
            "examples/inferencing/batch_predict.py",
            LAB4_RUN,
            *("--input", "data/challenges/lab-4/posts.csv", "--output", "outputs/lab-7/predictions.jsonl"),
            "--overwrite",
        )
    ],
    "lab-8-service": [serve_and_ask],
    "lab-7-throughput": [("examples/benchmark/inference_throughput.py", "--also-sorted")],
    "lab-9-prepare-verify": [
        lambda: set_aside(REGISTRY),
        ("examples/publishing/prepare_model.py", LAB4_RUN, "--name", "trail-status")
        + ("--hub-model-id", "your-name/trail-status"),
        ("examples/publishing/verify_model.py", f"{REGISTRY}/v1"),
        make_tampered_copy,
        ("examples/publishing/verify_model.py", "outputs/tampered"),
    ],
    "lab-9-push": [
        ("examples/publishing/push_model.py", f"{REGISTRY}/v1"),
        (("examples/publishing/push_model.py", f"{REGISTRY}/v1", "--push"), {"HF_TOKEN": ""}),
        (("examples/publishing/push_model.py", f"{REGISTRY}/v1", "--push"), OFFLINE_HUB),
    ],
    "lab-9-quantize": [("examples/publishing/quantize_model.py", LAB4_RUN, "--threads", "1")],
    "project-sms-spam-filter": [
        (("examples/spam/spam_filter.py",), {"OMP_NUM_THREADS": "1"}),
        (("examples/spam/spam_filter.py", "--freeze-encoder"), {"OMP_NUM_THREADS": "1"}),
    ],
    "project-sms-spam-lr-sweep": [(("examples/spam/lr_sweep.py",), {"OMP_NUM_THREADS": "1"})],
    "lab-10-speed": [
        (("examples/training/train_loop.py", *LAB10_SMALL, "--output", f"outputs/lab-10/speed-{name}"), env)
        for name, env in (("1x1", {"OMP_NUM_THREADS": "1"}), ("1x2", {"OMP_NUM_THREADS": "2"}))
    ]
    + [
        (
            (*TORCHRUN_2, "examples/training/train_loop.py", *LAB10_SMALL, "--output", "outputs/lab-10/speed-2x1"),
            {"OMP_NUM_THREADS": "1"},
        )
    ],
    "lab-10-launchers": [
        ((*TORCHRUN_2, "examples/distributed/loss_scaling.py"), {"OMP_NUM_THREADS": "1"}),
        ((*ACCELERATE_LAUNCH, "--cpu", "--num_processes", "2", "examples/distributed/loss_scaling.py"), {}),
        (
            (*ACCELERATE_LAUNCH, "--multi_gpu", "--num_processes", "2", "examples/training/classifier.py")
            + ("--max-train-rows", "160", "--epochs", "1", "--no-progress", "--output", "outputs/lab-10/trainer-2x1"),
            {"OMP_NUM_THREADS": "1"},
        ),
    ],
    "lab-10-two-processes": [
        (
            (
                *TORCHRUN_2,
                "examples/training/train_loop.py",
                "--batch-size",
                "8",
                "--output",
                "outputs/lab-10/loop-2x1",
            ),
            {"OMP_NUM_THREADS": "1"},
        )
    ],
    "lab-10-train-loop": [
        (
            ("examples/training/train_loop.py", "--output", "outputs/lab-10/loop", "--overwrite"),
            {"OMP_NUM_THREADS": "1"},
        ),
        (  # the same run in bf16 autocast, one after the other on an idle machine: the precision comparison
            ("examples/training/train_loop.py", "--output", "outputs/lab-10/loop-bf16", "--overwrite"),
            {"OMP_NUM_THREADS": "1", "COURSE_PRECISION": "bf16"},
        ),
    ],
    "lab-10-checkpointing": [("examples/training/checkpointing.py", "--model", "mpnet", "--max-length", "128")],
    **{
        f"lab-11-lora-r{rank}": [
            (
                ("examples/efficient/lora_sweep.py", "--ranks", str(rank), "--output", f"outputs/lab-11/lora-r{rank}")
                + ("--overwrite",),
                {"OMP_NUM_THREADS": "1"},
            )
        ]
        for rank in (4, 8, 16)
    },
    "lab-11-frozen": [(("examples/efficient/frozen_vs_full.py",), {"OMP_NUM_THREADS": "1"})],
    "lab-11-search": [(("examples/efficient/search.py", "--overwrite"), {"OMP_NUM_THREADS": "1"})],
    "lab-11-onnx": [
        lambda: copy_run(LAB11_RUN),
        ("examples/efficient/export_onnx.py", LAB11_RUN),
        ("examples/inferencing/batch_predict.py", LAB11_RUN, "--backend", "onnx-int8")
        + (
            "--input",
            "data/challenges/lab-4/posts.csv",
            "--output",
            "outputs/lab-11/predictions.jsonl",
            "--overwrite",
        ),
        ("examples/benchmark/inference_throughput.py", "--model-dir", LAB11_RUN, "--batch-sizes", "32")
        + ("--backends", "pytorch", "pytorch-int8", "onnx", "onnx-int8", "--also-sorted", "--repeats", "2"),
    ],
    "lab-11-lora-gap": [
        (
            (
                "examples/efficient/lora_sweep.py",
                "--ranks",
                "8",
                *flags,
                "--output",
                f"outputs/lab-11/{name}",
                "--overwrite",
            ),
            {"OMP_NUM_THREADS": "1"},
        )
        for name, flags in (
            ("lora-pooler", ("--train-pooler",)),
            ("lora-all", ("--modules", "all")),
        )
    ],
}


# Variables a student sets on the command line for the lab's exercise (thread counts and the offline Hub are the
# recording machine's business, not the exercise's): written before "python" in the transcript.
SHOWN_VARIABLES = ("COURSE_PRECISION",)


def run_step(args: tuple[str, ...], extra_env: dict[str, str]) -> str:
    """Run one command as a student would from the project root; return the ``$ python ...`` line and its output."""
    env = {**os.environ, "TRANSFORMERS_VERBOSITY": "error", "TQDM_DISABLE": "1", **extra_env}
    env = {key: value for key, value in env.items() if value}  # "" removes a variable (e.g. no HF_TOKEN)
    done = subprocess.run(
        [sys.executable, *args], cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    shown = "".join(f"{key}={extra_env[key]} " for key in SHOWN_VARIABLES if extra_env.get(key))
    return f"$ {shown}python {shlex.join(args)}\n{done.stdout}"


def without_progress_bars(output: str) -> str:
    """Drop progress bars (tqdm lines, their cursor-up codes) and blank lines: a bar is timing noise, not output."""
    lines = [CURSOR_UP.sub("", line).rstrip() for line in output.split("\n") if not PROGRESS_LINE.match(line)]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    return re.sub(r"\n\n(?=\$ (?:[A-Z_]+=\S* )*python )", "\n", text).strip("\n") + "\n"


def record(name: str) -> Path:
    """Run the steps of one transcript and write ``labs/transcripts/NAME.txt`` (atomically)."""
    OUTPUTS_DIR.mkdir(exist_ok=True)
    parts = []
    for step in TRANSCRIPT_STEPS[name]:
        if callable(step):
            printed = step()
            if printed:
                parts.append(printed)
        elif isinstance(step[0], tuple):
            parts.append(run_step(step[0], step[1]))  # type: ignore[arg-type]
        else:
            parts.append(run_step(step, {}))  # type: ignore[arg-type]
    text = without_progress_bars("".join(parts)).replace(str(PROJECT_ROOT), PLACEHOLDER_ROOT)
    path = TRANSCRIPTS / f"{name}.txt"
    atomic_write_text(path, text)
    return path


def main(argv: list[str]) -> int:
    names = argv or list(TRANSCRIPT_STEPS)
    unknown = [name for name in names if name not in TRANSCRIPT_STEPS]
    if unknown:
        print(f"error: unknown transcript(s) {unknown}; choose from {list(TRANSCRIPT_STEPS)}", file=sys.stderr)
        return 2
    for name in names:
        print(f"recorded {record(name).relative_to(PROJECT_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
