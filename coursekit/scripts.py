"""Import an example script as a module, so thin entry points and comparisons reuse its code."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from coursekit.paths import EXAMPLES_DIR


def load_example(relative_path: str) -> ModuleType:
    """Load ``examples/<relative_path>`` once (e.g. ``"training/classifier.py"``) and return the module.

    The example scripts live in folders that are not packages (students run them as files), and two
    of them are called ``classifier.py``; loading by path under a unique name avoids both problems.
    """
    name = "course_example_" + relative_path.replace("/", "_").removesuffix(".py").replace("-", "_")
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, EXAMPLES_DIR / relative_path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def run_training_script(default_model: str) -> int:
    """Run ``examples/training/classifier.py`` from the command line with another default ``--model``."""
    return load_example("training/classifier.py").main(default_model=default_model)
