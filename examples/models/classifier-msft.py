"""Lab 4, exercise 6: train the trail classifier with Microsoft's MiniLM, cut to 3 layers.

The course this lab descends from used microsoft/deberta-v3-large here (435M parameters, a GPU and the
Hub). Offline, the default is MiniLM (Microsoft Research's distilled BERT, via all-MiniLM-L6-v2) with
only its first 3 layers: 17.4M parameters, about twice as fast per step, a smaller model to compare.
Online with a GPU: `--model microsoft/deberta-v3-large --batch-size 8 --learning-rate 1e-5`.

    python examples/models/classifier-msft.py
"""

import sys

from coursekit.scripts import run_training_script

if __name__ == "__main__":
    sys.exit(run_training_script(default_model="minilm-l3"))
