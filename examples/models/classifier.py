"""Lab 4, exercise 6: train the trail classifier with the course's default model.

all-MiniLM-L6-v2 (BERT architecture, 6 layers, 22.7M parameters), shipped in requirements.txt.
Every option of examples/training/classifier.py works here (run with --help); only the default model
differs between this script, classifier-large.py and classifier-msft.py, so their results compare.

    python examples/models/classifier.py
"""

import sys

from coursekit.scripts import run_training_script

if __name__ == "__main__":
    sys.exit(run_training_script(default_model="minilm-l6"))
