"""Lab 8: a web service (FastAPI) that classifies texts with a saved model: POST /predict, GET /health, GET /model.

Start it from the project root (either command; the model is loaded once, at start-up):

    python examples/serving/service.py --model-dir outputs/blankets_creek-minilm-l6 --port 8000
    MODEL_DIR=outputs/blankets_creek-minilm-l6 uvicorn --app-dir examples/serving service:app --port 8000

Without --model-dir or MODEL_DIR it serves the Lab 4 model (outputs/blankets_creek-minilm-l6). Then:

    curl localhost:8000/health
    curl localhost:8000/model
    curl -X POST localhost:8000/predict -H 'Content-Type: application/json' -d '{"texts": ["Blankets is open!"]}'

With COURSE_PREDICTION_LOG=outputs/prediction_log.jsonl set, every prediction served is appended to that log
(rotated, at most 5 MB; coursekit.feedback_log), which examples/feedback/monitor.py reads.

Open http://localhost:8000/docs for the interactive API documentation. The app itself (the endpoints, the request
model with its limits, the 413 for an oversized body) is ``create_app`` in coursekit/serving.py: read it next to
this file. A request with an empty, invalid or too long text, too many texts or a threshold that is not a number
in [0, 1] gets status 422 and a message saying which limit it broke; a body over 1 MiB gets 413 (limits: GET
/health).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

# Quiet transformers (info logs, the "Loading weights" bar) through its environment variables, which it reads
# when first imported (at start-up): the container image has no `datasets`, which coursekit.logs needs.
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

from coursekit.errors import CourseError, friendly_errors
from coursekit.inference import BACKENDS, DEFAULT_THRESHOLD, DEVICES, check_threshold
from coursekit.paths import shown_path
from coursekit.serving import MODEL_DIR_ENV, create_app, find_model_dir

# For `uvicorn --app-dir examples/serving service:app`: the model folder is read from $MODEL_DIR at start-up.
app = create_app()


def build_parser() -> argparse.ArgumentParser:
    """All of the script's settings, in one place."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument(
        "--model-dir",
        type=Path,
        help=f"model folder (default: ${MODEL_DIR_ENV}, else the Lab 4 model outputs/blankets_creek-minilm-l6)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="0.0.0.0 to accept connections from other machines")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--threshold",
        type=float,
        default=DEFAULT_THRESHOLD,
        help="default confidence threshold for 'needs review' (a request may set its own)",
    )
    parser.add_argument("--device", choices=DEVICES, help="default: the best available")
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default="pytorch",
        help="onnx/onnx-int8: the graph export_onnx.py wrote (Lab 11)",
    )
    parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    return parser


@friendly_errors
def main(argv: list[str] | None = None) -> int:
    """Check the model folder, then serve with uvicorn until Ctrl+C."""
    args = build_parser().parse_args(argv)
    model_dir = find_model_dir(args.model_dir)  # fails here, with a clear message, before anything is loaded
    check_threshold(args.threshold)
    if args.backend != "pytorch":  # a missing export fails here, not inside uvicorn's start-up
        from coursekit.onnx_runtime import onnx_path, require_graph

        require_graph(onnx_path(model_dir, args.backend))
    if not 0 < args.port < 65536:
        raise CourseError(f"--port must be between 1 and 65535, got {args.port}.")

    import uvicorn

    print(
        f"serving {shown_path(model_dir)} on http://{args.host}:{args.port} (docs: /docs, stop with Ctrl+C)",
        flush=True,
    )
    uvicorn.run(
        create_app(model_dir, args.threshold, args.device, backend=args.backend),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
