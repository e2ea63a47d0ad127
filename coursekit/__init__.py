"""The course package, in three layers: the core (this folder: paths, errors, device, models, data, metrics,
training, run cache, inference, serving, files), per-lab lesson code (``coursekit.lessons``) and the instructors'
tools (``coursekit.grading``). The core never imports the other two; nothing here imports ``examples/``.

Shared plumbing for the course: where things are, which model to load, how to read and check data.

The notebooks and example scripts call Hugging Face directly; this package only holds what every lab
needs and what would otherwise be copied into each script (model resolution, data checks, grading).
"""

from coursekit.errors import CourseError

__all__ = ["CourseError"]
__version__ = "0.1.0"
