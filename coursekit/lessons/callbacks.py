"""Lesson layer (Lab 5): Trainer callbacks (a JSON Lines log, a stop-at-step switch) and learning curves.

``JsonlLoggerCallback(path)`` appends one JSON object per ``on_log`` event (training loss, evaluation
metrics, the final summary) with ``step`` and ``epoch``; ``plot_learning_curves`` draws training vs
validation loss and a validation metric from that file; ``overfitting_epochs`` finds the epochs where
validation loss rose while training loss fell.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from transformers import TrainerCallback

from coursekit.errors import CourseError


class JsonlLoggerCallback(TrainerCallback):
    """Append every log event of the Trainer to a JSON Lines file (one object per line).

    Each line holds ``step``, ``epoch``, ``kind`` ("train", "eval" or "summary") and the logged values,
    rounded to 6 digits. Runtimes and throughputs are dropped: they differ on every run. Appending
    (not overwriting) keeps the lines of an interrupted run and its resumed continuation in one file.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero or not logs:
            return
        values = {
            k: (round(v, 6) if isinstance(v, float) else v)
            for k, v in logs.items()
            if not k.endswith(("_runtime", "_per_second"))
        }
        kind = "eval" if "eval_loss" in values else "train" if "loss" in values else "summary"
        record = {"step": state.global_step, "epoch": round(state.epoch or 0.0, 4), "kind": kind, **values}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")


class StopAtStepCallback(TrainerCallback):
    """Stop training after ``step`` optimizer steps, as if the run had been interrupted there.

    Used to show ``resume_from_checkpoint``: with ``save_steps`` dividing ``step``, a checkpoint exists
    at the stop, and a second ``trainer.train(resume_from_checkpoint=True)`` carries on from it.
    """

    def __init__(self, step: int):
        self.step = step
        self.fired = False  # True once this callback (not early stopping or the epoch limit) ended training

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step >= self.step and state.global_step < state.max_steps:
            self.fired = True
            control.should_training_stop = True
            control.should_save = True  # keep the state at the interruption point
        return control


def read_log(path: str | Path) -> list[dict]:
    """The records of a JSON Lines log, or CourseError naming the missing file or the bad line."""
    path = Path(path)
    if not path.is_file():
        raise CourseError(f"{path} does not exist; train with JsonlLoggerCallback({path.name!r}) first.")
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise CourseError(f"{path}: line {number} is not JSON ({exc.msg}).") from None
    return records


def per_epoch(records: list[dict]) -> list[dict]:
    """One row per whole epoch: mean training loss of the epoch and the last evaluation in it.

    Evaluations logged mid-epoch (``eval_strategy="steps"``) are folded into the epoch they end in
    (epoch 1.0 contains everything logged at 0 < epoch <= 1).
    """
    epochs: dict[int, dict] = {}
    for record in records:
        epoch = max(1, math.ceil(record.get("epoch", 0) - 1e-9))
        row = epochs.setdefault(epoch, {"epoch": epoch, "train_losses": []})
        if record.get("kind") == "train" and "loss" in record:
            row["train_losses"].append(record["loss"])
        elif record.get("kind") == "eval":
            row.update({k: v for k, v in record.items() if k.startswith("eval_")})
    rows = []
    for epoch in sorted(epochs):
        row = epochs[epoch]
        losses = row.pop("train_losses")
        if losses and "eval_loss" in row:
            rows.append({**row, "train_loss": sum(losses) / len(losses)})
    return rows


def overfitting_epochs(rows: list[dict]) -> list[int]:
    """Epochs whose validation loss rose while the training loss fell, compared with the epoch before."""
    return [
        now["epoch"]
        for before, now in zip(rows, rows[1:])
        if now["eval_loss"] > before["eval_loss"] and now["train_loss"] < before["train_loss"]
    ]


def plot_learning_curves(jsonl_path: str | Path, png_path: str | Path, metric: str = "f1_macro") -> Path:
    """Plot training vs validation loss and the validation ``metric`` against the epoch; save a PNG.

    Every logged point is drawn at its (fractional) epoch, so runs that evaluate every few steps show
    all their evaluations; the best evaluation of ``metric`` is starred, and whole epochs in which
    validation loss rose while training loss fell (:func:`overfitting_epochs`) are shaded red.
    """
    from matplotlib.figure import Figure  # no pyplot: works the same in scripts, tests and notebooks

    records = read_log(jsonl_path)
    key = f"eval_{metric}"
    evals = [r for r in records if r.get("kind") == "eval" and "eval_loss" in r]
    if not evals:
        raise CourseError(f"{jsonl_path} holds no evaluation lines; set eval_strategy so that evaluations are logged.")
    train = [r for r in records if r.get("kind") == "train" and "loss" in r]
    fig = Figure(figsize=(9, 3.5))
    loss_ax, metric_ax = fig.subplots(1, 2)
    loss_ax.plot([r["epoch"] for r in train], [r["loss"] for r in train], ".-", label="training loss")
    loss_ax.plot([r["epoch"] for r in evals], [r["eval_loss"] for r in evals], "s-", label="validation loss")
    for epoch in overfitting_epochs(per_epoch(records)):
        loss_ax.axvspan(epoch - 1, epoch, color="tab:red", alpha=0.1)
    loss_ax.set(title="Loss (red: overfitting epochs)", xlabel="epoch", ylabel="cross-entropy loss")
    loss_ax.legend()
    scored = [r for r in evals if key in r]
    metric_ax.plot(
        [r["epoch"] for r in scored], [r[key] for r in scored], "s-", color="tab:green", label=f"validation {metric}"
    )
    if scored:
        best = max(scored, key=lambda r: (r[key], -r["step"]))
        metric_ax.plot(
            best["epoch"],
            best[key],
            "*",
            color="gold",
            markersize=16,
            markeredgecolor="black",
            label=f"best: step {best['step']}, {best[key]:.3f}",
        )
    metric_ax.set(title=f"Validation {metric}", xlabel="epoch", ylabel=metric)
    metric_ax.legend()
    fig.tight_layout()
    png_path = Path(png_path)
    png_path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png_path, dpi=100)
    return png_path
