"""Project "Tweet sentiment": fine-tune the course model on the chunked tweets in data/tweets/.

The defaults are the project's recipe (``coursekit.lessons.tweets.TweetConfig``): every chunk is read through
``datasets``, Sentiment140's labels 0 / 4 become negative / positive, the tweets are cleaned by the ``tweets``
cleaner (mentions and URLs removed, hashtags and emojis as words), a one-logit head is trained with
``BCEWithLogitsLoss`` and the decision threshold with the best validation F1 is saved with the run.

    python examples/tweets/train_tweets.py                       # -> outputs/tweets-sigmoid
    python examples/tweets/train_tweets.py --head softmax        # -> outputs/tweets-softmax (two-class softmax)
    python examples/tweets/train_tweets.py --cleaner none        # -> outputs/tweets-sigmoid-none (raw tweets)
    python examples/tweets/report.py outputs/tweets-sigmoid      # report.md with figures

The run folder holds the model, ``training_config.json`` (with the cleaner), ``threshold.json``,
``log_history.json``, ``validation_predictions.csv``, ``test_predictions.csv`` and ``metrics.json``. An existing
run is replaced only with ``--overwrite``, and only once the new run has finished (``coursekit.training.train``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from transformers import HfArgumentParser

from coursekit.errors import friendly_errors
from coursekit.inference import load_classifier
from coursekit.lessons.tweets import TweetConfig
from coursekit.logs import quiet_libraries
from coursekit.metrics import format_accuracy
from coursekit.paths import shown_path
from coursekit.training import THRESHOLD_FILE, train

DEMO_TWEETS = [
    "@mike just landed and my bag made it too!! best airline ever ✈️😍",
    "three hours on hold and they hung up on me. never again #fail",
    "not bad at all, the new update actually fixed my battery",
    "oh great, the train is cancelled AGAIN. love that for me",
]


def build_parser() -> HfArgumentParser:
    """One flag per field of ``TweetConfig`` (``--head``, ``--cleaner``, ``--epochs``, ...)."""
    return HfArgumentParser(TweetConfig, description=__doc__.split("\n\n")[0])


@friendly_errors
def main(argv: list[str] | None = None) -> int:
    """Parse the command line, train, print the test result and label a few new tweets with the saved run."""
    config = TweetConfig(**vars(build_parser().parse_args(argv)))  # checks the settings (exit 2 with a message)
    quiet_libraries()
    result = train(config)
    threshold = json.loads((Path(result.output_dir) / THRESHOLD_FILE).read_text(encoding="utf-8"))
    correct = round(result.test["accuracy"] * result.test_size)
    print(
        f"\n{config.head} head, cleaner {config.cleaner!r}: trained in {result.train_seconds:.0f} s on "
        f"{result.train_size} tweets; threshold {threshold['threshold']} (best validation F1 "
        f"{threshold['validation_f1']:.3f})\ntest ({result.test_size} tweets): accuracy "
        f"{format_accuracy(correct, result.test_size)}  macro F1 {result.test['f1_macro']:.3f}"
    )
    print(f"saved to {shown_path(result.output_dir)}\n\npredictions for new tweets (cleaned as in training):")
    for p in load_classifier(result.output_dir).predict(DEMO_TWEETS):
        print(f"  {p.label:>8}  P(positive) {p.scores['positive']:.2f}  {p.text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
