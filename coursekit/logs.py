"""Core layer (every script): console hygiene: keep the training progress bar and our own report, drop the rest."""

from __future__ import annotations


def quiet_libraries() -> None:
    """Hide library info logs and the loading / mapping / saving progress bars of transformers and datasets.

    The Trainer's own progress bar is controlled separately (``TrainingArguments(disable_tqdm=...)``).
    """
    import datasets
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    datasets.disable_progress_bars()
